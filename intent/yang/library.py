"""Load a set of YANG modules, with everything they import or include, as a yangson DataModel.

Modules are found by name (`NAME.yang` or `NAME@REVISION.yang`) anywhere below the directories
of a search path; the newest revision statement of a file is its revision. Every module of the
closure is implemented, so that identities of imported modules are usable (like `yanglint -ii`).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from yangson import DataModel

import yangfiles
from core.errors import RomError


class ModuleNotFound(RomError, yangfiles.ModuleNotFound):
    """A module (or one it imports) is not below any directory of the YANG search path."""


def _closure(modules: Sequence[str], directories: Sequence[Path]) -> dict[str, yangfiles.Source]:
    """`modules` and every module or submodule they import or include, by name."""
    where = ", ".join(map(str, directories))
    return yangfiles.closure(modules, yangfiles.index(directories), missing=ModuleNotFound, where=where)


def module_set_digest(modules: Sequence[str], directories: Sequence[Path]) -> str:
    """SHA-256 of the closure of `modules` as found now: each file's name, revision and bytes (a
    module missing from the search path counts as missing, it does not raise)."""
    digest = hashlib.sha256()
    try:
        sources = _closure(modules, directories)
    except ModuleNotFound as exc:
        digest.update(f"missing {exc}".encode())
        return digest.hexdigest()
    for name, src in sorted(sources.items()):
        digest.update(f"{name}@{src.revision}\0".encode())
        digest.update(hashlib.sha256(src.path.read_bytes()).digest())
    return digest.hexdigest()


def yang_library(modules: Sequence[str], directories: Sequence[Path]) -> tuple[dict[str, Any], list[str]]:
    """(RFC 7895 YANG library data for `modules` and their closure, the directories to search)."""
    sources = _closure(modules, directories)
    entries = yangfiles.library_modules(sources)
    library = {"ietf-yang-library:modules-state": {"module-set-id": "rom", "module": entries}}
    return library, yangfiles.directories_of(sources)


_CACHE: dict[tuple[tuple[str, ...], tuple[str, ...]], DataModel] = {}
_LOCK = threading.Lock()


def data_model(modules: Sequence[str], directories: Sequence[Path]) -> DataModel:
    """The DataModel of `modules` (cached per module set and search path: loading takes ~2 s)."""
    key = (tuple(modules), tuple(str(d) for d in directories))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            library, search = yang_library(modules, directories)
            model = _CACHE[key] = DataModel(json.dumps(library), search)
        return model
