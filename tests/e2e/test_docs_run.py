"""The docs' walkthroughs run as written: every ```sh block whose info string says `runnable`
(README.md, docs/*.md) is executed with bash from the repository root, one block after the other
within one file, in a fresh ROM_VAR_DIR.

Each command must exit 0, or the code its trailing comment names (`# exit 1: ...`). The
virtualenv's bin is first on PATH, as the README's first line leaves it. Two things differ from a
person typing the block: `rom serve`'s port 8080 is replaced by a free port (other
tests may hold 8080), and whatever the blocks left running (`rom serve &`, a lab, a Kafka broker)
is stopped afterwards. A block that needs a tool (`needs=kafka`) is skipped when it is missing.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from lab.kafka_config import BrokerError, kafka_libdir
from lab.support import REPO, free_port

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^```sh\s+runnable(?P<opts>[^\n]*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
EXPECT = re.compile(r"#.*\bexit (\d+)\b")
LAB_UP = re.compile(r"\brom lab up (\S+)")


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int
    body: str
    needs: frozenset[str]


def blocks(doc: Path) -> list[Block]:
    text = doc.read_text()
    found = []
    for m in FENCE.finditer(text):
        opts = dict(o.split("=", 1) for o in m["opts"].split() if "=" in o)
        needs = frozenset(filter(None, opts.get("needs", "").split(",")))
        found.append(Block(doc, text.count("\n", 0, m.start()) + 1, m["body"], needs))
    return found


def commands(body: str) -> list[str]:
    """Logical lines (backslash continuations joined), comments and blank lines dropped."""
    joined = body.replace("\\\n", " ")
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def script(block: Block, port: int) -> str:
    """The block as bash: after each command, its exit code is checked against the expected one."""
    lines = ["set -u"]
    for n, command in enumerate(commands(block.body), 1):
        expected = int(m[1]) if (m := EXPECT.search(command)) else 0
        command = command.replace("8080", str(port))
        where = shlex.quote(f"{block.doc.name}:{block.line} command {n}: {command.split('#')[0].strip()}")
        failed = f'echo "FAILED "{where}": exit $rc, expected {expected}" >&2; exit 99'
        lines += [command, f'rc=$?; if [ "$rc" != {expected} ]; then {failed}; fi']
    return "\n".join(lines) + "\n"


def kafka_available() -> bool:
    """Java and the broker's jars (`make tools`) are there."""
    if shutil.which("java") is None:
        return False
    try:
        kafka_libdir(fetch=False)
    except BrokerError:
        return False
    return True


def runnable_docs() -> list[Path]:
    return [doc for doc in DOCS if blocks(doc)]


def test_the_readme_walkthrough_is_runnable() -> None:
    assert any("rom order submit" in b.body for b in blocks(REPO / "README.md"))


@pytest.mark.parametrize("doc", runnable_docs(), ids=lambda p: p.name)
def test_doc_runs_as_written(doc: Path, tmp_path: Path) -> None:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"  # the venv active
    env = {**os.environ, "PATH": path, "ROM_VAR_DIR": str(tmp_path / "var"), "COLUMNS": "80"}
    for name in ("ROM_DATABASE_URL", "ROM_API_URL", "ROM_KAFKA_BOOTSTRAP", "ROM_API_KEYS", "ROM_API_KEY"):
        env.pop(name, None)
    port = free_port()
    parts = [b for b in blocks(doc) if not b.needs or ("kafka" in b.needs and kafka_available())]
    body = "\n".join(script(b, port) for b in parts)
    # jobs started with & (rom serve, a broker) end with the script, whatever happened
    full = "trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n" + body
    labs = {t for b in parts for t in LAB_UP.findall(b.body)}
    try:
        done = subprocess.run(
            ["bash", "-c", full], cwd=REPO, env=env, capture_output=True, text=True, timeout=900
        )
    finally:
        for topology in labs:  # the walkthrough's own `rom lab down` may not have been reached
            subprocess.run(
                [str(REPO / ".venv/bin/rom"), "lab", "down", topology],
                cwd=REPO,
                env=env,
                capture_output=True,
                timeout=60,
            )
    assert done.returncode == 0, f"{done.stderr[-4000:]}\n--- stdout ---\n{done.stdout[-4000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-4000:]


def test_an_unexpected_exit_code_stops_the_block(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("text\n```sh runnable\ntrue\n(exit 1)   # exit 1: expected\nfalse\necho never\n```\n")
    [block] = blocks(doc)
    done = subprocess.run(["bash", "-c", script(block, 1)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 99
    assert "doc.md:2 command 3: false: exit 1, expected 0" in done.stderr
    assert "never" not in done.stdout
