"""One network-wide transaction (subinterface + VRF on every router) three ways, in one run.

    .venv/bin/python bench/fleet_transaction.py [--devices 100 1000] [--rounds 5] [--large-rounds 3]
        [--ansible-rounds 2] [--ansible-budget 300] [--workers 100] [--forks 50] [--write bench/RESULTS.md]
        [--baseline /tmp/main --baseline-label "(main)"]

For each fleet size N a simulator fleet runs in its own process (`python -m sims --count N
--no-gnmi`) and every round pushes the `l3vpn-endpoint` catalog entry (rendered through
`intent.planner`: a VLAN subinterface with an IPv4 address and an L3VRF network-instance) to all N
routers, a new VLAN and VRF each round, measured three ways:

- **ROM**: `drivers.transaction.run_transaction` (lock, discard unless the session knows the
  candidate is clean, edit-config, confirmed commit with persist-id, confirm, unlock), one
  `SessionPool` across rounds (round 1 opens the SSH sessions, host keys checked).
- **ROM from `--baseline TREE`** (optional): the same from another checkout's `drivers` (e.g. main,
  to measure a change side by side), in a subprocess (`bench/fleet_cell.py`) with its own pool.
- **Nornir + ncclient**: the glue peer, a plain Nornir task per host with stock ncclient:
  `manager.connect`, lock candidate, edit-config, commit, unlock, close (no confirmed commit).
- **Ansible**: `ansible-playbook` (subprocess) running `ansible.netcommon.netconf_config`
  (`target: candidate`, `lock: always`, `commit: true`) over a generated inventory
  (`ansible_connection=ansible.netcommon.netconf`, `ansible_network_os=ansible.netcommon.default`).
  Ansible is not a project dependency: install it into the venv with `.venv/bin/pip install ansible`
  (the `ansible` package bundles `ansible.netcommon`); without it the column is skipped with a message.
  When the 100-device Ansible time scaled to 1,000 devices exceeds `--ansible-budget` seconds per
  round, Ansible is not run at 1,000 (the table says so).

Round 1 of each ROM runs first (the baseline's before ours), then the methods take turns round by
round (each round starting with the next method), so a loaded machine weighs on all alike. At the
end, three devices (first, middle, last) are read back over NETCONF to check each method's last VRF
landed. Prints a Markdown table; `--write FILE` replaces this benchmark's
section of FILE.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.task import Result, Task
from nornir.plugins.runners import ThreadedRunner

from bench._harness import replace_section
from bench.netconf_fleet_push import fleet_targets
from core.tmf652 import ResourceOrderCreate
from drivers.base import DeviceTarget
from drivers.nornir_plugins import make_nornir
from drivers.pool import SessionPool
from drivers.transaction import run_transaction
from intent.catalog import Catalog
from intent.planner import intended_for, participant_payloads, plan_order
from lab.support import netconf_connect

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Network-wide transaction vs Ansible and Nornir (issue 4)"
NI = "http://openconfig.net/yang/network-instance"
GOAL_SECONDS_1000 = 20.0
GOAL_VS_ANSIBLE = 5.0
ORDER_ITEMS = 100


# --- payloads ------------------------------------------------------------------------------------


def order(names: Sequence[str], n: int, offset: int = 0) -> ResourceOrderCreate:
    """An `l3vpn-endpoint` per device: VRF `B<n>`, VLAN subinterface `Ethernet2.<vlan>`, one /30 each."""
    items = []
    for i, device in enumerate(names, start=offset):
        values = {
            "device": device,
            "vrfName": f"B{n}",
            "routeDistinguisher": f"65100:{n}",
            "interface": "Ethernet2",
            "vlanId": 100 + n % 3900,
            "ipv4Address": f"10.{n % 250}.{i // 64}.{i % 64 * 4 + 1}",
            "prefixLength": 30,
        }
        chars = [{"name": k, "value": v} for k, v in values.items()]
        items.append(
            {
                "id": str(i - offset + 1),
                "action": "add",
                "resourceSpecification": {"id": "l3vpn-endpoint"},
                "resource": {"resourceCharacteristic": chars},
            }
        )
    return ResourceOrderCreate.model_validate({"orderItem": items})


def render(catalog: Catalog, targets: Sequence[DeviceTarget], n: int) -> dict[str, str]:
    """device -> NETCONF `<config>` of round `n`, through the catalog and planner (orders of 100)."""
    platforms = {t.name: t.platform for t in targets}
    names = [t.name for t in targets]
    out: dict[str, str] = {}
    for start in range(0, len(names), ORDER_ITEMS):  # a TMF order holds at most 100 items
        planned = plan_order(order(names[start : start + ORDER_ITEMS], n, start), catalog, platforms)
        payloads = participant_payloads([w for item in planned for w in intended_for(catalog, item)])
        out.update((device, per["netconf"]) for device, per in payloads.items())
    return out


# --- the three ways ------------------------------------------------------------------------------


def rom_round(
    targets: Sequence[DeviceTarget], pool: SessionPool, workers: int, payloads: dict[str, str]
) -> None:
    nr = make_nornir(targets, workers=workers, pool=pool)
    out = run_transaction(nr, payloads, confirm_timeout=300, persist_id=f"bench-{time.monotonic_ns()}")
    if not out.ok:
        raise SystemExit(f"ROM transaction failed: {out.errors[:3]}")


def _ncclient_push(task: Task, payloads: dict[str, str]) -> Result:
    """The glue peer: what a plain Nornir + ncclient script does per host."""
    h = task.host
    assert h.hostname and h.port, h.name
    with netconf_connect(h.hostname, h.port, username=h.username, password=h.password, timeout=120) as m:
        m.lock("candidate")
        try:
            m.edit_config(config=payloads[h.name], target="candidate")
            m.commit()
        finally:
            m.unlock("candidate")
    return Result(host=h, changed=True)


def plain_nornir(targets: Sequence[DeviceTarget], workers: int) -> Nornir:
    hosts = Hosts(
        {
            t.name: Host(t.name, hostname=t.host, port=t.port, username=t.username, password=t.password)
            for t in targets
        }
    )
    inventory = Inventory(hosts=hosts, groups=Groups(), defaults=Defaults())
    return Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))


def nornir_round(targets: Sequence[DeviceTarget], workers: int, payloads: dict[str, str]) -> None:
    result = plain_nornir(targets, workers).run(task=_ncclient_push, payloads=payloads)
    if result.failed:
        host, multi = next((h, m) for h, m in result.items() if m.failed)
        raise SystemExit(f"Nornir + ncclient failed on {host}: {multi[0].exception}")


def ansible_missing() -> str | None:
    """Why the Ansible peer cannot run, or None."""
    if shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) is None:
        return "ansible-playbook is not in the venv"
    if importlib.util.find_spec("ansible_collections.ansible.netcommon") is None:
        return "the ansible.netcommon collection is missing"
    return None


def ansible_version() -> str:
    spec = importlib.util.find_spec("ansible_collections")
    where = list(spec.submodule_search_locations or []) if spec else []
    manifest = Path(where[0], "ansible", "netcommon", "MANIFEST.json") if where else None
    netcommon = "?"
    if manifest is not None and manifest.exists():
        netcommon = json.loads(manifest.read_text())["collection_info"]["version"]
    return (
        f"ansible {metadata.version('ansible')} (ansible-core {metadata.version('ansible-core')}, "
        f"ansible.netcommon {netcommon})"
    )


PLAYBOOK = """\
- hosts: all
  gather_facts: false
  tasks:
    - name: subinterface + VRF
      ansible.netcommon.netconf_config:
        content: "{{ payload }}"
        target: candidate
        lock: always
        commit: true
