"""RFC 6242 message framing: base:1.0 end-of-message marker and base:1.1 chunked framing.

``FrameDecoder`` is pure and incremental: ``feed`` bytes as they arrive, then take complete
messages with ``next_message`` (or iterate ``messages``). It starts in end-of-message mode and
switches to chunked framing with ``use_chunked`` after the hello exchange.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

EOM = b"]]>]]>"
MAX_MESSAGE = 32 * 1024 * 1024
MAX_CHUNK = 4294967295
_CHUNK_HEADER = re.compile(rb"\n#([1-9][0-9]{0,9})\n")
_HEADER_MAX = 13  # "\n#" + 10 digits + "\n"


class FramingError(Exception):
    """The byte stream is not validly framed, or a message is too large."""


def encode_eom(message: bytes) -> bytes:
    """Frame a message for base:1.0."""
    return message + EOM


def encode_chunked(message: bytes, chunk_size: int = 65536) -> bytes:
    """Frame a message for base:1.1 (one or more chunks, then the end-of-chunks marker)."""
    if not message:
        raise ValueError("a chunked message cannot be empty")
    parts = []
    for start in range(0, len(message), chunk_size):
        chunk = message[start : start + chunk_size]
        parts.append(b"\n#%d\n" % len(chunk))
        parts.append(chunk)
    parts.append(b"\n##\n")
    return b"".join(parts)


class FrameDecoder:
    """Incremental decoder for both framings."""

    def __init__(self, max_message: int = MAX_MESSAGE) -> None:
        self.max_message = max_message
        self.chunked = False
        self._buffer = bytearray()
        self._scan_from = 0
        self._chunks: list[bytes] = []
        self._chunked_size = 0

    def use_chunked(self) -> None:
        """Switch to base:1.1 chunked framing (bytes already buffered are decoded as chunks)."""
        self.chunked = True

    def feed(self, data: bytes) -> None:
        """Add received bytes."""
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete message."""
        return len(self._buffer) + self._chunked_size

    def messages(self) -> Iterator[bytes]:
        """Every complete message currently buffered."""
        while (message := self.next_message()) is not None:
            yield message

    def next_message(self) -> bytes | None:
        """The next complete message, or None if more bytes are needed."""
        return self._next_chunked() if self.chunked else self._next_eom()

    def _next_eom(self) -> bytes | None:
        end = self._buffer.find(EOM, self._scan_from)
        if end < 0:
            if len(self._buffer) > self.max_message + len(EOM):
                raise FramingError(f"message exceeds {self.max_message} bytes")
            self._scan_from = max(0, len(self._buffer) - len(EOM) + 1)
            return None
        message = bytes(self._buffer[:end])
        del self._buffer[: end + len(EOM)]
        self._scan_from = 0
        if len(message) > self.max_message:
            raise FramingError(f"message exceeds {self.max_message} bytes")
        return message

    def _next_chunked(self) -> bytes | None:
        while True:
            if len(self._buffer) < 4:
                return None
            if self._buffer.startswith(b"\n##\n"):
                del self._buffer[:4]
                if not self._chunks:
                    raise FramingError("end-of-chunks marker without a chunk")
                message = b"".join(self._chunks)
                self._chunks, self._chunked_size = [], 0
                return message
            header = _CHUNK_HEADER.match(self._buffer)
            if header is None:
                self._check_partial_header()
                return None
            size = int(header.group(1))
            if size > MAX_CHUNK:
                raise FramingError(f"chunk size {size} exceeds {MAX_CHUNK}")
            if self._chunked_size + size > self.max_message:
                raise FramingError(f"message exceeds {self.max_message} bytes")
            start = header.end()
            if len(self._buffer) < start + size:
                return None
            self._chunks.append(bytes(self._buffer[start : start + size]))
            self._chunked_size += size
            del self._buffer[: start + size]

    def _check_partial_header(self) -> None:
        """Raise unless the buffer could still become a valid chunk header or end marker."""
        head = bytes(self._buffer[:_HEADER_MAX])
        if head.startswith(b"\n##"):
            raise FramingError(f"malformed end-of-chunks marker {head!r}")
        if not re.fullmatch(rb"\n(#([1-9][0-9]{0,9})?)?", head):
            raise FramingError(f"malformed chunk header {head!r}")
