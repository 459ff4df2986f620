"""Every table `rom` prints, at COLUMNS=80 against a running lab and `rom serve`: no line wider than
80 columns, and every word of every value either whole or cut with an ellipsis (never folded)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from lab.support import REPO
from tests.e2e.conftest import Lab
from tests.e2e.test_order_to_device import order_body

SPECS = ("l3vpn-endpoint", "transport-qos", "slice-ran", "slice-core")


def rom(lab: Lab, columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env={**lab.env, "COLUMNS": str(columns)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def words(text: str) -> list[str]:
    """The words of a rendering, box-drawing characters taken for spaces."""
    return re.sub("[\u2500-\u257f]", " ", text).split()


def unreadable(narrow: str, wide: str) -> list[str]:
    """Words of the wide rendering that the narrow one neither holds whole, nor cuts with `…`, nor
    (a device path) breaks before a `/`."""
    flat = " ".join(words(narrow))

    def readable(word: str) -> bool:
        if word in flat or any(f"{word[:n]}…" in flat for n in range(1, len(word))):
            return True
        pieces = re.split("(?=/)", word)
        return len(pieces) > 2 and all(piece in flat for piece in pieces if piece)

    return [word for word in dict.fromkeys(words(wide)) if not readable(word)]


@pytest.fixture(scope="module")
def filled(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    """One completed order (two endpoints), one failed dry run and one lab fault on record."""
    body = tmp_path_factory.mktemp("orders") / "order.json"
    body.write_text(json.dumps(order_body("TABLES-80", 680)))
    done = lab.rom("order", "submit", str(body))
    assert done.returncode == 0, done.stderr
    fault = lab.rom("lab", "fault", "pe2", "latency", "--latency-ms", "5")
    assert fault.returncode == 0, fault.stderr
    schema = lab.rom("device", "schema", "fetch", "pe1")
    assert schema.returncode in (0, 1), schema.stderr
    return lab


TABLES = [
    ("inventory", "show"),
    ("inventory", "devices"),
    ("inventory", "pools"),
    ("inventory", "owners"),
    ("device", "list"),
    ("device", "schema", "show", "pe1"),
    ("catalog", "list"),
    *[("catalog", "show", spec) for spec in SPECS],
    ("lab", "status"),
    ("lab", "faults"),
    ("order", "list"),
    ("order", "get", "{order}"),
    ("audit", "list"),
    ("drift", "report"),
    ("db", "current"),
    ("db", "history"),
]


@pytest.mark.parametrize("args", TABLES, ids=" ".join)
def test_table_fits_80_columns_without_folding(filled: Lab, args: tuple[str, ...]) -> None:
    """The same command at 400 columns is the reference: each of its words must survive at 80."""
    ids = {
        "order": json.loads(rom(filled, 80, "order", "list", "--json").stdout)[0]["id"][:8],
    }
    args = tuple(arg.format(**ids) for arg in args)
    narrow, wide = rom(filled, 80, *args), rom(filled, 400, *args)
    assert narrow.returncode in (0, 1) and narrow.returncode == wide.returncode, narrow.stderr
    assert narrow.stdout.strip(), args
    too_wide = [line for line in narrow.stdout.splitlines() if len(line) > 80]
    assert not too_wide, narrow.stdout
    assert not unreadable(narrow.stdout, wide.stdout), narrow.stdout
