"""Logging for the `rom` command: ROM's own warnings at the default level, one line each; the
libraries' failure logs (Nornir's per-host tracebacks, paramiko's and ncclient's transport errors,
aiokafka's reconnect errors) silenced, because ROM reports those failures itself, one line per
device. `ROM_LOG_LEVEL=DEBUG` or `rom --debug` shows everything, tracebacks included."""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# library loggers whose failures ROM turns into its own one-line results, notes or errors
QUIET = {
    "nornir": logging.CRITICAL,  # "task failed with traceback" per host: the result carries it
    "paramiko": logging.CRITICAL,  # banner/transport errors: a TransportError per device
    "ncclient": logging.CRITICAL,  # session errors: mapped to drivers.errors
    "aiokafka": logging.CRITICAL,  # reconnects and metadata retries: telemetry counts what is lost
    "kafka": logging.CRITICAL,
    "asyncssh": logging.WARNING,
}


def level_from_env() -> int:
    """`ROM_LOG_LEVEL` (a level name or number; default WARNING)."""
    value = os.environ.get("ROM_LOG_LEVEL", "").strip().upper()
    if not value:
        return logging.WARNING
    if value.isdigit():
        return int(value)
    level = logging.getLevelName(value)
    return level if isinstance(level, int) else logging.WARNING


def configure(debug: bool = False) -> int:
    """Set up logging once per process; returns the root level. Debug (or a level at or below
    DEBUG) leaves the libraries' loggers alone."""
    level = logging.DEBUG if debug else level_from_env()
    logging.basicConfig(level=level, format=FORMAT, force=True)
    logging.getLogger().setLevel(level)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(logging.NOTSET if level <= logging.DEBUG else max(quiet, level))
    return level


def debugging() -> bool:
    return logging.getLogger().getEffectiveLevel() <= logging.DEBUG
