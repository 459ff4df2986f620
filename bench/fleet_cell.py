"""ROM's transaction from another source tree, for `bench/fleet_transaction.py --baseline TREE`.

    python bench/fleet_cell.py TREE TARGETS.json WORKERS

Imports `drivers` from TREE (e.g. main's: `git archive main | tar -x -C /tmp/main`), keeps one
`SessionPool` for its life and reads one command a line on stdin: `round PAYLOADS.json PERSIST_ID`
runs `run_transaction` over the devices of TARGETS.json (a list of `DeviceTarget` fields) and
prints `{"seconds": s, "ok": bool, "errors": [...]}`; `quit` closes the pool and exits.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    tree, targets_file, workers = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    sys.path.insert(0, str(Path(tree).resolve()))
    from drivers.base import DeviceTarget
    from drivers.nornir_plugins import make_nornir
    from drivers.pool import SessionPool
    from drivers.transaction import run_transaction

    targets = [DeviceTarget(**t) for t in json.loads(targets_file.read_text())]
    pool = SessionPool()
    try:
        for line in sys.stdin:
            command = line.split()
            if not command or command[0] == "quit":
                break
            payloads = json.loads(Path(command[1]).read_text())
            nr = make_nornir(targets, workers=workers, pool=pool)
            t0 = time.perf_counter()
            out = run_transaction(nr, payloads, confirm_timeout=300, persist_id=command[2])
            seconds = time.perf_counter() - t0
            print(json.dumps({"seconds": seconds, "ok": out.ok, "errors": out.errors[:3]}), flush=True)
    finally:
        pool.close_all()


if __name__ == "__main__":
    main()
