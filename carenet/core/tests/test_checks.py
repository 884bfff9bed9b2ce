"""Production guardrails (issue 10): with DEBUG off CareNet refuses to start on a setting that would open a hole —
as system checks (manage.py) and at the WSGI/ASGI entry points (gunicorn runs no system checks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.test import override_settings

from carenet.core.checks import production_guardrails

ROOT = Path(__file__).resolve().parents[3]
GOOD = "s" * 32
#: A production configuration that passes every guardrail.
PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": GOOD,
    "CARENET_ECARD_SECRET": GOOD,
    "CARENET_SMS_WEBHOOK_SECRET": "",
    "CARENET_PREMISES_CODE_SECRET": GOOD,
    "CARENET_SMS_DEV_INBOX": False,
    "CARENET_TEST_BANK_ENABLED": False,
    "CARENET_STAFF_TOTP_REQUIRED": True,
    "AXES_ENABLED": True,
    # A client of the real national e-health platform (never imported by the checks).
    "CARENET_NATIONAL_PLATFORM": "p1client.P1Platform",
    "CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED": False,
    "CARENET_REDIS_URL": "redis://redis.carenet.example:6379/0",
}


def ids(**overrides: object) -> list[str]:
    with override_settings(**(PRODUCTION | overrides)):
        return [message.id for message in production_guardrails()]


def test_a_safe_production_configuration_passes() -> None:
    assert ids() == []


def test_debug_refuses_nothing() -> None:
    assert ids(DEBUG=True, CARENET_SMS_DEV_INBOX=True, SECRET_KEY="x", CARENET_PREMISES_CODE_SECRET="") == []


@pytest.mark.parametrize(
    ("overrides", "check_id"),
    [
        ({"CARENET_SMS_DEV_INBOX": True}, "carenet.E001"),
        ({"CARENET_TEST_BANK_ENABLED": True}, "carenet.E002"),
        ({"CARENET_STAFF_TOTP_REQUIRED": False}, "carenet.E003"),
        ({"AXES_ENABLED": False}, "carenet.E004"),
        ({"SECRET_KEY": "s" * 31}, "carenet.E005"),
        ({"CARENET_ECARD_SECRET": "x"}, "carenet.E006"),
        ({"CARENET_ECARD_SECRET": ""}, "carenet.E006"),
        ({"CARENET_SMS_WEBHOOK_SECRET": "x"}, "carenet.E007"),
        ({"CARENET_PREMISES_CODE_SECRET": "p" * 31}, "carenet.E008"),
        ({"CARENET_PREMISES_CODE_SECRET": ""}, "carenet.E009"),
        ({"CARENET_NATIONAL_PLATFORM": "carenet.clinical.platform.LocalPlatform"}, "carenet.E010"),
    ],
)
def test_each_hole_is_refused_in_production(overrides: dict[str, object], check_id: str) -> None:
    assert ids(**overrides) == [check_id]


def test_the_local_national_platform_runs_in_production_only_when_explicitly_allowed() -> None:
    local = "carenet.clinical.platform.LocalPlatform"
    assert ids(CARENET_NATIONAL_PLATFORM=local, CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED=True) == []


def _s3(bucket: str) -> dict[str, object]:
    return {
        "CARENET_PRIVATE_STORAGE": "s3",
        "STORAGES": {"private": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": bucket}}},
    }


def test_patients_files_never_sit_where_a_web_server_serves_files(tmp_path: Path) -> None:
    """FIL-2, CLN-3: the private storage is an S3 bucket that is named, or a folder of its own."""
    assert ids(**_s3("carenet-files")) == []
    assert ids(**_s3("")) == ["carenet.E011"]
    assert ids(CARENET_PRIVATE_STORAGE="ftp") == ["carenet.E011"]
    assert ids(CARENET_PRIVATE_ROOT=tmp_path / "private", MEDIA_ROOT=tmp_path / "media") == []
    assert ids(CARENET_PRIVATE_ROOT=tmp_path / "media" / "private", MEDIA_ROOT=tmp_path / "media") == ["carenet.E012"]
    assert ids(CARENET_PRIVATE_ROOT=tmp_path, STATIC_ROOT=tmp_path / "static") == ["carenet.E012"]


def test_sockets_without_redis_are_a_warning_in_production_not_a_refusal() -> None:
    """TEL-2: without Redis the rooms' sockets only reach sockets in the same process; one process still works."""
    with override_settings(**(PRODUCTION | {"CARENET_REDIS_URL": ""})):
        messages = production_guardrails()
    assert [(message.id, message.level) for message in messages] == [("carenet.W001", checks.WARNING)]
    assert ids(DEBUG=True, CARENET_REDIS_URL="") == []


