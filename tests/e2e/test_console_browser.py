"""The console in a real browser: Playwright driving Debian's Chromium (headless) against `rom serve`
and the lab's simulators. Screenshots of each page go to a temporary folder, or to
`ROM_CONSOLE_SCREENSHOTS` (the docs' pictures: `ROM_CONSOLE_SCREENSHOTS=docs/console`)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from lab.support import wait_order
from tests.e2e.conftest import REPO, Lab
from tests.e2e.test_console import ADMIN_KEY, lab, submit  # noqa: F401 - `lab` is this module's fixture too
from tests.e2e.test_order_to_device import EXAMPLE, order_body

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
VIEWPORT: ViewportSize = {"width": 1366, "height": 800}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: make system-deps installs it"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("ROM_CONSOLE_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("console-shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(lab: Lab, browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(base_url=str(lab.api.base_url), viewport=VIEWPORT)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Page, key: str, then: str) -> None:
    page.goto(then)
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    page.get_by_label("API key or token").fill(key)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(then) + "$"))


def unlabelled(page: Page) -> list[str]:
    """Form controls without a label, and images without a name: what a screen reader would miss."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, svg')]
              .filter(el => el.tagName === 'svg'
                  ? !el.querySelector('title') && !el.getAttribute('aria-label')
                  : !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
              .map(el => el.outerHTML.slice(0, 80))"""
    )
    return found


def test_an_order_goes_live_to_completed_and_shows_its_diff(lab: Lab, page: Page, shots: Path) -> None:  # noqa: F811
    log_in(page, ADMIN_KEY, "/console/orders")
    expect(page.locator("#live-status")).to_have_text("live updates: on", timeout=15000)
    page.evaluate("window.__sameDocument = true")
    order_id = submit(lab, order_body("CUST-WEB", 640), "corr-browser")
    state = page.locator(f"#order-{order_id} [data-field=state]")
    expect(state).to_have_text("completed", timeout=60000)
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
    assert unlabelled(page) == []
    page.screenshot(path=shots / "orders.png")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    page.get_by_role("link", name=order_id).click()
    expect(page.get_by_role("heading", name="Step log")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("committed")
    diff = page.get_by_label("diff on pe1")
    expect(diff).to_contain_text("CUST-WEB")
    page.screenshot(path=shots / "order.png", full_page=True)

    page.get_by_role("link", name="Topology").click()
    expect(page.locator("svg.topology")).to_be_visible()
    assert unlabelled(page) == []
    page.screenshot(path=shots / "topology.png")
    page.locator('svg.topology a[href="/console/devices/pe1"]').click()
    expect(page.get_by_role("heading", name="Device pe1")).to_be_visible()
    page.screenshot(path=shots / "device.png", full_page=True)


def test_drift_is_seen_and_remediated_with_a_dry_run_first(lab: Lab, page: Page, shots: Path) -> None:  # noqa: F811
    order_id = submit(lab, EXAMPLE | {"externalId": "console-browser-drift"}, "corr-browser-drift")
    assert wait_order(lab.api, order_id)["state"] == "completed"
    edit = lab.rom("device", "edit-config", "pe1", str(REPO / "docs" / "examples" / "oob-change-rd.xml"))
    assert edit.returncode == 0, edit.stderr
    log_in(page, ADMIN_KEY, "/console/drift?device=pe1")
    expect(page.locator("table.drift")).to_contain_text("65000:999")
    page.screenshot(path=shots / "drift.png")

    page.get_by_role("button", name="Remediate (dry run first)").click()
    expect(page.get_by_role("heading", name="Remediation (dry run)")).to_be_visible()
    expect(page.locator("pre.diff .del").filter(has_text="65000:999")).to_be_visible()
    page.screenshot(path=shots / "remediate-dry-run.png")
    page.get_by_role("button", name="Apply: push the intended configuration").click()
    expect(page.get_by_role("status").filter(has_text="Remediated")).to_be_visible(timeout=60000)
    page.get_by_role("link", name="Back to the drift report").click()
    expect(page.locator(".summary")).to_contain_text(", 0 drifted,")

    page.get_by_role("link", name="Slices & alarms").click()
    expect(page.get_by_role("heading", name="Alarm history")).to_be_visible()
    assert unlabelled(page) == []  # slices.png: the SLA loop test's browser, alarm and all
