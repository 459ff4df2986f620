"""Registry of simulated device models, keyed by model name."""

from __future__ import annotations

from sims.models.base import DeviceModel
from sims.models.core5g import CORE_MODELS
from sims.models.ran import GNB
from sims.models.router import ROUTER

MODELS: dict[str, DeviceModel] = {model.name: model for model in (ROUTER, GNB, *CORE_MODELS)}


def get_model(name: str) -> DeviceModel:
    """The model called ``name``; KeyError lists the known ones."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown device model '{name}' (known: {', '.join(sorted(MODELS))})") from None
