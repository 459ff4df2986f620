"""One socket send for what an SSH connection writes during one event-loop callback.

asyncssh writes every SSH packet to its transport at once, and before each packet it sends an
SSH_MSG_IGNORE of its own: a reply costs two socket sends, and on loopback a send carries the
receiver's kernel work too. ``CoalescingTransport`` holds the writes of the running callback and
sends them together right after it (``call_soon``): the bytes and their order are unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any


class CoalescingTransport:
    """Wraps an asyncio transport: writes are joined and sent after the current callback;
    ``close`` and ``abort`` send what is held first. Everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            if _running_loop() is not self._loop:  # another thread: no callback to wait for
                self._transport.write(data)
                return
            self._loop.call_soon(self.flush)
        self._held.append(data)

    def writelines(self, lines: list[bytes]) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        """Send what is held now."""
        held, self._held = self._held, []
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(data) for data in self._held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self.flush()  # what a plain transport would have sent already
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def coalesce_writes(conn: object) -> bool:
    """Put a ``CoalescingTransport`` under an asyncssh connection (from its owner's
    ``connection_made``, before the version line goes out); False if the connection does not
    hold an asyncio transport where asyncssh 2.x keeps it (its writes then go out as before)."""
    transport = getattr(conn, "_transport", None)
    if not isinstance(transport, asyncio.Transport):
        return False
    conn._transport = CoalescingTransport(transport, asyncio.get_running_loop())  # type: ignore[attr-defined]
    return True
