"""A device model's ``Schema``, derived from its YANG modules once per process.

Compiling the OpenConfig closure with yangson takes seconds (``sims.yang_derive``), so the derived
tree is also kept on disk, keyed by a hash of the spec and of every module file on the search
path (``$SIM_YANG_CACHE``, else ``$XDG_CACHE_HOME/rom-sims`` or ``~/.cache/rom-sims``; a directory
that cannot be written only costs the compile). A process reads it once; every device of a model
shares it.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import pickle
import tempfile
import threading
from importlib.metadata import version
from pathlib import Path

from sims.schema import Rule, Schema
from sims.yanglib import YangSpec, digest

log = logging.getLogger(__name__)
_YANGSON = version("yangson")
FORMAT = 5  # bump when the derived tree's shape changes: older cache files are then ignored
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """Where derived schemas are kept between processes."""
    setting = os.environ.get("SIM_YANG_CACHE")
    if setting:
        return Path(setting)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rom-sims"


def _cache_file(spec: YangSpec, roots: tuple[Path, ...] | None) -> Path:
    return cache_dir() / f"schema-{digest(spec, roots)}-{FORMAT}-{_YANGSON}.pickle"


def _read(path: Path) -> Schema | None:
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return loaded if isinstance(loaded, Schema) else None


def _write(path: Path, schema: Schema) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False, suffix=".tmp") as handle:
            pickle.dump(schema, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError as exc:
        log.warning("cannot keep the derived YANG schema in %s: %s", path.parent, exc)


@functools.cache
def load_schema(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> Schema:
    """The derived schema of a device model (modules below ``roots``, else ``directories()``): from
    this process's cache, the disk cache, or yangson."""
    with _LOCK:
        path = _cache_file(spec, roots)
        schema = _read(path)
        if schema is None:
            from sims.yang_derive import data_model, derive  # yangson: only when compiling

            schema = derive(data_model(spec, roots), spec, roots)
            _write(path, schema)
        return schema


@functools.cache
def model_schema(spec: YangSpec, rules: tuple[Rule, ...] = ()) -> Schema:
    """The derived schema with a model's cross-leaf rules (shared by every device of the model)."""
    schema = load_schema(spec)
    return dataclasses.replace(schema, rules=rules) if rules else schema
