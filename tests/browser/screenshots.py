"""The main pages as pictures, for the README (issue 14): ``scripts/screenshots`` (``make screenshots``) builds the demo
network the way the page tour does (``tests/browser/demo_site.py``), serves it, and writes PNGs of the main pages at
1280×800 (the whole page, up to 2400 px tall) and 390×844 (what a phone shows first) into ``docs/screenshots/``.

Run: ``uv run --frozen python -m tests.browser.screenshots`` (``CARENET_TOUR_REUSE=1`` keeps a built database).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.urls import Resolver404, resolve  # noqa: E402
from django.utils import translation  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.browser.demo_site import TOUR_DIR, DemoSite, build_demo_database, demo_environment  # noqa: E402
from tests.live_server import ROOT, AsgiServer  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: A desktop picture shows the whole page, cut at this height (a long list would make a poster of it).
DESKTOP_MAX_HEIGHT = 2400


def link_to(page: Any, name: str) -> str:
    """The first link in the page's main part that leads to the page called ``name``."""
    for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        path = urlsplit(href).path
        with translation.override("pl"):
            try:
                if path.startswith("/") and resolve(path).view_name == name:
                    return str(href)
            except Resolver404:  # a link outside the site's pages
                continue
    raise AssertionError(f"no link to {name} on {page.url}")


def shoot(page: Any, name: str) -> None:
    """The page as it is now, at both sizes."""
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(150)  # let the layout settle after the resize
        path = OUT / f"{name}-{size}.png"
        if size == "desktop":
            height = min(int(page.evaluate("() => document.documentElement.scrollHeight")), DESKTOP_MAX_HEIGHT)
            page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
        else:
            page.screenshot(path=str(path))
        print(f"  {path.relative_to(ROOT)}")
    page.set_viewport_size(SIZES["desktop"])


def patient_pages(site: DemoSite, page: Any) -> None:
    site.go(page, "portal:home")
    shoot(page, "home")
    site.go(page, "portal:login")
    shoot(page, "login")
    site.login_patient(page, "pacjent2")
    site.go(page, "portal:home")
    shoot(page, "dashboard")
    site.go(page, "portal:search")
    specialty = page.locator("main form select").first  # internal medicine, as most patients start
    labels = specialty.locator("option").evaluate_all("options => options.map(o => o.textContent)")
    chosen = next((i for i, label in enumerate(labels) if "wewn" in label or "ntern" in label), 1)
    specialty.select_option(index=chosen)
    page.locator("main form button[type=submit]").first.click()  # the results come in place (HTMX)
    page.wait_for_load_state("networkidle")
    page.goto(page.url)  # the search's own address (pushed by HTMX), as a whole page
    shoot(page, "search-results")
    page.goto(site.url + link_to(page, "portal:book"))
    shoot(page, "confirm")
    site.go(page, "portal:visits")
    shoot(page, "my-visits")
    page.goto(site.url + link_to(page, "portal:visit"))
    shoot(page, "visit")
    site.go(page, "portal:results")
    shoot(page, "results")
    page.goto(site.url + link_to(page, "portal:result"))
    shoot(page, "result")
    site.go(page, "portal:treatment")
    shoot(page, "treatment")
    site.go(page, "portal:consultations")
    shoot(page, "online-consultations")


def clinician_day(site: DemoSite, page: Any) -> None:
    site.login_staff(page, "lekarz")
    site.go(page, "staff:dashboard")
    shoot(page, "clinician-day")


def reception_day(site: DemoSite, page: Any) -> None:
    site.login_staff(page, "recepcja1")
    site.go(page, "staff:reception")
    shoot(page, "reception-day")


def call_centre_patient(site: DemoSite, page: Any) -> None:
    site.login_staff(page, "infolinia")
    connection = sqlite3.connect(f"file:{TOUR_DIR / 'demo.sqlite3'}?mode=ro", uri=True)
    try:
        (patient_id,) = connection.execute(
            "SELECT p.id FROM accounts_patient p JOIN accounts_user u ON u.id = p.user_id WHERE u.username = ?",
            ("pacjent2",),
        ).fetchone()
    finally:
        connection.close()
    site.go(page, "staff:patient", patient_id=patient_id)
    shoot(page, "call-centre-patient")


def main() -> int:
    from playwright.sync_api import sync_playwright

    env = demo_environment()
    print("Building the demo network (var/tour)…")
    build_demo_database(env)
    OUT.mkdir(parents=True, exist_ok=True)
    server = AsgiServer(env=env)
    server.start()
    try:
        site = DemoSite(server=server)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            steps: list[Callable[[DemoSite, Any], None]] = [
                patient_pages,
                clinician_day,
                reception_day,
                call_centre_patient,
            ]
            for step in steps:  # one browser context per login
                context = browser.new_context(locale="pl-PL", viewport=SIZES["desktop"])
                step(site, context.new_page())
                context.close()
            browser.close()
    finally:
        server.close()
    print(f"Screenshots written to {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
