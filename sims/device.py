"""One simulated device: its model, datastore, credentials and open management sessions."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from lxml import etree

from sims.datastore import Datastore, Scheduler
from sims.models.base import DeviceModel

log = logging.getLogger(__name__)


class SimDevice:
    """State shared by every management session of one device."""

    def __init__(
        self,
        name: str,
        model: DeviceModel,
        *,
        username: str = "admin",
        password: str = "admin",
        scheduler: Scheduler | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.model = model
        self.username = username
        self.password = password
        self._clock = clock
        self.started = clock()
        self.datastore = Datastore(
            model.schema,
            model.initial_config(name),
            writable_running=model.writable_running,
            clock=clock,
            scheduler=scheduler,
        )
        self._sessions: dict[int, Callable[[], None]] = {}
        self._last_session_id = 0

    @property
    def session_ids(self) -> list[int]:
        """Ids of the open sessions."""
        return sorted(self._sessions)

    def check_password(self, username: str, password: str) -> bool:
        """Whether the credentials are this device's."""
        return username == self.username and password == self.password

    def open_session(self, closer: Callable[[], None]) -> int:
        """Register a session; ``closer`` ends its transport (used by kill-session)."""
        self._last_session_id += 1
        self._sessions[self._last_session_id] = closer
        return self._last_session_id

    def end_session(self, session_id: int) -> None:
        """Forget a session whose transport ended, releasing its locks and pending commits."""
        if self._sessions.pop(session_id, None) is not None:
            self.datastore.close_session(session_id)

    def kill_session(self, session_id: int) -> bool:
        """RFC 6241 §7.9: end another session; False if there is no such session."""
        closer = self._sessions.pop(session_id, None)
        if closer is None:
            return False
        self.datastore.close_session(session_id)
        log.info("%s: session %s killed", self.name, session_id)
        closer()
        return True

    def add_change_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (in the event loop) whenever running or the state may have changed;
        returns a function that removes it again."""
        listeners = self.datastore.listeners
        listeners.append(callback)

        def remove() -> None:
            if callback in listeners:
                listeners.remove(callback)

        return remove

    def notify_changed(self) -> None:
        """Tell change listeners that state moved without a config change (e.g. a link went down)."""
        for listener in list(self.datastore.listeners):
            listener()

    def operational(self, config: etree._Element | None = None) -> etree._Element:
        """Config and state, as ``<get>`` returns it; of ``config`` (a part of running) if given."""
        running = self.datastore.running if config is None else config
        return self.model.operational(running, self._clock() - self.started)
