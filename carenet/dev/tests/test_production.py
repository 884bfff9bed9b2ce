"""The development apps never run in production: the SMS inbox is not mounted with debug off, and switching it on
(or installing any development app) with debug off stops CareNet from starting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[3]


def manage(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARENET_") and k != "DJANGO_SETTINGS_MODULE"}
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CARENET_VAR_DIR": str(ROOT / "var" / "settings-test"),
        "CARENET_DEBUG": "false",
        "CARENET_SECRET_KEY": "k" * 60,
        "CARENET_ECARD_SECRET": "e" * 60,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_has_no_development_app_and_no_sms_inbox() -> None:
    code = (
        "from django.apps import apps; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sms/dev/'); mounted = True\nexcept Resolver404:\n    mounted = False\n"
        "print(apps.is_installed('carenet.dev'), apps.is_installed('carenet.dev.testbank'), mounted)"
    )
    result = manage("shell", "-c", code)
    assert result.stdout.strip().splitlines()[-1] == "False False False", result.stderr


def test_the_sms_inbox_cannot_be_switched_on_in_production() -> None:
    """With debug off, CARENET_SMS_DEV_INBOX on stops CareNet: the inbox has no login, shows first passwords and
    replies NIE as any patient."""
    result = manage("check", CARENET_SMS_DEV_INBOX="true")
    assert result.returncode != 0
    assert "carenet.dev is for development only" in result.stderr


@pytest.mark.parametrize(("label", "app"), [("dev", "carenet.dev"), ("testbank", "carenet.dev.testbank")])
def test_each_development_app_refuses_debug_off(label: str, app: str, settings: Any) -> None:
    config = apps.get_app_config(label)
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured, match=f"{app} is for development only"):
        config.ready()
    settings.DEBUG = True
    config.ready()
