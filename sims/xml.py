"""The simulators' XML parser: one per thread (an lxml parser must not be used by two threads at
once, and every fleet runs its servers in a thread of its own)."""

from __future__ import annotations

import threading

from lxml import etree

_LOCAL = threading.local()


def parser() -> etree.XMLParser:
    """This thread's parser: blank text dropped, no entities resolved, no network."""
    made: etree.XMLParser | None = getattr(_LOCAL, "parser", None)
    if made is None:
        made = _LOCAL.parser = etree.XMLParser(
            remove_blank_text=True, resolve_entities=False, no_network=True, huge_tree=False
        )
    return made
