"""Where a simulated device's YANG modules are, and the RFC 7895 YANG library of one device model.

Module files are looked up by name (``NAME.yang`` or ``NAME@REVISION.yang``) below the directories
of ``SIM_YANG_PATH`` (``os.pathsep``-separated), by default ``sims/yang/``: the simulators' own
modules and deviations, and copies of the upstream modules they implement (``sims/yang/upstream/``:
OpenConfig, 3GPP Release 17 and ROM's augments, as on a device's flash), so a simulator runs, and
serves its modules, without ``../shared`` beside the checkout.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
_IMPORT = re.compile(r"^\s*import\s+([\w.-]+)\s*\{", re.M)
_INCLUDE = re.compile(r"^\s*include\s+([\w.-]+)\s*[{;]", re.M)
_REVISION = re.compile(r"^\s*revision\s+\"?(\d{4}-\d{2}-\d{2})", re.M)
_NAMESPACE = re.compile(r"^\s*namespace\s+\"?([^\";\s]+)", re.M)  # 3GPP's are not quoted
_DEVIATION = re.compile(r"^\s*deviation\s+\"?([^\"\s{]+)", re.M)
_PREFIX = re.compile(r"^\s*prefix\s+\"?([\w.-]+)", re.M)
_COMMENT = re.compile(r"^\s*//[^\n]*|/\*.*?\*/", re.S | re.M)  # whole-line comments: "//" is in URLs


@dataclass(frozen=True)
class YangSpec:
    """The YANG of one device model: the modules it implements and announces, and its deviation
    module (in ``sims/yang/``). The device implements only these: the data nodes the other modules
    of the import closure define or augment in are not part of its schema (``sims.schema_yang``).
    yangson still compiles the whole closure as implemented, as ``yanglint -ii`` does, so that the
    leafrefs and identities of the implemented modules resolve."""

    modules: tuple[str, ...]
    deviations: str | None = None

    @property
    def implemented(self) -> tuple[str, ...]:
        """The announced modules and the deviation module."""
        return (*self.modules, *([self.deviations] if self.deviations else []))


@dataclass(frozen=True)
class Source:
    """What the simulators need to know of one module file without parsing it."""

    path: Path
    revision: str
    namespace: str | None
    prefix: str
    imports: tuple[str, ...]
    includes: tuple[str, ...]
    deviates: tuple[str, ...]
    """Prefixes of the modules whose nodes its deviation statements target (a target's last step)."""


def directories() -> tuple[Path, ...]:
    """Where module files are looked up (``SIM_YANG_PATH``, else ``sims/yang/``)."""
    setting = os.environ.get("SIM_YANG_PATH")
    if setting:
        return tuple(Path(part) for part in setting.split(os.pathsep) if part)
    return (_HERE / "yang",)


@functools.cache
def index(roots: tuple[Path, ...]) -> dict[str, Path]:
    """module name -> file, the first found in ``roots`` order."""
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.yang")) if root.is_dir() else ():
            found.setdefault(path.stem.split("@")[0], path)
    return found


@functools.cache
def source(path: Path) -> Source:
    """Revision (the newest), namespace, prefix, imports and includes of a module file."""
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


class ModuleMissing(LookupError):
    """A module of a device model (or one it imports) has no file on the YANG search path."""


def closure(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> dict[str, Source]:
    """Every module (and submodule) the spec's modules and deviations need, by name."""
    files = index(roots if roots is not None else directories())
    sources: dict[str, Source] = {}
    todo = list(spec.implemented)
    while todo:
        name = todo.pop()
        if name in sources:
            continue
        if name not in files:
            where = ", ".join(map(str, roots or directories()))
            raise ModuleMissing(f"YANG module {name!r} not found below {where}")
        sources[name] = source(files[name])
        todo.extend(sources[name].imports)
        todo.extend(sources[name].includes)
    return sources


def library(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> tuple[dict[str, Any], list[str]]:
    """(RFC 7895 YANG library data of the model, the directories holding its modules)."""
    sources = closure(spec, roots)
    entries = []
    for name, src in sorted(sources.items()):
        if src.namespace is None:  # a submodule: listed with its module
            continue
        entry: dict[str, Any] = {
            "name": name,
            "revision": src.revision,
            "namespace": src.namespace,
            "conformance-type": "implement",
        }
        if src.includes:
            entry["submodule"] = [{"name": s, "revision": sources[s].revision} for s in src.includes]
        entries.append(entry)
    data = {"ietf-yang-library:modules-state": {"module-set-id": digest(spec, roots), "module": entries}}
    return data, sorted({str(src.path.parent) for src in sources.values()})


@functools.cache
def digest(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> str:
    """A hash of the model's spec and of every module file on the search path (a cache key that
    needs no parsing: any module's change makes it new)."""
    sha = hashlib.sha256(repr(spec).encode())
    for name, path in sorted(index(roots if roots is not None else directories()).items()):
        sha.update(name.encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()[:24]


@functools.cache
def capabilities(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> tuple[str, ...]:
    """NETCONF module capabilities (RFC 6020 §5.6.4) of the modules the model announces and of its
    deviation module; a deviated module names it (``deviations=``, before ``revision=``)."""
    files = index(roots if roots is not None else directories())
    sources = {name: source(files[name]) for name in spec.implemented if name in files}
    if len(sources) < len(spec.implemented):
        closure(spec, roots)  # raises ModuleMissing naming the module
    deviated: set[str] = set()
    if spec.deviations:
        deviation = sources[spec.deviations]
        prefixes = {source(files[name]).prefix: name for name in deviation.imports if name in files}
        deviated = {prefixes.get(prefix, prefix) for prefix in deviation.deviates}
    result = []
    for name in spec.implemented:
        src = sources[name]
        extra = f"&deviations={spec.deviations}" if name in deviated else ""
        result.append(f"{src.namespace}?module={name}{extra}&revision={src.revision}")
    return tuple(result)
