"""The audit trail: entries derived from transaction outcomes, the diff capture, and the queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from core.errors import InvalidRequest, NotFound
from core.query import PageRequest
from core.settings import Settings
from drivers._preimage import touched_filter
from drivers.base import DeviceTarget
from drivers.errors import TransportError
from drivers.nornir_plugins import make_nornir
from drivers.transaction import HostOutcome, TransactionOutcome, run_transaction
from inventory import audit
from inventory.context import Context
from rom.order_audit import for_order
from rom.reachability import result_line
from tests.unit.test_driver_transaction import DEVICES, MemoryDriver, fleet  # noqa: F401 (fixture)

T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


@pytest.fixture
def devices(fleet: list[DeviceTarget]) -> list[DeviceTarget]:  # noqa: F811 (the imported fixture)
    """pe1..pe3 in memory (see test_driver_transaction)."""
    return fleet


def _observe(targets: list[DeviceTarget], **kwargs: object) -> TransactionOutcome:
    seen: list[TransactionOutcome] = []
    returned = run_transaction(
        make_nornir(targets),
        {"pe1": "new1", "pe2": "new2"},
        confirm_timeout=60,
        persist_id="a1",
        on_outcome=seen.append,
        **kwargs,  # type: ignore[arg-type]
    )
    assert seen == [returned]
    return returned


def test_confirmed_change_carries_its_staged_diff(devices: list[DeviceTarget]) -> None:
    tx = _observe(devices)
    assert tx.ok and tx.hosts["pe1"].diffs == {"netconf": "-old\n+new1\n"}
    rows = audit.entries(tx, "o1", "c1", "alice", T0)
    assert [(r.device, r.action, r.outcome, r.error) for r in rows] == [
        ("pe1", "confirm", "confirmed", None),
        ("pe2", "confirm", "confirmed", None),
    ]
    assert rows[1].diff == "-old\n+new2\n" and rows[1].order_id == "o1" and rows[1].principal == "alice"


def test_rejected_device_fails_and_the_other_is_rolled_back_with_its_diff(
    devices: list[DeviceTarget],
) -> None:
    DEVICES["pe2"].fail_on = "stage"
    rows = {r.device: r for r in audit.entries(_observe(devices), None, "c2", "bob", T0)}
    assert (rows["pe1"].action, rows["pe1"].outcome, rows["pe1"].diff) == (
        "rollback",
        "rolledBack",
        "-old\n+new1\n",
    )
    assert rows["pe1"].error is not None and "pe2: stage rejected" in rows["pe1"].error
    assert (rows["pe2"].action, rows["pe2"].outcome, rows["pe2"].diff) == ("stage", "failed", "")
    assert rows["pe2"].error is not None and "invalid-value" in rows["pe2"].error


def test_no_observer_no_diff_round_trip(devices: list[DeviceTarget], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: MemoryDriver, payload: str | None = None) -> str:
        raise AssertionError("diff read without an observer")

    monkeypatch.setattr(MemoryDriver, "diff", refuse)
    tx = run_transaction(make_nornir(devices), {"pe1": "n"}, confirm_timeout=60, persist_id="a2")
    assert tx.ok and tx.hosts["pe1"].diffs == {}


def test_unreadable_diff_is_recorded_and_the_change_goes_on(
    devices: list[DeviceTarget],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: MemoryDriver, payload: str | None = None) -> str:
        raise TransportError("get-config timed out")

    monkeypatch.setattr(MemoryDriver, "diff", broken)
    tx = _observe(devices)
    assert tx.ok and DEVICES["pe1"].running == "new1"
    assert tx.hosts["pe1"].diffs["netconf"] == "(diff unavailable: get-config timed out)"


def test_aborted_transaction_is_still_observed(devices: list[DeviceTarget]) -> None:
    seen: list[TransactionOutcome] = []

    def explode() -> list[str]:
        raise ValueError("bug in a post-check")

    with pytest.raises(ValueError, match="bug"):
        run_transaction(
            make_nornir(devices),
            {"pe1": "n"},
            confirm_timeout=60,
            persist_id="a3",
            post_check=explode,
            on_outcome=seen.append,
        )
    [tx] = seen
    assert tx.phase_failed == "aborted" and tx.hosts["pe1"].rolled_back and DEVICES["pe1"].running == "old"
    [row] = audit.entries(tx, None, "c", "p", T0)
    assert row.outcome == "rolledBack" and row.error is not None and "bug in a post-check" in row.error


def test_partial_and_multi_protocol_entries() -> None:
    host = HostOutcome(
        protocols=("netconf", "gnmi"), confirmed=("netconf",), diffs={"netconf": "a\n", "gnmi": "b\n"}
    )
    tx = TransactionOutcome(False, "confirm", {"pe1": host}, ["pe1[gnmi]: confirm failed: x"])
    [row] = audit.entries(tx, None, "c", "p", T0)
    assert (row.action, row.outcome, row.protocols) == ("confirm", "partial", "netconf,gnmi")
    assert row.diff == "# netconf\na\n# gnmi\nb\n" and row.error == "pe1[gnmi]: confirm failed: x"


def test_query_params_translate_and_refuse_bad_filters() -> None:
    got = audit.query_params([("device", "pe1"), ("since", "2026-01-31T10:00Z"), ("until", "2026-02-01")])
    assert got == (("device", "pe1"), ("time.gte", "2026-01-31T10:00Z"), ("time.lt", "2026-02-01"))
    for bad, fragment in [
        ([("since", "yesterday")], "not a valid datetime"),
        ([("since", "2026-02-01T00:00Z"), ("until", "2026-01-01T00:00Z")], "since must be before until"),
        ([("colour", "red")], "cannot filter on 'colour'"),
        ([("device.like", "pe")], "unknown operator"),
    ]:
        with pytest.raises(InvalidRequest, match=fragment):
            audit.query_params(bad)


def test_submitter_and_local_principal() -> None:
    spoofed = {"name": "mallory", "role": "submitter", "@referredType": "APIClient"}  # the client's
    ours = {"name": "som-1", "role": "submitter", "@referredType": "APIClient"}  # appended by intake
    doc = {"relatedParty": [{"name": "x", "role": "customer"}, spoofed, ours]}
    assert audit.submitter(doc) == "som-1" and audit.submitter({}) == "unknown"
    assert audit.local_principal().startswith("cli:")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    context = Context.create(Settings(var_dir=tmp_path))
    yield context
    context.engine.dispose()


def _tx(*devices: str) -> TransactionOutcome:
    return TransactionOutcome(
        True, None, {d: HostOutcome(changed=True, diffs={"netconf": f"+{d}\n"}) for d in devices}
    )


def _seed(ctx: Context) -> None:
    with ctx.transaction() as session:
        session.add_all(audit.entries(_tx("pe1", "pe2"), "o1", "c1", "alice", T0))
        session.add_all(audit.entries(_tx("pe1"), "o2", "c2", "bob", T0 + timedelta(hours=1)))
        session.add_all(audit.entries(_tx("pe3"), None, "drift-1", "cli:root", T0 + timedelta(hours=2)))


def _page(ctx: Context, *params: tuple[str, str], offset: int = 0, limit: int = 100) -> tuple[list[str], int]:
    docs, total = audit.list_entries(ctx, PageRequest(tuple(params), offset, limit))
    return [f"{d['device']}/{d['correlationId']}" for d in docs], total


def test_list_filters_page_newest_first(ctx: Context) -> None:
    _seed(ctx)
    assert _page(ctx) == (["pe3/drift-1", "pe1/c2", "pe2/c1", "pe1/c1"], 4)
    assert _page(ctx, ("device", "pe1")) == (["pe1/c2", "pe1/c1"], 2)
    assert _page(ctx, ("orderId", "o1")) == (["pe2/c1", "pe1/c1"], 2)
    assert _page(ctx, ("correlationId", "drift-1,c2")) == (["pe3/drift-1", "pe1/c2"], 2)
    assert _page(ctx, ("principal", "bob")) == (["pe1/c2"], 1)
    assert _page(ctx, ("since", "2026-01-31T10:30:00Z"), ("until", "2026-01-31T12:00:00Z")) == (["pe1/c2"], 1)
    assert _page(ctx, offset=1, limit=2) == (["pe1/c2", "pe2/c1"], 4)


def test_get_entry_and_not_found(ctx: Context) -> None:
    _seed(ctx)
    docs, _ = audit.list_entries(ctx, PageRequest((("device", "pe3"),)))
    entry = audit.get_entry(ctx, docs[0]["id"])
    assert entry["diff"] == "+pe3\n" and entry["orderId"] is None and entry["time"] == "2026-01-31T12:00:00Z"
    assert entry["href"] == f"/admin/audit/{entry['id']}"
    with pytest.raises(NotFound):
        audit.get_entry(ctx, 999)


def test_entries_carry_the_orders_probe_results(ctx: Context) -> None:
    found = {"check": "vrf-any-to-any", "pair": "pe1 -> 10.30.0.5 (pe2) in CUST-R", "problem": None}
    found |= {"sent": 3, "received": 3, "lossPercent": 0.0, "maxRttMs": 0.2, "via": "gnoi"}
    unreachable = {
        "check": "vrf-any-to-any",
        "pair": "pe3 -> 10.30.0.1 (pe1) in CUST-R",
        "problem": "pe3 down",
    }
    with ctx.transaction() as session:
        session.add_all(audit.entries(_tx("pe1", "pe2"), "o1", "c1", "alice", T0, [found, unreachable]))
        session.add_all(audit.entries(_tx("pe3"), None, "drift-1", "cli:root", T0))
    docs, _ = audit.list_entries(ctx, PageRequest(()))
    by_device = {d["device"]: d["checks"] for d in docs}
    assert by_device == {"pe1": [found, unreachable], "pe2": [found, unreachable], "pe3": []}
    assert [result_line(c) for c in by_device["pe1"]] == [  # as `rom audit show` prints them
        "reachability vrf-any-to-any pe1 -> 10.30.0.5 (pe2) in CUST-R: 3/3 answered, 0% loss, "
        "max RTT 0.200 ms (via gnoi)",
        "reachability vrf-any-to-any pe3 -> 10.30.0.1 (pe1) in CUST-R: pe3 down",
    ]


def test_failed_write_is_logged_counted_and_does_not_raise(
    ctx: Context, caplog: pytest.LogCaptureFixture
) -> None:
    audit.AuditRow.__table__.drop(ctx.engine)  # type: ignore[attr-defined]
    before = audit.AUDIT_WRITE_FAILURES._value.get()
    audit.recorder(ctx, "c9", "alice")(_tx("pe1"))
    for_order(ctx, "no-such-order")(_tx("pe2"))
    assert audit.AUDIT_WRITE_FAILURES._value.get() == before + 2
    assert [r.levelname for r in caplog.records if "AUDIT TRAIL WRITE FAILED" in r.message] == [
        "ERROR",
        "ERROR",
    ]


def test_touched_filter_reads_only_the_edited_top_level_nodes() -> None:
    nc, oc_if, oc_ni = (
        "urn:ietf:params:xml:ns:netconf:base:1.0",
        "http://openconfig.net/yang/interfaces",
        "http://openconfig.net/yang/network-instance",
    )
    one = f'<config xmlns="{nc}"><interfaces xmlns="{oc_if}"><interface/></interfaces></config>'
    two = f'<config xmlns="{nc}"><network-instances xmlns="{oc_ni}"/><interfaces xmlns="{oc_if}"/></config>'
    selection = etree.fromstring(touched_filter([one, two]).encode())  # type: ignore[union-attr]
    assert selection.get("type") == "subtree"
    assert [child.tag for child in selection] == [f"{{{oc_if}}}interfaces", f"{{{oc_ni}}}network-instances"]
    assert all(len(child) == 0 for child in selection)  # each whole subtree
    assert touched_filter(["not xml"]) is None and touched_filter([f'<config xmlns="{nc}"/>']) is None


def test_touched_filter_reads_the_keyed_entries_edited_and_whole_nodes_otherwise() -> None:
    nc, oc_if, oc_ni = (
        "urn:ietf:params:xml:ns:netconf:base:1.0",
        "http://openconfig.net/yang/interfaces",
        "http://openconfig.net/yang/network-instance",
    )
    keyed = [  # a read-back filter: names the keys of interface and network-instance entries
        f'<filter xmlns="{nc}" type="subtree"><interfaces xmlns="{oc_if}"><interface><name>eth9</name>'
        f'<subinterfaces/></interface></interfaces><network-instances xmlns="{oc_ni}"><network-instance>'
        "<name>v9</name></network-instance></network-instances></filter>"
    ]
    edit = (
        f'<config xmlns="{nc}" xmlns:nc="{nc}"><interfaces xmlns="{oc_if}"><interface><name>eth1</name>'
        '<config nc:operation="delete"/></interface><interface><name>eth2</name></interface></interfaces>'
        f'<network-instances xmlns="{oc_ni}"><network-instance><name>v1</name></network-instance>'
        "</network-instances></config>"
    )
    selection = etree.fromstring(touched_filter([edit, edit], keyed).encode())  # type: ignore[union-attr]
    interfaces, instances = selection
    assert [entry.findtext(f"{{{oc_if}}}name") for entry in interfaces] == ["eth1", "eth2"]
    assert [(entry.tag, [leaf.text for leaf in entry]) for entry in instances] == [
        (f"{{{oc_ni}}}network-instance", ["v1"])  # the entry by its key only: read whole
    ]
    # Read whole: an operation on the top node, an entry without its key, a child no filter keys.
    for whole in (
        edit.replace(f'<interfaces xmlns="{oc_if}">', f'<interfaces xmlns="{oc_if}" nc:operation="replace">'),
        edit.replace("<name>eth2</name>", ""),
        edit.replace("<interface><name>eth2</name></interface>", "<enabled>true</enabled>"),
    ):
        interfaces = etree.fromstring(touched_filter([whole, edit], keyed).encode())[0]  # type: ignore[union-attr]
        assert interfaces.tag == f"{{{oc_if}}}interfaces" and len(interfaces) == 0
    clash = [*keyed, keyed[0].replace("<name>v9</name>", "<id>v9</id>")]  # two keys named: read whole
    assert len(etree.fromstring(touched_filter([edit], clash).encode())[1]) == 0  # type: ignore[union-attr]
