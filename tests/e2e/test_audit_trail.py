"""The audit trail end to end: orders (completed and rejected by a device), a CLI edit and a drift
remediation on the lab's simulators, read back through `/admin/audit` and `rom audit`."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lab.support import free_port, running_lab, serving, wait_order
from tests.e2e.conftest import REPO, TOPOLOGY, Lab, api_key
from tests.e2e.test_order_to_device import ORDERS, netconf, order_body

pytestmark = pytest.mark.e2e
AUDIT = "/admin/audit"
SOM_KEY, AUDITOR_KEY = "som-secret-1", "auditor-secret-2"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The e2e lab with access control on: `som-prod` submits orders, `auditor` reads the trail."""
    var_dir = tmp_path_factory.mktemp("rom-audit")
    port = free_port()
    keys = [
        api_key("som-prod", SOM_KEY, ["orders:read", "orders:write", "inventory:read"]),
        api_key("auditor", AUDITOR_KEY, ["admin"]),
    ]
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(var_dir),
        "ROM_API_URL": f"http://127.0.0.1:{port}",
        "ROM_CONFIRM_TIMEOUT": "60",
        "ROM_API_KEYS": json.dumps(keys),
        "ROM_API_KEY": AUDITOR_KEY,  # what the `rom audit` CLI presents
        "COLUMNS": "250",
        "ROM_SSH_HOST_KEY_POLICY": "tofu",  # host keys are another test's subject
    }
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log", port) as client:
        client.headers["Authorization"] = f"Bearer {SOM_KEY}"
        yield Lab(env, client, var_dir)


def audit(lab: Lab, **params: str) -> tuple[list[dict[str, Any]], httpx.Response]:
    response = lab.api.get(AUDIT, params=params, headers={"Authorization": f"Bearer {AUDITOR_KEY}"})
    assert response.status_code == 200, response.text
    return response.json(), response


def submit(lab: Lab, vrf: str, vlan: int, correlation_id: str) -> dict[str, Any]:
    created = lab.api.post(ORDERS, json=order_body(vrf, vlan), headers={"X-Correlation-ID": correlation_id})
    assert created.status_code == 201, created.text
    return wait_order(lab.api, created.json()["id"])


def test_completed_order_is_audited_per_device_with_its_diff(lab: Lab) -> None:
    final = submit(lab, "CUST-AUD1", 510, "corr-audit-ok")
    assert final["state"] == "completed", final.get("note")
    entries, response = audit(lab, orderId=final["id"])
    assert response.headers["X-Total-Count"] == "2" and response.headers["X-Result-Count"] == "2"
    assert sorted(e["device"] for e in entries) == ["pe1", "pe2"]
    for e in entries:
        assert (e["action"], e["outcome"], e["error"]) == ("confirm", "confirmed", None)
        assert (e["correlationId"], e["principal"], e["protocols"]) == (
            "corr-audit-ok",
            "som-prod",
            ["netconf"],
        )
        added = [line for line in e["diff"].splitlines() if line.startswith("+")]
        assert any("CUST-AUD1" in line for line in added), e["diff"]
        assert any("510" in line for line in added), e["diff"]
    one = lab.api.get(f"{AUDIT}/{entries[0]['id']}", headers={"Authorization": f"Bearer {AUDITOR_KEY}"})
    assert one.status_code == 200 and one.json() == entries[0]
    by_correlation, _ = audit(lab, correlationId="corr-audit-ok", device="pe2")
    assert [e["device"] for e in by_correlation] == ["pe2"]


def test_rejected_order_is_audited_as_failure_and_rollback(lab: Lab) -> None:
    with netconf(lab, "pe2") as holder:
        holder.lock(target="candidate")
        final = submit(lab, "CUST-AUD2", 520, "corr-audit-bad")
    assert final["state"] == "failed"
    entries = {e["device"]: e for e in audit(lab, correlationId="corr-audit-bad")[0]}
    pe1, pe2 = entries["pe1"], entries["pe2"]
    assert (pe1["action"], pe1["outcome"], pe1["orderId"]) == ("rollback", "rolledBack", final["id"])
    assert "CUST-AUD2" in pe1["diff"] and "lock-denied" in pe1["error"] and "pe2" in pe1["error"]
    assert (pe2["action"], pe2["outcome"], pe2["diff"]) == ("stage", "failed", "")
    assert "lock-denied" in pe2["error"] and pe2["principal"] == "som-prod"


def test_cli_lists_and_shows_entries(lab: Lab) -> None:
    final = submit(lab, "CUST-AUD3", 530, "corr-audit-cli")
    assert final["state"] == "completed"
    listed = lab.rom("audit", "list", "--order", final["id"], "--format", "json")
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert entries == audit(lab, orderId=final["id"])[0]
    table = lab.rom("audit", "list", "--correlation-id", "corr-audit-cli", "--device", "pe1")
    assert table.returncode == 0 and "pe1" in table.stdout and "confirmed" in table.stdout
    assert "som-prod" in table.stdout and "pe2" not in table.stdout
    shown = lab.rom("audit", "show", str(entries[0]["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "CUST-AUD3" in shown.stdout and "corr-audit-cli" in shown.stdout and "confirmed" in shown.stdout


def test_cli_edit_and_drift_remediation_are_audited(lab: Lab) -> None:
    final = submit(lab, "CUST-A", 540, "corr-audit-drift")
    assert final["state"] == "completed"
    me = f"cli:{getpass.getuser()}"
    edit = lab.rom("device", "edit-config", "pe1", str(REPO / "docs" / "examples" / "oob-change-rd.xml"))
    assert edit.returncode == 0, edit.stderr
    [edited] = audit(lab, principal=me, device="pe1", limit="1")[0]
    assert edited["outcome"] == "confirmed" and edited["correlationId"].startswith("cli-")
    assert any(line.startswith("+ ") and "65000:999" in line for line in edited["diff"].splitlines())
    assert edited["orderId"] is None
    fixed = lab.rom("drift", "remediate", "--apply", "--device", "pe1")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    [remedied] = audit(lab, principal=me, device="pe1", limit="1")[0]
    assert remedied["correlationId"].startswith("drift-") and remedied["outcome"] == "confirmed"
    assert any(line.startswith("- ") and "65000:999" in line for line in remedied["diff"].splitlines())


def test_bad_queries_and_access(lab: Lab) -> None:
    auditor = {"Authorization": f"Bearer {AUDITOR_KEY}"}
    for params, fragment in [
        ({"since": "yesterday"}, "not a valid datetime"),
        ({"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, "since must be before until"),
        ({"colour": "red"}, "cannot filter on 'colour'"),
    ]:
        response = lab.api.get(AUDIT, params=params, headers=auditor)
        assert response.status_code == 400 and response.json()["code"] == "400", response.text
        assert fragment in response.json()["message"]
    missing = lab.api.get(f"{AUDIT}/999999", headers=auditor)
    assert missing.status_code == 404 and missing.json()["code"] == "404"
    assert lab.api.get(f"{AUDIT}/0", headers=auditor).status_code == 400
    assert lab.api.get(AUDIT).status_code == 403  # the SOM's key has no admin scope
    bad_cli = lab.rom("audit", "list", "--since", "yesterday")
    assert bad_cli.returncode == 2 and "not a valid datetime" in bad_cli.stderr
    gone = lab.rom("audit", "show", "999999")
    assert gone.returncode == 2 and "not found" in gone.stderr
