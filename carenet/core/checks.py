"""Production guardrails: with DEBUG off CareNet refuses to start on a setting that would open a hole.

Registered as Django system checks (Error level, stable ids ``carenet.E0xx``), so ``manage.py check``, ``migrate``
and the workers refuse; and :func:`refuse_to_start` runs them from ``config/wsgi.py`` / ``config/asgi.py``, since
gunicorn and uvicorn do not run system checks themselves. With DEBUG on (the demo, development) nothing is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

#: Shortest secret accepted in production, in bytes (a 256-bit key).
MIN_SECRET_BYTES = 32

#: The development implementation of the national e-health platform (CLN-5), by its dotted path (core imports no
#: app).
LOCAL_NATIONAL_PLATFORM = "carenet.clinical.platform.LocalPlatform"

#: The secrets that must be at least MIN_SECRET_BYTES long: (setting, check id, required even when empty).
SECRETS: tuple[tuple[str, str, bool], ...] = (
    ("SECRET_KEY", "carenet.E005", True),
    ("CARENET_ECARD_SECRET", "carenet.E006", True),
    # Empty keeps the SMS gateway webhooks closed (403): allowed; a short one is not.
    ("CARENET_SMS_WEBHOOK_SECRET", "carenet.E007", False),
    ("CARENET_PREMISES_CODE_SECRET", "carenet.E008", True),
)


def _setting(name: str) -> Any:
    try:
        return getattr(settings, name, None)
    except ImproperlyConfigured:  # Django refuses to read an empty SECRET_KEY
        return ""


def _switches() -> Iterable[checks.Error]:
    if _setting("CARENET_SMS_DEV_INBOX"):
        yield checks.Error(
            "CARENET_SMS_DEV_INBOX is on with DEBUG off: anyone could read first passwords and answer as a patient.",
            hint="Unset CARENET_SMS_DEV_INBOX (or set it to false) in production.",
            id="carenet.E001",
        )
    if _setting("CARENET_TEST_BANK_ENABLED"):
        yield checks.Error(
            "CARENET_TEST_BANK_ENABLED must not be on with DEBUG off: anyone could confirm their identity by typing "
            "their own PESEL into the test bank.",
            hint="Unset CARENET_TEST_BANK_ENABLED and configure the real bank (CARENET_BANK_OIDC_*).",
            id="carenet.E002",
        )
    if not _setting("CARENET_STAFF_TOTP_REQUIRED"):
        yield checks.Error(
            "CARENET_STAFF_TOTP_REQUIRED is off with DEBUG off: staff would log in with a password alone.",
            hint="Unset CARENET_STAFF_TOTP_REQUIRED (it defaults to on).",
            id="carenet.E003",
        )
    if not _setting("AXES_ENABLED"):
        yield checks.Error(
            "The login lockout (django-axes) is off with DEBUG off: passwords could be guessed without limit.",
            hint="Unset CARENET_AXES_ENABLED (it defaults to on).",
            id="carenet.E004",
        )

    if _setting("CARENET_NATIONAL_PLATFORM") == LOCAL_NATIONAL_PLATFORM and not _setting(
        "CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED"
    ):
        yield checks.Error(
            "CARENET_NATIONAL_PLATFORM is the local platform with DEBUG off: e-prescriptions, e-referrals and sick "
            "leave would get made-up numbers that no pharmacy, clinic or ZUS knows.",
            hint="Set CARENET_NATIONAL_PLATFORM to the P1/ZUS PUE client (or CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED "
            "to true for a test installation).",
            id="carenet.E010",
        )


def _inside(path: Any, parent: Any) -> bool:
    try:
        return Path(path).resolve().is_relative_to(Path(parent).resolve())
    except (TypeError, ValueError, OSError):
        return False


def _private_storage() -> Iterable[checks.Error]:
    """FIL-2, CLN-3: patients' files and result reports are never where a web server serves files from."""
    kind = _setting("CARENET_PRIVATE_STORAGE")
    if kind == "s3":
        if not _setting("STORAGES").get("private", {}).get("OPTIONS", {}).get("bucket_name"):
            yield checks.Error(
                "CARENET_PRIVATE_STORAGE is s3 but CARENET_S3_BUCKET is not set: patients' files and result "
                "reports would have nowhere to go.",
                hint="Set CARENET_S3_BUCKET (and CARENET_S3_ENDPOINT_URL, CARENET_S3_REGION and the keys).",
                id="carenet.E011",
            )
    elif kind != "local":
        yield checks.Error(
            f"CARENET_PRIVATE_STORAGE is {kind!r}; it must be local or s3.",
            hint="Unset it (the local disk) or set it to s3.",
            id="carenet.E011",
        )
    else:
        root = _setting("CARENET_PRIVATE_ROOT")
        for served in ("STATIC_ROOT", "MEDIA_ROOT"):
            where = _setting(served)
            if where and root and (_inside(root, where) or _inside(where, root)):
                yield checks.Error(
                    f"CARENET_PRIVATE_ROOT ({root}) overlaps {served} ({where}), which a web server may serve: "
                    "patients' files must only be reachable through CareNet's access-checked views.",
                    hint="Point CARENET_PRIVATE_ROOT to a folder of its own, outside the static and media folders.",
                    id="carenet.E012",
                )