def test_secret_length_counts_bytes_not_characters() -> None:
    assert ids(CARENET_ECARD_SECRET="ż" * 16) == []  # 32 bytes in UTF-8
    assert ids(CARENET_ECARD_SECRET="ż" * 15 + "a") == ["carenet.E006"]


def test_guardrails_are_registered_system_checks() -> None:
    with override_settings(**(PRODUCTION | {"CARENET_SMS_DEV_INBOX": True})):
        found = [message.id for message in checks.run_checks(tags=["carenet"])]
        levels = {message.level for message in production_guardrails()}
    assert found == ["carenet.E001"]
    assert levels == {checks.ERROR}


def _production_env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CARENET_") and k != "DJANGO_SETTINGS_MODULE"}
    return clean | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CARENET_VAR_DIR": str(ROOT / "var" / "settings-test"),
        "CARENET_DEBUG": "false",
        "CARENET_SECRET_KEY": "k" * 40,
        "CARENET_ECARD_SECRET": "e" * 40,
        "CARENET_PREMISES_CODE_SECRET": "p" * 40,
        "CARENET_ALLOWED_HOSTS": "portal.carenet.example",
        "CARENET_NATIONAL_PLATFORM": "p1client.P1Platform",
        "CARENET_REDIS_URL": "redis://127.0.0.1:6379/0",
        **extra,
    }


def _import(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", f"import {module}; print('serving')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wsgi_entry_point_refuses_to_start_on_a_hole() -> None:
    env = _production_env(CARENET_STAFF_TOTP_REQUIRED="false", CARENET_SMS_WEBHOOK_SECRET="short")
    env.pop("CARENET_PREMISES_CODE_SECRET")
    result = _import("config.wsgi", env)
    assert result.returncode != 0
    assert "serving" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    for check_id in ("carenet.E003", "carenet.E007", "carenet.E009"):
        assert check_id in result.stderr


def test_a_development_app_switched_on_in_production_refuses_before_anything_else() -> None:
    """The developer SMS inbox installed with debug off stops the start at once (its app refuses itself, naming
    the same check as the system checks)."""
    result = _import("config.wsgi", _production_env(CARENET_SMS_DEV_INBOX="true"))
    assert result.returncode != 0 and "serving" not in result.stdout
    assert "carenet.E001" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_wsgi_and_asgi_entry_points_start_when_every_guardrail_is_in_place() -> None:
    for module in ("config.wsgi", "config.asgi"):
        result = _import(module, _production_env())
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == "serving"


def test_asgi_entry_point_starts_without_redis_in_production_with_a_warning_only() -> None:
    env = _production_env()
    env.pop("CARENET_REDIS_URL")
    result = _import("config.asgi", env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "serving"


def test_asgi_entry_point_refuses_to_start_on_a_hole() -> None:
    result = _import("config.asgi", _production_env(CARENET_STAFF_TOTP_REQUIRED="false"))
    assert result.returncode != 0
    assert "carenet.E003" in result.stderr


def test_manage_py_check_refuses_a_short_secret() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_production_env(CARENET_SECRET_KEY="short"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "carenet.E005" in result.stderr


def test_a_missing_base_stylesheet_is_warned_with_the_command_that_brings_it(tmp_path: Path) -> None:
    """BEY-5: Pico CSS is installed from the npm registry, not committed; a checkout without it is told how."""
    from carenet.core.checks import PAGE_BASE_STYLESHEET, page_base_stylesheet

    with override_settings(STATICFILES_DIRS=[tmp_path]):
        (warning,) = page_base_stylesheet()
    assert warning.id == "carenet.W002" and "scripts/ensure-assets" in (warning.hint or "")
    (tmp_path / PAGE_BASE_STYLESHEET).parent.mkdir(parents=True)
    (tmp_path / PAGE_BASE_STYLESHEET).write_text("/* pico */")
    with override_settings(STATICFILES_DIRS=[("prefix", tmp_path)]):
        assert page_base_stylesheet() == []
