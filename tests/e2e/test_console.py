"""The operator console over real HTTP: `rom serve` with access control on, the lab's simulators,
pages read as a browser would (session cookie from the login form, CSRF tokens in forms)."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lab.support import free_port, running_lab, serving, wait_order
from tests.e2e.conftest import REPO, TOPOLOGY, Lab, api_key
from tests.e2e.test_order_to_device import EXAMPLE, ORDERS, order_body

pytestmark = pytest.mark.e2e
SOM_KEY, NOC_KEY, ADMIN_KEY = "som-console-1", "noc-console-2", "admin-console-3"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The l3vpn lab; `som` submits orders, `noc` only reads, `ops` may also fix drift (admin)."""
    var_dir = tmp_path_factory.mktemp("rom-console")
    port = free_port()
    keys = [
        api_key("som", SOM_KEY, ["orders:read", "orders:write", "inventory:read"]),
        api_key("noc", NOC_KEY, ["orders:read", "inventory:read"]),
        api_key("ops", ADMIN_KEY, ["orders:read", "inventory:read", "admin"]),
    ]
    env = {
        **os.environ,
        "ROM_VAR_DIR": str(var_dir),
        "ROM_API_URL": f"http://127.0.0.1:{port}",
        "ROM_CONFIRM_TIMEOUT": "60",
        "ROM_API_KEYS": json.dumps(keys),
        "ROM_CONSOLE_TOPOLOGIES": str(REPO / "topologies"),
        "ROM_RECONCILE_INTERVAL": "0",  # the drift page runs its own reconcile
        "COLUMNS": "250",
    }
    env.pop("ROM_DATABASE_URL", None)
    with running_lab(env, TOPOLOGY), serving(env, var_dir / "serve.log", port) as client:
        client.headers["Authorization"] = f"Bearer {SOM_KEY}"
        yield Lab(env, client, var_dir)


