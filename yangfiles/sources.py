"""Find YANG module files by name and read what locating them needs, without parsing YANG.

Files are ``NAME.yang`` or ``NAME@REVISION.yang`` anywhere below a search path's directories (the
first directory holding a name wins); a file's revision is its newest ``revision`` statement.
Standard library only: ROM (``intent.yang.library``) and the simulators (``sims.yanglib``) share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_IMPORT = re.compile(r"^\s*import\s+([\w.-]+)\s*\{", re.M)
_INCLUDE = re.compile(r"^\s*include\s+([\w.-]+)\s*[{;]", re.M)
_REVISION = re.compile(r"^\s*revision\s+\"?(\d{4}-\d{2}-\d{2})", re.M)
_NAMESPACE = re.compile(r"^\s*namespace\s+\"?([^\";\s]+)", re.M)  # quoted or not (3GPP's are not)
_PREFIX = re.compile(r"^\s*prefix\s+\"?([\w.-]+)", re.M)
_DEVIATION = re.compile(r"^\s*deviation\s+\"?([^\"\s{]+)", re.M)
_COMMENT = re.compile(r"^\s*//[^\n]*|/\*.*?\*/", re.S | re.M)  # whole-line comments: "//" is in URLs


class ModuleNotFound(LookupError):
    """A module (or one it imports or includes) is below no directory of the search path."""


@dataclass(frozen=True)
class Source:
    """What locating a module file tells of it (the newest revision; no namespace: a submodule)."""

    path: Path
    revision: str
    namespace: str | None
    prefix: str
    imports: tuple[str, ...]
    includes: tuple[str, ...]
    deviates: tuple[str, ...]
    """Prefixes of the modules whose nodes its deviation statements target (a target's last step)."""


def index(directories: Iterable[Path]) -> dict[str, Path]:
    """module name -> file, the first found in ``directories`` order (a missing directory is empty)."""
    found: dict[str, Path] = {}
    for directory in directories:
        for path in sorted(directory.rglob("*.yang")) if directory.is_dir() else ():
            found.setdefault(path.stem.split("@")[0], path)
    return found


def read_source(path: Path) -> Source:
    """Revision, namespace, prefix, imports, includes and deviation targets of a module file."""
    text = _COMMENT.sub("", path.read_text(encoding="utf-8"))
    revision = _REVISION.search(text)
    namespace = _NAMESPACE.search(text)
    prefix = _PREFIX.search(text)
    return Source(
        path,
        revision.group(1) if revision else "",
        namespace.group(1) if namespace else None,
        prefix.group(1) if prefix else "",
        tuple(_IMPORT.findall(text)),
        tuple(_INCLUDE.findall(text)),
        tuple(sorted({target.rsplit("/", 1)[-1].split(":")[0] for target in _DEVIATION.findall(text)})),
    )


def closure(
    modules: Iterable[str],
    files: Mapping[str, Path],
    *,
    read: Callable[[Path], Source] = read_source,
    missing: type[Exception] = ModuleNotFound,
    where: str = "the YANG search path",
) -> dict[str, Source]:
    """``modules`` and every module or submodule they import or include, by name; ``missing``
    (with a message naming the module and ``where``) for a name ``files`` lacks."""
    sources: dict[str, Source] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        if name not in files:
            raise missing(f"YANG module {name!r} not found below {where}")
        sources[name] = read(files[name])
        todo.extend(sources[name].imports)
        todo.extend(sources[name].includes)
    return sources


def library_modules(sources: Mapping[str, Source]) -> list[dict[str, Any]]:
    """The RFC 7895 ``module`` entries of a closure, every module implemented (so that the
    identities of imported modules are usable, like ``yanglint -ii``), submodules listed with
    their module."""
    entries: list[dict[str, Any]] = []
    for name, src in sorted(sources.items()):
        if src.namespace is None:
            continue
        entry: dict[str, Any] = {
            "name": name,
            "revision": src.revision,
            "namespace": src.namespace,
            "conformance-type": "implement",
        }
        if src.includes:
            entry["submodule"] = [{"name": sub, "revision": sources[sub].revision} for sub in src.includes]
        entries.append(entry)
    return entries


def directories_of(sources: Mapping[str, Source]) -> list[str]:
    """The directories holding a closure's files (a YANG library's search path)."""
    return sorted({str(src.path.parent) for src in sources.values()})
