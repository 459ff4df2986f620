"""Load a set of YANG modules, with everything they import or include, as a yangson DataModel.

Modules are found by name (`NAME.yang` or `NAME@REVISION.yang`) anywhere below the directories
of a search path; the newest revision statement of a file is its revision. Every module of the
closure is implemented, so that identities of imported modules are usable (like `yanglint -ii`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yangson import DataModel

from core.errors import RomError

_IMPORT = re.compile(r"^\s*import\s+([\w.-]+)\s*\{", re.M)
_INCLUDE = re.compile(r"^\s*include\s+([\w.-]+)\s*[{;]", re.M)
_REVISION = re.compile(r"^\s*revision\s+\"?(\d{4}-\d{2}-\d{2})", re.M)
_NAMESPACE = re.compile(r"^\s*namespace\s+\"?([^\";\s]+)", re.M)  # quoted or not (3GPP's are not)
_COMMENT = re.compile(r"^\s*//[^\n]*|/\*.*?\*/", re.S | re.M)  # whole-line comments: "//" is in URLs


class ModuleNotFound(RomError):
    """A module (or one it imports) is not below any directory of the YANG search path."""


@dataclass(frozen=True)
class _Source:
    path: Path
    revision: str
    namespace: str | None
    imports: tuple[str, ...]
    includes: tuple[str, ...]


def _index(directories: Iterable[Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.rglob("*.yang")):
            found.setdefault(path.stem.split("@")[0], path)
    return found


def _source(path: Path) -> _Source:
    text = _COMMENT.sub("", path.read_text(encoding="utf-8"))
    revision = _REVISION.search(text)
    namespace = _NAMESPACE.search(text)
    return _Source(
        path,
        revision.group(1) if revision else "",
        namespace.group(1) if namespace else None,
        tuple(_IMPORT.findall(text)),
        tuple(_INCLUDE.findall(text)),
    )


def _closure(modules: Sequence[str], directories: Sequence[Path]) -> dict[str, _Source]:
    """`modules` and every module or submodule they import or include, by name."""
    files = _index(directories)
    sources: dict[str, _Source] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        if name not in files:
            raise ModuleNotFound(f"YANG module {name!r} not found below {', '.join(map(str, directories))}")
        sources[name] = _source(files[name])
        todo.extend(sources[name].imports)
        todo.extend(sources[name].includes)
    return sources


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
    entries = []
    for name, src in sorted(sources.items()):
        if src.namespace is None:  # a submodule: listed with its module
            continue
        entry: dict[str, object] = {
            "name": name,
            "revision": src.revision,
            "namespace": src.namespace,
            "conformance-type": "implement",
        }
        if src.includes:
            entry["submodule"] = [{"name": s, "revision": sources[s].revision} for s in src.includes]
        entries.append(entry)
    library = {"ietf-yang-library:modules-state": {"module-set-id": "rom", "module": entries}}
    return library, sorted({str(src.path.parent) for src in sources.values()})


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
