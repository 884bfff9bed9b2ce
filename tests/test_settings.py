"""Production settings are safe by construction: no secret key → refuse to start; with one → Django's deployment
checks pass; the SMS webhooks are closed unless a secret is configured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARENET_") and k != "DJANGO_SETTINGS_MODULE"}
    clean |= {"DJANGO_SETTINGS_MODULE": "config.settings", "CARENET_VAR_DIR": str(ROOT / "var" / "settings-test")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean | env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", CARENET_DEBUG="false")
    assert result.returncode != 0
    assert "carenet.E005" in result.stderr
    assert "CARENET_SECRET_KEY is not set" in result.stderr


def test_production_passes_the_deployment_checks() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        CARENET_DEBUG="false",
        CARENET_SECRET_KEY="x" * 20 + "production-secret-key-for-the-check-0123456789",
        CARENET_ECARD_SECRET="e" * 20 + "production-ecard-secret-for-the-check-0123456789",
        CARENET_PREMISES_CODE_SECRET="p" * 20 + "production-premises-secret-for-the-check-0123",
        CARENET_ALLOWED_HOSTS="portal.carenet.example",
        # CareNet ships no P1 / ZUS PUE client: a deployment plugs its own in, or says it runs on the local one.
        CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED="true",
        # The online consultations' sockets across server processes (carenet.W001 warns without it).
        CARENET_REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_webhook_secret_and_developer_inbox_are_off_by_default() -> None:
    code = (
        "from django.conf import settings; "
        "print(repr(settings.CARENET_SMS_WEBHOOK_SECRET), settings.CARENET_SMS_DEV_INBOX, settings.DEBUG)"
    )
    result = _manage(
        "shell", "-c", code, CARENET_DEBUG="false", CARENET_SECRET_KEY="k" * 60, CARENET_ECARD_SECRET="e" * 60
    )
    assert result.stdout.strip().splitlines()[-1] == "'' False False", result.stderr


def test_production_refuses_to_start_without_an_ecard_secret() -> None:
    result = _manage("check", CARENET_DEBUG="false", CARENET_SECRET_KEY="k" * 60)
    assert result.returncode != 0
    assert "carenet.E006" in result.stderr
    assert "CARENET_ECARD_SECRET is not set" in result.stderr


def test_production_premises_secret_does_not_derive_from_the_secret_key() -> None:
    code = "from django.conf import settings; print(repr(settings.CARENET_PREMISES_CODE_SECRET))"
    result = _manage(
        "shell", "-c", code, CARENET_DEBUG="false", CARENET_SECRET_KEY="k" * 60, CARENET_ECARD_SECRET="e" * 60
    )
    assert result.stdout.strip().splitlines()[-1] == "''", result.stderr