def _secrets() -> Iterable[checks.Error]:
    for name, check_id, required in SECRETS:
        value = _setting(name) or ""
        length = len(value.encode() if isinstance(value, str) else bytes(value))
        if not value and not required:
            continue
        env_name = "CARENET_SECRET_KEY" if name == "SECRET_KEY" else name
        if not value:
            yield checks.Error(
                f"{env_name} is not set with DEBUG off.",
                hint=f"Set {env_name} to a random value of at least {MIN_SECRET_BYTES} bytes "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))"); each secret on its own.',
                id="carenet.E009" if name == "CARENET_PREMISES_CODE_SECRET" else check_id,
            )
        elif length < MIN_SECRET_BYTES:
            yield checks.Error(
                f"{env_name} is {length} bytes long; at least {MIN_SECRET_BYTES} are required with DEBUG off.",
                hint=f"Set {env_name} to a random value of at least {MIN_SECRET_BYTES} bytes.",
                id=check_id,
            )


def _channel_layer() -> Iterable[checks.CheckMessage]:
    """TEL-2: the consultation rooms' sockets of a patient and a clinician may sit in two server processes; only a
    shared channel layer (Redis) carries the chat, the signals and the queue's changes between them. A single
    process works without it, so this warns rather than refuses."""
    if not _setting("CARENET_REDIS_URL"):
        yield checks.Warning(
            "CARENET_REDIS_URL is not set with DEBUG off: the online consultations' sockets use the in-memory channel "
            "layer, which cannot reach sockets in other server processes (a patient and a clinician on two workers "
            "would not hear each other; queue changes made by workers would not reach anyone).",
            hint="Set CARENET_REDIS_URL (redis://host:6379/0) for every web and worker process, or run exactly one "
            "ASGI server process.",
            id="carenet.W001",
        )


@checks.register("carenet")
def production_guardrails(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every refusal (and the warning of a channel layer that stays in one process), or none when DEBUG is on."""
    if settings.DEBUG:
        return []
    return [*_switches(), *_secrets(), *_private_storage(), *_channel_layer()]


#: The stylesheet every page links first (Pico CSS, copied from the npm package by ``scripts/ensure-assets``).
PAGE_BASE_STYLESHEET = Path("vendor") / "pico" / "pico.min.css"


@checks.register("carenet")
def page_base_stylesheet(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """BEY-5: the pages' base stylesheet comes from the npm registry and is not committed; without it every page
    renders unstyled (and fails its phone-width and contrast promises). Warned in development and production."""
    folders = [entry[1] if isinstance(entry, tuple) else entry for entry in _setting("STATICFILES_DIRS") or []]
    if any((Path(folder) / PAGE_BASE_STYLESHEET).is_file() for folder in folders):
        return []
    return [
        checks.Warning(
            f"The pages' base stylesheet static/{PAGE_BASE_STYLESHEET.as_posix()} is missing: pages render unstyled.",
            hint="Run scripts/ensure-assets (make setup does; --production in production), then collectstatic.",
            id="carenet.W002",
        )
    ]


def refuse_to_start() -> None:
    """For the production entry points (WSGI/ASGI): with DEBUG off, run the system checks and raise
    ``ImproperlyConfigured`` listing every error, so the server does not start serving."""
    if settings.DEBUG:
        return
    problems = [
        message
        for message in checks.run_checks(include_deployment_checks=False)
        if message.is_serious() and not message.is_silenced()
    ]
    if problems:
        listing = "\n".join(f"- {problem}" for problem in problems)
        raise ImproperlyConfigured(f"CareNet refuses to start with DEBUG off:\n{listing}")