"""


def ansible_round(targets: Sequence[DeviceTarget], forks: int, payloads: dict[str, str], work: Path) -> None:
    hosts = {
        t.name: {"ansible_host": t.host, "ansible_port": t.port, "payload": payloads[t.name]} for t in targets
    }
    common = {
        "ansible_connection": "ansible.netcommon.netconf",
        "ansible_network_os": "ansible.netcommon.default",
        "ansible_user": "admin",
        "ansible_password": "admin",
        "ansible_python_interpreter": sys.executable,
    }
    (work / "inventory.yml").write_text(yaml.safe_dump({"all": {"vars": common, "hosts": hosts}}))
    (work / "play.yml").write_text(PLAYBOOK)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOME": str(work / "home"),
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_PERSISTENT_COMMAND_TIMEOUT": "300",
        "ANSIBLE_PERSISTENT_CONNECT_TIMEOUT": "300",
    }
    cmd = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i",
        "inventory.yml",
        "-f",
        str(forks),
        "play.yml",
    ]
    done = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False)
    recap = re.findall(r"failed=(\d+)", done.stdout)
    if done.returncode != 0 or len(recap) != len(targets) or any(x != "0" for x in recap):
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-15:])
        raise SystemExit(f"ansible-playbook failed (rc {done.returncode}):\n{tail}")


def verify(targets: Sequence[DeviceTarget], vrf: str) -> None:
    """Read three devices back over NETCONF: the VRF of the last round must be in running."""
    for t in {
        targets[0].name: targets[0],
        targets[len(targets) // 2].name: targets[len(targets) // 2],
        targets[-1].name: targets[-1],
    }.values():
        with netconf_connect(t.host, t.port, username=t.username, password=t.password, timeout=60) as m:
            data = m.get_config("running", filter=("subtree", f'<network-instances xmlns="{NI}"/>')).data_ele
            names = data.xpath("//ni:network-instance/ni:name/text()", namespaces={"ni": NI})
            if vrf not in names:
                raise SystemExit(f"{t.name}: VRF {vrf} not in running after the round (found {names})")


# --- running and reporting -----------------------------------------------------------------------


@dataclass
class Row:
    devices: int
    method: str
    samples: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


@dataclass
class Counter:
    n: int = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def one_round(
    row: Row,
    targets: Sequence[DeviceTarget],
    catalog: Catalog,
    counter: Counter,
    push: Callable[[dict[str, str]], None],
) -> int:
    """One round of `push` with fresh payloads, timed into `row`; the round's number."""
    n = counter.next()
    payloads = render(catalog, targets, n)
    t0 = time.perf_counter()
    push(payloads)
    row.samples.append(time.perf_counter() - t0)
    print(f"  {row.devices} devices, {row.method}: {row.samples[-1]:.2f} s", file=sys.stderr, flush=True)
    return n


