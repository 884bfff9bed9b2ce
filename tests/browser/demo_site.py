"""The demo network served for real, for the page tour (issue 14): every page of the portal and the consoles is
visited the way a person trying CareNet meets it — built by ``seed_demo`` (realistic data for every feature), served
by uvicorn with the demo's own settings (``config.settings``: staff two-step login on, static files served), logged
in with the demo logins. The accessibility sweep (``test_accessibility_*.py``) and the screenshots command
(``scripts/screenshots``) both walk it.

The database is built once per run in ``var/tour/`` (about half a minute); ``CARENET_TOUR_REUSE=1`` keeps an
existing one between runs while working on pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from carenet.demo.people import PASSWORDS
from carenet.demo.totp import demo_totp_key
from tests.live_server import ROOT, AsgiServer

TOUR_DIR = ROOT / "var" / "tour"
#: The demo logins the tour uses, by the password group they share (carenet.demo.people.PASSWORDS).
PASSWORD_OF = {
    "admin": "admin",
    "koordynator": "coordinator",
    "infolinia": "call_centre",
    "lekarz": "clinician",
    "pediatra": "clinician",
    "pielegniarka": "clinician",
    "polozna": "clinician",
    "partner": "partner_staff",
    "kadry": "employer_contact",
}


def demo_environment(tour_dir: Path = TOUR_DIR) -> dict[str, str]:
    """The demo's environment (as ``make demo`` has it), on the tour's own database and folders."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "CARENET_SQLITE_TEST_PATH"}
        and not key.startswith("PYTEST")
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CARENET_DEBUG": "1",
        "CARENET_VAR_DIR": str(tour_dir),
        "CARENET_SQLITE_PATH": str(tour_dir / "demo.sqlite3"),
        "CARENET_PRIVATE_ROOT": str(tour_dir / "private"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CARENET_REDIS_URL", None)
    return env


def build_demo_database(env: dict[str, str], tour_dir: Path = TOUR_DIR) -> None:
    """``migrate``, ``load_matrix`` and ``seed_demo`` into the tour's database, as ``make demo`` does."""
    if os.environ.get("CARENET_TOUR_REUSE") == "1" and (tour_dir / "demo.sqlite3").exists():
        return
    shutil.rmtree(tour_dir, ignore_errors=True)
    tour_dir.mkdir(parents=True)
    for command in (["migrate", "--noinput", "-v", "0"], ["load_matrix"], ["seed_demo"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )


#: The time step of the last code given out per login: a device takes each step's code once (a replayed code is
#: refused), so a second login of the same person within one step waits for the next.
_LAST_STEP: dict[str, int] = {}


def totp_code(username: str) -> str:
    """The current two-step code of a demo staff login (its secret is derived from the login, carenet.demo.totp),
    never the code of a time step this run already used for that login."""
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(demo_totp_key(username)))
    while totp.t() <= _LAST_STEP.get(username, -1):
        time.sleep(0.5)
    _LAST_STEP[username] = totp.t()
    return f"{totp.token():06d}"


def url(name: str, language: str = "pl", **kwargs: Any) -> str:
    """A page's path in a language (the paths themselves are translated; English ones start with /en/)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@dataclass
class DemoSite:
    """The running demo: ``.url``, and logins for a Playwright page (one login per browser context)."""

    server: AsgiServer
    logged_in: dict[int, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def go(self, page: Any, name_or_path: str, language: str = "pl", **kwargs: Any) -> Any:
        """Open a page by its URL name (``portal:visits``) or path; fails on any answer but 200."""
        path = name_or_path if name_or_path.startswith("/") else url(name_or_path, language, **kwargs)
        response = page.goto(self.url + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        return response

    def login_patient(self, page: Any, username: str = "pacjent1") -> None:
        self.go(page, "portal:login")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORDS["patient"])
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/login" not in page.url and "logowanie" not in page.url, f"{username} was not let in: {page.url}"

    def login_staff(self, page: Any, username: str) -> None:
        """Password, then the two-step code (each code is taken once: log a login in once per context)."""
        group = PASSWORD_OF.get(username) or ("receptionist" if username.startswith("recepcja") else "patient")
        self.go(page, "staff:login")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORDS[group])
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        if page.locator("#id_code").count():
            page.fill("#id_code", totp_code(username))
            page.locator("main form:has(#id_code) button[type=submit]").click()
            page.wait_for_load_state()
        assert page.locator("form[action$='/logout/']").count(), f"{username} was not let in: {page.url}"


@pytest.fixture(scope="session")
def demo_site() -> Iterator[DemoSite]:
    """The demo network built and served once for the whole run (pages, static files, sockets)."""
    env = demo_environment()
    build_demo_database(env)
    server = AsgiServer(env=env)
    try:
        server.start()
        yield DemoSite(server=server)
    finally:
        server.close()
