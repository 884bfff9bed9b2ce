"""The test bank is never part of production: off by default when debug is off, its URLs not mounted, and the
bank client has no demo credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_production_settings_have_no_test_bank() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARENET_") and k != "DJANGO_SETTINGS_MODULE"}
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CARENET_VAR_DIR": str(ROOT / "var" / "settings-test"),
        "CARENET_DEBUG": "false",
        "CARENET_SECRET_KEY": "k" * 60,
        "CARENET_ECARD_SECRET": "e" * 60,
    }
    code = (
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/dev-bank/jwks'); mounted = True\nexcept Resolver404:\n    mounted = False\n"
        "print(settings.CARENET_TEST_BANK_ENABLED, mounted, repr(settings.CARENET_BANK_OIDC_CLIENT_SECRET))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip().splitlines()[-1] == "False False ''", result.stderr


def test_the_test_bank_cannot_be_switched_on_in_production() -> None:
    """With debug off, turning the test bank on stops CareNet from starting (anyone could confirm themselves)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARENET_") and k != "DJANGO_SETTINGS_MODULE"}
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CARENET_VAR_DIR": str(ROOT / "var" / "settings-test"),
        "CARENET_DEBUG": "false",
        "CARENET_SECRET_KEY": "k" * 60,
        "CARENET_ECARD_SECRET": "e" * 60,
        "CARENET_PREMISES_CODE_SECRET": "p" * 60,
        "CARENET_TEST_BANK_ENABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "carenet.E002" in result.stderr
    assert "carenet.dev.testbank is for development only" in result.stderr
