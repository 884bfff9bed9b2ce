"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

Screenshots go to test-artifacts/ so a person can look at what a patient or a receptionist saw.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CARENET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


#: A camera and a microphone that need no one in front of them, allowed without asking; host candidates on the
#: loopback address as they are (not hidden behind mDNS names, which a headless browser cannot resolve).
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[object]:
    """One Playwright driver for the whole run: its sync API runs an event loop in this thread, and a second one
    started beside it would refuse to run inside the first one's loop."""
    # The test's own ORM calls are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure-browser")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver: object) -> Iterator[object]:
    chromium = playwright_driver.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture(scope="session")
def media_browser(playwright_driver: object) -> Iterator[object]:
    """Chromium with a fake camera and microphone, for the online consultations' calls (TEL-2)."""
    chromium = playwright_driver.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(locale="pl-PL", viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    # Every journey doubles as a check of the Content-Security-Policy: nothing the pages need may be refused.
    refused: list[str] = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not refused, refused


# The online consultations' rooms need WebSockets: pages and sockets from one real ASGI server (uvicorn) on the test
# database. Usage: ``def test_x(page, asgi_server): page.goto(asgi_server.url + "/...")``.
# The demo network served for real, for the page tour (issue 14): ``def test_x(page, demo_site): ...``.
from tests.browser.demo_site import demo_site  # noqa: E402, F401
from tests.live_server import asgi_server  # noqa: E402, F401
