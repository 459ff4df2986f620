"""SQLite writers of one process: queued on `core.sqlite_writers`' lock vs SQLite's busy handler.

Run: .venv/bin/python -m bench.sqlite_writer_queue [--threads 4] [--transactions 100] [--hold-ms 3]
Each thread runs short write transactions (an INSERT, `--hold-ms` of work, COMMIT) on its own
connection to one WAL database file, as the orders, the relay and the API do in one serve. Reports
the time from a transaction's first write to its commit, p50 / p99 / max, each way in turn.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

from core import sqlite_writers


def run(path: str, queued: bool, threads: int, transactions: int, hold: float) -> list[float]:
    def connect() -> sqlite3.Connection:
        kwargs = {"factory": sqlite_writers.connection_factory(path, 30.0)} if queued else {}
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False, **kwargs)  # type: ignore[arg-type]
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    setup = connect()
    setup.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    setup.commit()
    times: list[float] = []
    start = threading.Barrier(threads)

    def writer() -> None:
        conn = connect()
        start.wait()
        for i in range(transactions):
            t0 = time.perf_counter()
            conn.cursor().execute("INSERT INTO t VALUES (?)", (i,))
            time.sleep(hold)
            conn.commit()
            times.append(time.perf_counter() - t0)
            time.sleep(hold)
        conn.close()

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    setup.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--transactions", type=int, default=100)
    parser.add_argument("--hold-ms", type=float, default=3.0)
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    for pair in range(args.pairs):
        for queued in (False, True):
            with tempfile.TemporaryDirectory() as tmp:
                path = str(Path(tmp) / "w.db")
                t0 = time.perf_counter()
                times = sorted(run(path, queued, args.threads, args.transactions, args.hold_ms / 1000))
                wall = time.perf_counter() - t0
            p99 = times[int(len(times) * 0.99) - 1]
            print(
                f"pair {pair + 1} {'queued ' if queued else 'busy handler'}: write→commit ms "
                f"p50 {statistics.median(times) * 1e3:.1f} p99 {p99 * 1e3:.1f} max {times[-1] * 1e3:.1f}; "
                f"{len(times) / wall:.0f} transactions/s"
            )


if __name__ == "__main__":
    main()
