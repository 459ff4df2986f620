"""Per-datastore locks owned by session ids (RFC 6241 §7.5, §7.6)."""

from __future__ import annotations

from sims.errors import protocol_error


class LockTable:
    """Which session holds which datastore's lock."""

    def __init__(self) -> None:
        self._owners: dict[str, int] = {}

    def owner(self, target: str) -> int | None:
        """The session holding ``target``'s lock, if any."""
        return self._owners.get(target)

    def acquire(self, target: str, session_id: int) -> None:
        """Take the lock; lock-denied (with the holder's session-id) if it is held."""
        owner = self._owners.get(target)
        if owner is not None:
            raise protocol_error(
                "lock-denied", f"{target} is locked by session {owner}", **{"session-id": str(owner)}
            )
        self._owners[target] = session_id

    def release(self, target: str, session_id: int) -> None:
        """Give the lock back; operation-failed unless ``session_id`` holds it."""
        owner = self._owners.get(target)
        if owner != session_id:
            message = f"{target} is not locked" if owner is None else f"{target} is locked by session {owner}"
            raise protocol_error("operation-failed", message, **{"session-id": str(owner or 0)})
        del self._owners[target]

    def release_all(self, session_id: int) -> list[str]:
        """Drop every lock of a session; returns the datastores it held."""
        held = [target for target, owner in self._owners.items() if owner == session_id]
        for target in held:
            del self._owners[target]
        return held

    def check_free_for(self, target: str, session_id: int) -> None:
        """in-use if another session holds ``target``'s lock."""
        owner = self._owners.get(target)
        if owner is not None and owner != session_id:
            raise protocol_error(
                "in-use", f"{target} is locked by session {owner}", **{"session-id": str(owner)}
            )
