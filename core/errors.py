"""One exception root for everything ROM raises on purpose; drivers raise their own
(`drivers.errors`), and `EXPECTED` catches both where a failure is an answer, not a bug."""

from __future__ import annotations

from drivers.errors import DriverError


class RomError(Exception):
    """Root of ROM's own errors."""


class InvalidRequest(RomError):
    """The caller asked for something malformed or impossible; nothing was changed."""


class Unprocessable(InvalidRequest):
    """Well-formed, but naming what does not exist or cannot be done (TMF 422); see
    docs/order-flow.md for where the line between 400 and 422 runs."""


class NotFound(RomError):
    """A named object does not exist."""


class Conflict(RomError):
    """The request is well-formed but conflicts with the current state (TMF 409)."""


# what ROM and its drivers raise on purpose: caught where a failure becomes a note or a message
EXPECTED: tuple[type[Exception], ...] = (RomError, DriverError)