def measure(
    row: Row,
    rounds: int,
    targets: Sequence[DeviceTarget],
    catalog: Catalog,
    counter: Counter,
    push: Callable[[dict[str, str]], None],
) -> None:
    n = 0
    for _ in range(rounds):
        n = one_round(row, targets, catalog, counter, push)
    verify(targets, f"B{n}")


class Baseline:
    """ROM from another source tree (`bench/fleet_cell.py` in a subprocess, its own pool)."""

    def __init__(self, tree: Path, targets: Sequence[DeviceTarget], workers: int, work: Path) -> None:
        self.work = work
        spec = work / "targets.json"
        spec.write_text(json.dumps([dataclasses.asdict(t) for t in targets]))
        cell = str(Path(__file__).resolve().parent / "fleet_cell.py")
        self.proc = subprocess.Popen(
            [sys.executable, cell, str(tree), str(spec), str(workers)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def push(self, payloads: dict[str, str]) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        path = self.work / "payloads.json"
        path.write_text(json.dumps(payloads))
        self.proc.stdin.write(f"round {path} base-{time.monotonic_ns()}\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline() or "null")
        if not answer or not answer["ok"]:
            raise SystemExit(f"baseline ROM transaction failed: {answer}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(120)


def run(args: argparse.Namespace) -> list[Row]:
    catalog = Catalog.load()
    counter = Counter()
    missing = ansible_missing()
    if missing:
        print(
            f"Ansible peer skipped: {missing}. Install it (bench only, not a project dependency) with "
            "`.venv/bin/pip install ansible`.",
            file=sys.stderr,
        )
    rows: list[Row] = []
    ansible_per_device: float | None = None
    for size in args.devices:
        rounds = args.rounds if size <= 100 else args.large_rounds
        with fleet_targets(size, external=True) as targets, tempfile.TemporaryDirectory() as work:
            pool = SessionPool()

            def rom_push(
                p: dict[str, str], pool: SessionPool = pool, targets: list[DeviceTarget] = targets
            ) -> None:
                rom_round(targets, pool, args.workers, p)

            def glue_push(p: dict[str, str], targets: list[DeviceTarget] = targets) -> None:
                nornir_round(targets, args.workers, p)

            # (row, push) per method; round 1 of each ROM first (the baseline's before ours: ours
            # then runs with the baseline's sessions open on the fleet), then the methods take
            # turns round by round, each round starting with the next method.
            cells: list[tuple[Row, Callable[[dict[str, str]], None]]] = []
            baseline = Baseline(args.baseline, targets, args.workers, Path(work)) if args.baseline else None
            last: dict[str, int] = {}
            try:
                if baseline is not None:
                    cold = Row(size, f"ROM {args.baseline_label}, round 1 (opens the pooled sessions)")
                    last[cold.method] = one_round(cold, targets, catalog, counter, baseline.push)
                    rows.append(cold)
                    cells.append((Row(size, f"ROM {args.baseline_label}, pooled sessions"), baseline.push))
                rom_cold = Row(size, "ROM, round 1 (opens the pooled sessions)")
                last[rom_cold.method] = one_round(rom_cold, targets, catalog, counter, rom_push)
                rows.append(rom_cold)
                cells.insert(0, (Row(size, "ROM, pooled sessions"), rom_push))
                cells.append((Row(size, "Nornir + stock ncclient"), glue_push))
                for i in range(rounds):
                    for row, push in cells[i % len(cells) :] + cells[: i % len(cells)]:
                        last[row.method] = one_round(row, targets, catalog, counter, push)
            finally:
                if baseline is not None:
                    baseline.close()
                pool.close_all()
            for row, _ in cells:
                verify(targets, f"B{last[row.method]}")
            rows += [row for row, _ in cells]
            ans = Row(size, "Ansible netconf_config")
            rows.append(ans)
            if missing:
                ans.note = f"skipped: {missing}"
                continue
            if ansible_per_device is not None and ansible_per_device * size > args.ansible_budget:
                ans.note = (
                    f"not run: ~{ansible_per_device * size:.0f} s per round expected "
                    f"(> --ansible-budget {args.ansible_budget:.0f} s)"
                )
                continue
            with tempfile.TemporaryDirectory(prefix="rom-bench-ansible-") as ansible_work:
                measure(
                    ans,
                    min(rounds, args.ansible_rounds),
                    targets,
                    catalog,
                    counter,
                    lambda p: ansible_round(targets, args.forks, p, Path(ansible_work)),
                )
            ansible_per_device = (ans.median or 0.0) / size
    return rows


def table(rows: list[Row]) -> str:
    out = [
        "| devices | method | rounds | median s | ratio vs ROM pooled | ratio vs ROM round 1 |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ref = next(r for r in rows if r.devices == row.devices and r.method == "ROM, pooled sessions").median
        cold = next(
            r for r in rows if r.devices == row.devices and r.method.startswith("ROM, round 1")
        ).median
        if row.median is None or ref is None or cold is None:
            out.append(f"| {row.devices} | {row.method} | 0 | {row.note} | | |")
            continue
        out.append(
            f"| {row.devices} | {row.method} | {len(row.samples)} | {row.median:.2f} "
            f"| {row.median / ref:.1f}x | {row.median / cold:.1f}x |"
        )
    return "\n".join(out)


def goals(rows: list[Row]) -> list[str]:
    def med(devices: int, method: str) -> float | None:
        return next((r.median for r in rows if r.devices == devices and r.method.startswith(method)), None)

    lines = []
    warm, cold = med(1000, "ROM, pooled"), med(1000, "ROM, round 1")
    if warm is not None and cold is not None:
        verdict = "met" if max(warm, cold) <= GOAL_SECONDS_1000 else "NOT met"
        lines.append(
            f"- 1,000 devices ≤ {GOAL_SECONDS_1000:.0f} s (ROM): {verdict} — {cold:.2f} s round 1 "
            f"(sessions opened), {warm:.2f} s median with pooled sessions."
        )
    for size in sorted({r.devices for r in rows}):
        glue, warm = med(size, "Nornir"), med(size, "ROM, pooled")
        if glue is not None and warm is not None and glue < warm:
            lines.append(
                f"- Not a stated goal, but at {size} devices the Nornir + stock ncclient peer "
                f"({glue:.2f} s) beat ROM with pooled sessions ({warm:.2f} s): ROM's time grows faster "
                "than the device count (more RPCs per device, confirmed commit + confirm, and one "
                "session thread per pooled device on 2 CPUs shared with the fleet); to investigate."
            )
    for size in sorted({r.devices for r in rows}):
        ans, warm, cold = med(size, "Ansible"), med(size, "ROM, pooled"), med(size, "ROM, round 1")
        if ans is None or warm is None or cold is None:
            continue
        verdict = "met" if ans / cold >= GOAL_VS_ANSIBLE else "NOT met"
        lines.append(
            f"- ROM ≥ {GOAL_VS_ANSIBLE:.0f}x faster than Ansible at {size} devices: {verdict} — "
            f"{ans / warm:.1f}x (pooled), {ans / cold:.1f}x (round 1, fresh sessions like Ansible's)."
        )
    return lines


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import ncclient

    nornir_version = metadata.version("nornir")
    peers = ansible_version() if ansible_missing() is None else "Ansible not installed"
    return (
        f"{os.cpu_count()} CPUs (`nproc`), {model}; Python {platform.python_version()}, "
        f"ncclient {ncclient.__version__}, nornir {nornir_version}, {peers}."
    )


def section(rows: list[Row], args: argparse.Namespace, command: str) -> str:
    rounds = (
        f"{args.rounds} rounds at ≤ 100 devices, {args.large_rounds} above; "
        f"Ansible at most {args.ansible_rounds}"
    )
    return "\n".join(
        [
            SECTION,
            "",
            f"Measured {time.strftime('%Y-%m-%d')}. Machine: {machine()}",
            "",
            "```",
            command,
            "```",
            "",
            "One round = the `l3vpn-endpoint` catalog entry (VLAN subinterface + IPv4 address + L3VRF,",
            "rendered by `intent.planner`) pushed to every router of a simulator fleet that runs in its own",
            "process (`python -m sims --count N --no-gnmi`), a new VLAN and VRF each round.",
            "",
            "- ROM: `run_transaction` (lock, [discard], edit, confirmed commit with persist-id, confirm),",
            f"  {args.workers} Nornir workers, one `SessionPool` (round 1 opens the sessions, later rounds",
            "  reuse them); SSH host keys checked against known_hosts (strict, the default).",
            f"- Nornir + stock ncclient: {args.workers} workers; per host `manager.connect`, lock,",
            "  edit-config, commit, unlock, close (no confirmed commit, host keys not checked).",
            f"- Ansible: `ansible-playbook -f {args.forks}` running `ansible.netcommon.netconf_config`",
            "  (`target: candidate`, `lock: always`, `commit: true`) with",
            "  `ansible_connection=ansible.netcommon.netconf` and",
            "  `ansible_network_os=ansible.netcommon.default` (plain `default` resolves to the same plugin).",
            "  Installed into the venv only for the bench (`.venv/bin/pip install ansible`; not in",
            "  pyproject.toml); without it the bench prints how to install it and skips the column.",
            "",
            f"Wall-clock seconds per round, medians ({rounds}); the methods take turns round by round;",
            "at the end three devices (first, middle, last) are read back over NETCONF to check each",
            "method's last VRF landed.",
            "",
            table(rows),
            "",
            *goals(rows),
            "",
        ]
    )


def write_section(path: Path, text: str) -> None:
    replace_section(path, SECTION, text)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--rounds", type=int, default=5, help="rounds at ≤ 100 devices")
    ap.add_argument("--large-rounds", type=int, default=3, help="rounds above 100 devices")
    ap.add_argument("--ansible-rounds", type=int, default=2, help="at most this many Ansible rounds")
    ap.add_argument("--ansible-budget", type=float, default=300.0, help="skip Ansible above ~this s/round")
    ap.add_argument("--workers", type=int, default=100, help="Nornir workers (ROM and the glue peer)")
    ap.add_argument("--forks", type=int, default=50, help="Ansible forks")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="also run ROM from this source tree's drivers, interleaved (e.g. main's: "
        "`git archive main | tar -x -C /tmp/main`)",
    )
    ap.add_argument("--baseline-label", default="(baseline)", help="how the table names the baseline")
    ap.add_argument("--write", type=Path, help="replace this benchmark's section of this file")
    args = ap.parse_args()
    rows = run(args)
    command = ".venv/bin/python bench/fleet_transaction.py " + shlex.join(sys.argv[1:])
    text = section(rows, args, command.strip())
    print(text)
    if args.write is not None:
        write_section(args.write, text)


if __name__ == "__main__":
    main()
