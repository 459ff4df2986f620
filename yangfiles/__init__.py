"""Locating YANG module files: by name and revision below a search path, with their import
closure and RFC 7895 library entries. Pure standard library, below every other package, so that
ROM and the simulators (which may not import ROM) share one piece of code."""

from yangfiles.sources import (
    ModuleNotFound,
    Source,
    closure,
    directories_of,
    index,
    library_modules,
    read_source,
)

__all__ = ["ModuleNotFound", "Source", "closure", "directories_of", "index", "library_modules", "read_source"]
