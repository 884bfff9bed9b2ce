"""Settings for the test suite: the same as production-like settings, with fast hashing and no lockout noise."""

import os
import tempfile

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CARENET_SMS_BACKEND = "local"
CARENET_SMS_DEV_INBOX = True
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Patients' files and result reports written by the tests go to a temporary folder of this test process (an ASGI
# server the tests start, tests/live_server.py, is handed the same folder).
CARENET_PRIVATE_ROOT = Path(  # noqa: F405
    os.environ.get("CARENET_TEST_PRIVATE_ROOT") or tempfile.mkdtemp(prefix="carenet-test-private-")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": CARENET_PRIVATE_ROOT, "base_url": None, "file_permissions_mode": 0o600},
    },
}
# Two-factor login is switched on per test (the `settings` fixture); the demo and production have it on.
CARENET_STAFF_TOTP_REQUIRED = False
# ACC-5: the tests run the bank identity flow against the local test bank (carenet.dev.testbank).
CARENET_TEST_BANK_ENABLED = True
# The development apps behind those two switches (installed by config.settings only when they are on there).
INSTALLED_APPS += [app for app in ("carenet.dev", "carenet.dev.testbank") if app not in INSTALLED_APPS]  # noqa: F405
CARENET_BANK_OIDC_CLIENT_ID = CARENET_BANK_OIDC_CLIENT_ID or "carenet-test"  # noqa: F405
CARENET_BANK_OIDC_CLIENT_SECRET = CARENET_BANK_OIDC_CLIENT_SECRET or "carenet-test-bank-secret"  # noqa: F405
