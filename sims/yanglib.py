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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yangfiles
from yangfiles import Source

_HERE = Path(__file__).resolve().parent


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


def directories() -> tuple[Path, ...]:
    """Where module files are looked up (``SIM_YANG_PATH``, else ``sims/yang/``)."""
    setting = os.environ.get("SIM_YANG_PATH")
    if setting:
        return tuple(Path(part) for part in setting.split(os.pathsep) if part)
    return (_HERE / "yang",)


@functools.cache
def index(roots: tuple[Path, ...]) -> dict[str, Path]:
    """module name -> file, the first found in ``roots`` order."""
    return yangfiles.index(roots)


@functools.cache
def source(path: Path) -> Source:
    """Revision (the newest), namespace, prefix, imports and includes of a module file."""
    return yangfiles.read_source(path)


class ModuleMissing(yangfiles.ModuleNotFound):
    """A module of a device model (or one it imports) has no file on the YANG search path."""


def closure(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> dict[str, Source]:
    """Every module (and submodule) the spec's modules and deviations need, by name."""
    where = roots if roots is not None else directories()
    files = index(where)
    return yangfiles.closure(
        spec.implemented, files, read=source, missing=ModuleMissing, where=", ".join(map(str, where))
    )


def library(spec: YangSpec, roots: tuple[Path, ...] | None = None) -> tuple[dict[str, Any], list[str]]:
    """(RFC 7895 YANG library data of the model, the directories holding its modules)."""
    sources = closure(spec, roots)
    modules = yangfiles.library_modules(sources)
    data = {"ietf-yang-library:modules-state": {"module-set-id": digest(spec, roots), "module": modules}}
    return data, yangfiles.directories_of(sources)


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
