"""The inspector page in a real browser: Debian's headless Chromium, driven by Playwright,
against a real ``lambgate serve`` on 127.0.0.1.

What a developer does: sends requests with an HTTP client and watches them appear without
reloading, opens one to read its event and its log lines, replays it, and reads why a
malformed result became a 502. The run saves a screenshot of the page in
``build/screenshots/inspector.png`` (ignored by git, so a test run leaves the tree clean); the
README shows one taken this way, copied to ``docs/inspector.png``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from .processes import still_alive
from .running_emulator import APPS, RunningEmulator
from .test_serve_websocket import template as websocket_template

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "inspector.png"
HTTP = "ServerlessHttpApi"
REST = "ServerlessRestApi"
#: Chromium as root in a container, with nothing of its own going to the network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="no chromium (.ci/run installs Debian's)"
)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    running = RunningEmulator(template=APPS / "template.yaml")
    try:
        yield running
    finally:
        assert not still_alive(running.stop()), "workers outlived the emulator"


@pytest.fixture(scope="module")
def page(emulator: RunningEmulator) -> Iterator[object]:
    profile = tempfile.mkdtemp(prefix="lambgate-chromium-")
    try:
        with playwright_api.sync_playwright() as driver:
            browser = driver.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                args=CHROMIUM_ARGS,
                headless=True,
                viewport={"width": 1800, "height": 1000},
            )
            try:
                tab = browser.new_page()
                url = emulator.emulator.inspector_url()
                assert url is not None
                tab.goto(url)
                tab.wait_for_selector("#live.on", timeout=WAIT_MS)
                yield tab
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_requests_appear_live_and_open_to_their_event_and_log_lines(
    emulator: RunningEmulator, page: object
) -> None:
    tab = page
    assert isinstance(tab, playwright_api.Page)
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{emulator.url(HTTP)}/behave/say?word=hello").status_code == 200
    row = tab.locator("tr.row", has_text="/behave/say?word=hello")
    row.wait_for(timeout=WAIT_MS)  # pushed, with no reload
    row.click()
    tab.locator("#event-json", has_text='"rawQueryString": "word=hello"').wait_for(timeout=WAIT_MS)
    log = tab.locator("#log-lines")
    assert "saying hello" in log.inner_text() and "said hello" in log.inner_text()
    assert tab.locator("#report").inner_text().startswith("REPORT RequestId: ")


def test_replay_adds_a_row(emulator: RunningEmulator, page: object) -> None:
    tab = page
    assert isinstance(tab, playwright_api.Page)
    with httpx.Client(timeout=30) as client:
        client.get(f"{emulator.url(HTTP)}/echo/replayed")
    rows = tab.locator("tr.row", has_text="/echo/replayed")
    rows.first.wait_for(timeout=WAIT_MS)
    rows.first.click()
    tab.locator("#replay").click()
    playwright_api.expect(rows).to_have_count(2, timeout=WAIT_MS)


def test_a_502_from_a_malformed_result_shows_its_reason(
    emulator: RunningEmulator, page: object
) -> None:
    tab = page
    assert isinstance(tab, playwright_api.Page)
    with httpx.Client(timeout=30) as client:
        assert client.get(f"{emulator.url(REST)}/behave/malformed").status_code == 502
        client.get(f"{emulator.url(HTTP)}/behave/say?word=again")
    row = tab.locator("tr.row.error", has_text="/behave/malformed")
    row.wait_for(timeout=WAIT_MS)
    reason = tab.locator("tr.reason", has_text="malformed Lambda proxy response")
    reason.wait_for(timeout=WAIT_MS)
    row.click()
    tab.locator("#reason", has_text="malformed Lambda proxy response").wait_for(timeout=WAIT_MS)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOT), full_page=False)
    assert SCREENSHOT.stat().st_size > 10_000


def test_the_environments_view_shows_each_function(emulator: RunningEmulator, page: object) -> None:
    tab = page
    assert isinstance(tab, playwright_api.Page)
    tab.locator("#tab-environments").click()
    behave = tab.locator('.function[data-function="BehaveFunction"]')
    behave.wait_for(timeout=WAIT_MS)
    playwright_api.expect(behave.locator("tr.environment").first).to_contain_text(
        "idle", timeout=WAIT_MS
    )
    assert behave.locator("svg.chart rect").count() == 30
    tab.locator("#tab-invocations").click()


def test_a_websocket_message_opens_to_its_event_without_replay_or_curl(
    page: object, tmp_path: Path
) -> None:
    """A WebSocket event is listed as an HTTP request is; opened, it shows the message as
    received and its event, and offers neither Replay nor Copy as curl, which it has none of."""
    assert isinstance(page, playwright_api.Page)
    running = RunningEmulator(template=websocket_template(tmp_path))
    tab = page.context.new_page()  # one Playwright per thread: the module's browser
    try:
        url = running.emulator.inspector_url()
        assert url is not None
        tab.goto(url)
        tab.wait_for_selector("#live.on", timeout=WAIT_MS)
        (ws,) = running.emulator.websocket_fronts
        with connect(f"ws://127.0.0.1:{ws.server.port}/live", open_timeout=20) as client:
            client.send("hello over websocket")
            row = tab.locator("tr.row", has_text="MESSAGE")
            row.wait_for(timeout=WAIT_MS)
        row.click()
        tab.locator("h2", has_text="WebSocket message, as received").wait_for(timeout=WAIT_MS)
        tab.locator("#event-json", has_text='"body": "hello over websocket"').wait_for(
            timeout=WAIT_MS
        )
        assert tab.locator("#replay").count() == 0
        assert tab.locator("#copy-curl").count() == 0
    finally:
        tab.close()
        assert not still_alive(running.stop()), "workers outlived the emulator"