def browser(lab: Lab, key: str) -> httpx.Client:
    """A client that logged in through the form: it holds the session cookie and nothing else."""
    client = httpx.Client(base_url=str(lab.api.base_url), timeout=60)
    form = {"token": key, "next": "/console/topology", "csrf": csrf(client.get("/console/login").text)}
    answer = client.post("/console/login", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/topology", answer.text
    assert "rom_console" in client.cookies
    return client


def csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def submit(lab: Lab, body: dict[str, Any], correlation_id: str) -> str:
    created = lab.api.post(ORDERS, json=body, headers={"X-Correlation-ID": correlation_id})
    assert created.status_code == 201, created.text
    order_id: str = created.json()["id"]
    return order_id


def test_pages_need_a_login_and_scopes(lab: Lab) -> None:
    anonymous = httpx.Client(base_url=str(lab.api.base_url), timeout=30)
    to_login = anonymous.get("/console/orders?state=completed")
    assert to_login.status_code == 303
    assert to_login.headers["location"] == "/console/login?next=%2Fconsole%2Forders%3Fstate%3Dcompleted"
    form = anonymous.get("/console/login")
    assert form.status_code == 200 and "rom_console_login" in anonymous.cookies
    wrong = anonymous.post("/console/login", data={"token": "not-a-key", "csrf": csrf(form.text)})
    assert wrong.status_code == 401 and "unknown API key" in wrong.text
    assert "rom_console" not in anonymous.cookies
    bad_bearer = anonymous.get("/console/orders", headers={"Authorization": "Bearer nope"})
    assert bad_bearer.status_code == 401
    assert anonymous.post("/console/drift/adopt", data={}).status_code == 401
    offsite = anonymous.post(
        "/console/login",
        data={"token": NOC_KEY, "next": "https://elsewhere.example/", "csrf": csrf(wrong.text)},
    )
    assert offsite.status_code == 303 and offsite.headers["location"] == "/console/orders"
    assert "rom_console_login" not in anonymous.cookies  # spent with the login


def test_the_login_form_refuses_a_forged_post(lab: Lab) -> None:
    """Login CSRF: another site's form, or a script without the form's cookie, logs no one in."""
    victim = httpx.Client(base_url=str(lab.api.base_url), timeout=30)
    no_token = victim.post("/console/login", data={"token": NOC_KEY})
    assert no_token.status_code == 403 and "CSRF token is missing or stale" in no_token.text
    assert "rom_console" not in victim.cookies
    attacker = httpx.Client(base_url=str(lab.api.base_url), timeout=30)
    theirs = csrf(attacker.get("/console/login").text)  # a real token, but of another browser
    victim.cookies.clear()
    victim.get("/console/login")
    stolen = victim.post("/console/login", data={"token": NOC_KEY, "csrf": theirs})
    assert stolen.status_code == 403 and "rom_console" not in victim.cookies
    mine = csrf(victim.get("/console/login").text)
    foreign = victim.post(
        "/console/login", data={"token": NOC_KEY, "csrf": mine}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403 and "another origin" in foreign.text
    assert "rom_console" not in victim.cookies
    odd = victim.post("/console/login", data={"token": NOC_KEY, "csrf": "é" * 32})  # not ASCII: no 500
    assert odd.status_code == 403

    noc = browser(lab, NOC_KEY)
    page = noc.get("/console/drift?device=p1")
    assert page.status_code == 200 and "/console/drift/remediate" not in page.text
    refused = noc.post("/console/drift/remediate", data={"csrf": csrf(noc.get("/console/orders").text)})
    assert refused.status_code == 403 and "lacks the scope" in refused.text
    ops = browser(lab, ADMIN_KEY)
    assert ops.post("/console/drift/adopt", data={"device": "p1"}).status_code == 403  # no CSRF token
    token = csrf(ops.get("/console/orders").text)
    foreign = ops.post(
        "/console/drift/adopt",
        data={"device": "p1", "csrf": token},
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403 and "another origin" in foreign.text
    out = ops.post("/console/logout", data={"csrf": token})
    assert out.status_code == 303 and ops.get("/console/orders").status_code == 303


def test_orders_and_topology_pages_show_a_completed_order(lab: Lab) -> None:
    order_id = submit(lab, order_body("CUST-CON1", 610), "corr-console-1")
    final = wait_order(lab.api, order_id)
    assert final["state"] == "completed", final.get("note")
    noc = browser(lab, NOC_KEY)
    listing = noc.get("/console/orders").text
    row = re.search(rf'<tr id="order-{order_id}".*?</tr>', listing, re.S)
    assert row, listing
    assert "completed" in row.group(0) and "som" in row.group(0) and "corr-console-1" in row.group(0)
    assert noc.get("/console/orders?state=failed").text.count(order_id) == 0

    detail = noc.get(f"/console/orders/{order_id}").text
    for step in ("started", "committed", "completed"):
        assert f"<strong>{step}</strong>" in detail
    assert detail.count('class="audit"') == 2  # one native diff per PE
    assert re.search(r'<span class="add">\+.*CUST-CON1', detail), "the diff shows the VRF added"
    assert "ResourceOrderCreateEvent" in detail and "ResourceOrderStateChangeEvent" in detail

    picture = noc.get("/console/topology").text
    assert "<svg" in picture and picture.count('<line class="link"') == 2
    for name in ("pe1", "p1", "pe2"):
        assert f'href="/console/devices/{name}"' in picture
    device = noc.get("/console/devices/pe1").text
    assert "CUST-CON1" in device and order_id[:8] in device and "confirmed" in device
    assert noc.get("/console/devices/nope").status_code == 404
    assert noc.get("/console/slices").status_code == 200


def test_live_stream_delivers_an_order_state_change(lab: Lab) -> None:
    noc = browser(lab, NOC_KEY)
    seen: list[dict[str, Any]] = []
    opened, done = threading.Event(), threading.Event()

    def listen() -> None:
        while not done.is_set():
            with noc.stream("GET", "/console/live", timeout=httpx.Timeout(60, read=30)) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                opened.set()
                event = ""
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "order":
                        seen.append(json.loads(line[6:]))
                        if seen[-1]["state"] == "completed" and seen[-1]["correlationId"] == "corr-live":
                            done.set()
                            return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(30)
    order_id = submit(lab, order_body("CUST-LIVE", 620), "corr-live")
    wait_order(lab.api, order_id)
    assert done.wait(30), seen
    states = [s["state"] for s in seen if s["id"] == order_id]
    assert states[-1] == "completed", states  # earlier states may fall in one poll with it


def test_drift_page_remediates_with_a_dry_run_first(lab: Lab) -> None:
    order_id = submit(lab, EXAMPLE, "corr-console-drift")
    assert wait_order(lab.api, order_id)["state"] == "completed"
    edit = lab.rom("device", "edit-config", "pe1", str(REPO / "docs" / "examples" / "oob-change-rd.xml"))
    assert edit.returncode == 0, edit.stderr
    ops = browser(lab, ADMIN_KEY)
    report = ops.get("/console/drift?device=pe1")
    assert report.status_code == 200
    assert re.search(r"route-distinguisher.*?65000:1.*?65000:999", report.text, re.S), report.text
    token = csrf(report.text)

    dry = ops.post("/console/drift/remediate", data={"device": "pe1", "resource": "", "csrf": token})
    assert dry.status_code == 200 and "dry run" in dry.text and 'name="apply" value="true"' in dry.text
    assert re.search(r'<span class="del">-.*65000:999', dry.text), dry.text
    assert "1 device" in dry.text
    still = ops.get("/console/drift?device=pe1").text
    assert "65000:999" in still  # a dry run pushed nothing

    applied = ops.post("/console/drift/remediate", data={"device": "pe1", "apply": "true", "csrf": token})
    assert applied.status_code == 200 and "Remediated" in applied.text, applied.text
    after = ops.get("/console/drift?device=pe1").text
    assert "65000:999" not in after and ", 0 drifted," in after
    entries = lab.api.get("/admin/audit", params={"device": "pe1", "principal": "ops"},
                          headers={"Authorization": f"Bearer {ADMIN_KEY}"}).json()  # fmt: skip
    assert entries and entries[0]["correlationId"].startswith("drift-")
