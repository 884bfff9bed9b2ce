"""CareNet settings: one module, driven by the environment, safe defaults for the demo.

Every knob is read from an environment variable (see README "Configuration"). Without any, CareNet runs as the
demo: SQLite in ./var, local SMS backend with a developer inbox, debug on.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CARENET_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("CARENET_DEBUG", True)
# With DEBUG off every secret must be set on its own and be at least 32 bytes long, or CareNet refuses to start
# (system checks in carenet/core/checks.py, run by manage.py and by config/wsgi.py / config/asgi.py).
SECRET_KEY = os.environ.get("CARENET_SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "carenet-demo-only-not-secret"  # noqa: S105 - demo default, refused in production (carenet.E005)
# PKG-6: the key that signs the E-Karta's QR code. In debug it is derived from SECRET_KEY; in production it must be
# set on its own, so rotating one key does not silently rotate the other.
CARENET_ECARD_SECRET = os.environ.get("CARENET_ECARD_SECRET", "")
if not CARENET_ECARD_SECRET and DEBUG:
    CARENET_ECARD_SECRET = hashlib.sha256(f"carenet-ecard:{SECRET_KEY}".encode()).hexdigest()
ALLOWED_HOSTS = env_list("CARENET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CARENET_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "carenet.web.back_office.BackOfficeConfig",  # django.contrib.admin, gated by the permission table
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, found by the form renderer below through TEMPLATES
    "django_htmx",
    "template_partials",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "django_tasks",
    "django_tasks_db",
    "carenet.core",
    "carenet.accounts",
    "carenet.network",
    "carenet.coverage",
    "carenet.scheduling",
    "carenet.clinical",
    "carenet.booking",
    "carenet.arrival",
    "carenet.encounters",
    "carenet.renewals",
    "carenet.questions",
    "carenet.results",
    "carenet.files",
    "carenet.consultations",
    "carenet.pregnancy",
    "carenet.closures",
    "carenet.feedback",
    "carenet.complaints",
    "carenet.insights",
    "carenet.messaging",
    "carenet.api",
    "carenet.portal",
    "carenet.web",
    "carenet.staff",
    "carenet.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the server process (issue 16): hashed, compressed, cached for a year; ahead of the
    # sessions, the language and the audit so a stylesheet costs no database query.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the body: under /api/ every answer is JSON, a body over the limit 413 (issue 10).
    "carenet.api.middleware.ApiEdgeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, the login read with its device, patient, children and package (issue 16).
    "carenet.web.session_user.SessionUserMiddleware",
    # Before the session limits, which leave a message when they log an expired session out.
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle timeout and absolute limit of login sessions; no-store on every authenticated answer.
    "carenet.accounts.sessions.SessionLimitMiddleware",
    "carenet.accounts.sessions.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # The second factor before anything else: an unverified session reaches only the code and enrolment pages.
    "carenet.accounts.two_factor.TwoFactorMiddleware",
    "carenet.accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
    "carenet.accounts.throttle.LoginThrottleMiddleware",
]

# Request bodies (issue 10): no page, webhook or API call needs more than a few kilobytes outside file uploads
# (whose files do not count); a body over this answers 413 under /api/ and 400 elsewhere, before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("CARENET_MAX_REQUEST_BODY_BYTES", str(1024 * 1024)))
# FIL-1: the files of one request are taken in up to CARENET_FILE_MAX_BYTES (+1: "too large"); the rest is dropped.
FILE_UPLOAD_HANDLERS = [
    "carenet.web.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carenet.core.context_processors.carenet",
                "carenet.web.context_processors.permissions",
            ],
            # {{ service|localized }}: catalogue names in the page's language in every template (BEY-5)
            # {% url %} as Django's, an address without arguments reversed once per process and language (issue 16)
            "builtins": ["carenet.web.templatetags.catalogue", "carenet.web.templatetags.kept_urls"],
        },
    },
]

# BEY-5: every form field rendered by one template (label, help, error and aria-describedby tied by ids).
FORM_RENDERER = "carenet.web.renderers.CareNetFormRenderer"

# --- Database -------------------------------------------------------------------------------------------------
# SQLite by default (the demo and the fast tests), PostgreSQL through DATABASE_URL (production and CI).
# SQLite runs with WAL, BEGIN IMMEDIATE and a busy timeout, so concurrent writers queue instead of failing.
DATABASE_URL = os.environ.get("DATABASE_URL", "")


# Issue 16: on PostgreSQL a baked statement (carenet/core/baked.py: the token and session reads, the search, the
# booking's reads) that a connection runs CARENET_PG_PREPARE_THRESHOLD times (default 5; "off" = never) is prepared
# there: the server then plans it once for all values where its plan does not depend on them (plan_cache_mode
# "auto"), instead of at every request — planning was most of the database's CPU of a search
# (bench/README-figures.md, "Third round"). Every other statement keeps client-side binding (a server takes at most
# 65,535 parameters per statement). A pooler in transaction mode in between must keep prepared statements per
# server connection (PgBouncer 1.21 or newer with max_prepared_statements), or set "off".
def postgresql_options(prepare_threshold: str) -> dict[str, object]:
    """psycopg's options for CARENET_PG_PREPARE_THRESHOLD: "off", or how many runs before a statement is prepared."""
    value = prepare_threshold.strip().lower()
    if value == "off":
        return {}
    if not value.isdigit():
        raise ImproperlyConfigured(f"CARENET_PG_PREPARE_THRESHOLD must be a whole number or 'off', not {value!r}")
    return {"prepare_threshold": int(value)}  # only the baked statements' cursors bind on the server and prepare


POSTGRESQL_OPTIONS = postgresql_options(os.environ.get("CARENET_PG_PREPARE_THRESHOLD", "5"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["OPTIONS"] = {**POSTGRESQL_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("CARENET_SQLITE_PATH", str(VAR_DIR / "carenet.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                    "PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": os.environ.get("CARENET_SQLITE_TEST_PATH") or None},
        }
    }
# Issue 16: streaming replicas of the primary for searches and read-only pages (carenet.core.replicas): a booking,
# every write and any read right after a write by the same browser or app (for CARENET_REPLICA_PIN_SECONDS) stay on the
# primary. Only with PostgreSQL; without CARENET_REPLICA_URLS there is one database. The test suite uses each replica
# as a mirror of the test database (only the replica tests, -m replica, read from the real one).
# Issue 16: a kept connection is checked (SELECT 1) before a request only when it has been idle this long; one that
# ended a request cleanly a moment ago is used as it is (carenet/core/connection_checks.py). 0: check every request.
CARENET_DB_RECHECK_AFTER_SECONDS = float(os.environ.get("CARENET_DB_RECHECK_AFTER_SECONDS", "1"))
CARENET_REPLICA_URLS = [url.strip() for url in os.environ.get("CARENET_REPLICA_URLS", "").split(",") if url.strip()]
CARENET_REPLICA_PIN_SECONDS = int(os.environ.get("CARENET_REPLICA_PIN_SECONDS", "5"))
CARENET_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("CARENET_REPLICA_MAX_LAG_SECONDS", "3"))
if DATABASE_URL and CARENET_REPLICA_URLS:
    for number, replica_url in enumerate(CARENET_REPLICA_URLS, start=1):
        replica = dj_database_url.parse(replica_url, conn_max_age=60, conn_health_checks=True)
        # a replica away: not a hang
        replica["OPTIONS"] = {**POSTGRESQL_OPTIONS, **replica.get("OPTIONS", {}), "connect_timeout": 2}
        replica["TEST"] = {"MIRROR": "default"}
        DATABASES[f"replica_{number}"] = replica
    DATABASE_ROUTERS = ["carenet.core.replicas.ReplicaRouter"]
    MIDDLEWARE.append("carenet.core.replicas.ReplicaReadsMiddleware")  # last: after the session, user and 2FA
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes' lockout per login and address, then the per-login delay across addresses (before any password).
    "carenet.accounts.throttle.LoginGuardBackend",
    # ACC-2: the SMS first password, once and within ten minutes; after axes, so failures still count.
    "carenet.accounts.backends.FirstPasswordBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

# Lockout after repeated failures, keyed on account and address, with a cool-off so nobody can lock a patient out.
AXES_FAILURE_LIMIT = int(os.environ.get("CARENET_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CARENET_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Not on the password step: with a code still owed that would let a known password reset the count between wrong
# codes; carenet.accounts.two_factor.login_failures_reset clears it once the whole login is done.
AXES_RESET_ON_SUCCESS = False
# Attempts during a lock do not extend it: "try again in 15 minutes" stays true for someone who keeps trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLED = env_bool("CARENET_AXES_ENABLED", True)
AXES_VERBOSE = False
# One answer for every lockout, known login or not: a page (or the API's 429 `locked_out`), never the username.
AXES_LOCKOUT_CALLABLE = "carenet.accounts.lockout.lockout_response"
# The client's address: REMOTE_ADDR, or behind our own proxies the address they saw (see CARENET_TRUSTED_PROXY_COUNT).
AXES_CLIENT_IP_CALLABLE = "carenet.accounts.lockout.client_ip"
# Login sessions end after this many minutes without a request (staff at shared desks sooner than patients) and
# at the latest this many hours after the login (carenet.accounts.sessions). API bearer tokens are not sessions.
CARENET_SESSION_IDLE_MINUTES_STAFF = int(os.environ.get("CARENET_SESSION_IDLE_MINUTES_STAFF", "15"))
CARENET_SESSION_IDLE_MINUTES_PATIENT = int(os.environ.get("CARENET_SESSION_IDLE_MINUTES_PATIENT", "30"))
CARENET_SESSION_MAX_HOURS = int(os.environ.get("CARENET_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = CARENET_SESSION_MAX_HOURS * 3600
# Django's database sessions (the same table and rows) with the session row's read compiled once (issue 16).
SESSION_ENGINE = "carenet.accounts.session_store"
# Per-login throttling across addresses (carenet.accounts.throttle), beside the per-address lockout above: after
# this many failures of one login within the window, from any addresses, each further attempt for that login waits
# a doubling delay (1, 2, 4, 8 minutes ... at most the maximum) or is refused without checking the password. An
# address the login succeeded from within the last days is not delayed, and a success clears the count.
CARENET_LOGIN_THROTTLE_FREE_FAILURES = int(os.environ.get("CARENET_LOGIN_THROTTLE_FREE_FAILURES", "10"))
CARENET_LOGIN_THROTTLE_WINDOW_MINUTES = int(os.environ.get("CARENET_LOGIN_THROTTLE_WINDOW_MINUTES", "60"))
CARENET_LOGIN_THROTTLE_BASE_SECONDS = int(os.environ.get("CARENET_LOGIN_THROTTLE_BASE_SECONDS", "60"))
CARENET_LOGIN_THROTTLE_MAX_MINUTES = int(os.environ.get("CARENET_LOGIN_THROTTLE_MAX_MINUTES", "15"))
CARENET_LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("CARENET_LOGIN_KNOWN_ADDRESS_DAYS", "30"))
# TOTP two-factor (django-otp): required of every staff login unless switched off (the test settings do). Patients
# may turn it on themselves under "Moje konto". Wrong codes are throttled per device (1 s, 2 s, 4 s, ...) and count
# as failed logins for the lockout above.
CARENET_STAFF_TOTP_REQUIRED = env_bool("CARENET_STAFF_TOTP_REQUIRED", True)
OTP_TOTP_ISSUER = os.environ.get("CARENET_TOTP_ISSUER", "CareNet")
OTP_TOTP_THROTTLE_FACTOR = int(os.environ.get("CARENET_TOTP_THROTTLE_FACTOR", "1"))
# The back office never shows an authenticator's secret key (or its QR code).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Internationalisation: Polish first, English available ----------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("CARENET_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Served by WhiteNoise (issue 16). Without DEBUG (production, the benchmarks) from STATIC_ROOT as collected by
# `manage.py collectstatic` (scripts/serve runs it): every name carries its content's hash, gzip copies
# are made once, and the answers may be cached for a year. With DEBUG (the demo) from the source folders, as found.
CARENET_STATIC_MANIFEST = env_bool("CARENET_STATIC_MANIFEST", not DEBUG)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("CARENET_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
# Patients' files (FIL-1) and results' PDF reports (CLN-3) live in the "private" storage: never under the web root
# nor behind a public address, only served by access-checked views. The local disk by default; an S3-compatible
# object store (django-storages) with CARENET_PRIVATE_STORAGE=s3 and the CARENET_S3_* variables below.
CARENET_PRIVATE_ROOT = Path(os.environ.get("CARENET_PRIVATE_ROOT", VAR_DIR / "private"))
CARENET_PRIVATE_STORAGE = os.environ.get("CARENET_PRIVATE_STORAGE", "local")
if CARENET_PRIVATE_STORAGE == "s3":
    _PRIVATE_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("CARENET_S3_BUCKET", ""),
            "endpoint_url": os.environ.get("CARENET_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("CARENET_S3_REGION") or None,
            "access_key": os.environ.get("CARENET_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("CARENET_S3_SECRET_ACCESS_KEY") or None,
            # Private objects: no public ACL, no query-string links handed out — the views stream them.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "location": os.environ.get("CARENET_S3_PREFIX", ""),
        },
    }
else:
    _PRIVATE_STORAGE = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # base_url None: the storage has no public address (.url() is never used for these files).
        "OPTIONS": {"location": CARENET_PRIVATE_ROOT, "base_url": None, "file_permissions_mode": 0o600},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if CARENET_STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    "private": _PRIVATE_STORAGE,
}

# --- Security headers -----------------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        # Scripts only from our own files: no inline script or event handler runs, so injected markup cannot either.
        "script-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CARENET_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A refused form gets a page in the design and the page's language, not Django's technical one (BEY-5, issue 14).
CSRF_FAILURE_VIEW = "carenet.web.errors.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy in production: HTTPS only, remembered by browsers for a year.
SECURE_SSL_REDIRECT = env_bool("CARENET_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("CARENET_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("CARENET_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("CARENET_BEHIND_PROXY", not DEBUG) else None
X_FRAME_OPTIONS = "DENY"
# How many of our own proxies append to X-Forwarded-For; the login lockout keys on the address the outermost one saw.
# 0 (the default without a proxy): REMOTE_ADDR only, so a client cannot pick its own address with a header.
CARENET_TRUSTED_PROXY_COUNT = int(
    os.environ.get("CARENET_TRUSTED_PROXY_COUNT", "1" if SECURE_PROXY_SSL_HEADER is not None else "0")
)

# --- Background work ------------------------------------------------------------------------------------------
# django-tasks with its database backend: tasks are rows in the same database, so a task enqueued inside a
# transaction exists exactly when that transaction commits.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CARENET_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts (ACC-1, ACC-2) ----------------------------------------------------------------------------------
# The first-login password sent by SMS works once and only for this many minutes.
CARENET_FIRST_PASSWORD_MINUTES = int(os.environ.get("CARENET_FIRST_PASSWORD_MINUTES", "10"))
# At most this many first-password SMS go to one phone number within an hour.
CARENET_FIRST_PASSWORD_SMS_PER_HOUR = int(os.environ.get("CARENET_FIRST_PASSWORD_SMS_PER_HOUR", "3"))
# ACC-8: the code confirming a new mobile number works this many minutes and this many wrong tries; at most this
# many codes per patient, and per new number, within an hour.
CARENET_PHONE_CODE_MINUTES = int(os.environ.get("CARENET_PHONE_CODE_MINUTES", "10"))
CARENET_PHONE_CODE_ATTEMPTS = int(os.environ.get("CARENET_PHONE_CODE_ATTEMPTS", "5"))
CARENET_PHONE_CODE_SMS_PER_HOUR = int(os.environ.get("CARENET_PHONE_CODE_SMS_PER_HOUR", "3"))
# CLN-6, issue 10: every read of patient data is recorded (who, whose, what, when, which door) and kept this many
# days — five years by default — then purged hourly.
CARENET_READ_RECORD_KEEP_DAYS = int(os.environ.get("CARENET_READ_RECORD_KEEP_DAYS", "1826"))

# --- Prescription renewals (CLN-2) --------------------------------------------------------------------------------
# "Zamów receptę": the doctor answers within this many working days (weekends and Polish public holidays skipped);
# after half of it the prescriber's facility sees the request too.
CARENET_RENEWAL_SERVICE_WORKING_DAYS = int(os.environ.get("CARENET_RENEWAL_SERVICE_WORKING_DAYS", "2"))

# --- Identity confirmation through a bank (ACC-5) ----------------------------------------------------------------
# The local test identity provider at /dev-bank/ (carenet.dev.testbank): on in the demo and tests, off in production.
# Anyone could confirm their identity by typing their own PESEL into the test bank: refused with DEBUG off (E002).
CARENET_TEST_BANK_ENABLED = env_bool("CARENET_TEST_BANK_ENABLED", DEBUG)
if CARENET_TEST_BANK_ENABLED:
    # Development only: with DEBUG off the system check carenet.E002 and the app itself refuse to start.
    INSTALLED_APPS.append("carenet.dev.testbank")
# The bank's OpenID Connect issuer. Empty with the test bank on: this server's own /dev-bank (as the browser reached
# it). The client ID and secret default to the test bank's demo client only while the test bank is on.
CARENET_BANK_OIDC_ISSUER = os.environ.get("CARENET_BANK_OIDC_ISSUER", "")
CARENET_BANK_OIDC_DISCOVERY_URL = os.environ.get("CARENET_BANK_OIDC_DISCOVERY_URL", "")
CARENET_BANK_OIDC_CLIENT_ID = os.environ.get(
    "CARENET_BANK_OIDC_CLIENT_ID", "carenet-demo" if CARENET_TEST_BANK_ENABLED else ""
)
CARENET_BANK_OIDC_CLIENT_SECRET = os.environ.get(
    "CARENET_BANK_OIDC_CLIENT_SECRET", "carenet-demo-bank-secret" if CARENET_TEST_BANK_ENABLED else ""
)
CARENET_BANK_OIDC_SCOPE = os.environ.get("CARENET_BANK_OIDC_SCOPE", "openid profile pesel")
# The ID-token claim that carries the PESEL number the bank vouches for.
CARENET_BANK_OIDC_PESEL_CLAIM = os.environ.get("CARENET_BANK_OIDC_PESEL_CLAIM", "pesel")
CARENET_BANK_OIDC_TIMEOUT = float(os.environ.get("CARENET_BANK_OIDC_TIMEOUT", "10"))

# --- Booking (BKG-3, BKG-5, ACC-3, CXL-2, SMS-1) ------------------------------------------------------------------
# A hold keeps a slot for the patient while they confirm (FHIR $hold); the sweep frees expired ones.
CARENET_HOLD_MINUTES = int(os.environ.get("CARENET_HOLD_MINUTES", "5"))
CARENET_HOLD_SWEEP_SECONDS = int(os.environ.get("CARENET_HOLD_SWEEP_SECONDS", "30"))
# How long the task worker's finished results are kept (days): successful ones briefly, failed ones to investigate.
CARENET_TASK_RESULTS_KEEP_DAYS = int(os.environ.get("CARENET_TASK_RESULTS_KEEP_DAYS", "1"))
CARENET_FAILED_TASK_RESULTS_KEEP_DAYS = int(os.environ.get("CARENET_FAILED_TASK_RESULTS_KEEP_DAYS", "14"))
# ACC-3: active bookings a level I account may have made through the portal (older documents said 5; 10 stands).
CARENET_LEVEL_ONE_MAX_PORTAL_BOOKINGS = int(os.environ.get("CARENET_LEVEL_ONE_MAX_PORTAL_BOOKINGS", "10"))
# BKG-5: this many no-shows within the window in one specialty block that specialty for the block period.
CARENET_NO_SHOW_BLOCK_COUNT = int(os.environ.get("CARENET_NO_SHOW_BLOCK_COUNT", "2"))
CARENET_NO_SHOW_WINDOW_DAYS = int(os.environ.get("CARENET_NO_SHOW_WINDOW_DAYS", "30"))
CARENET_NO_SHOW_BLOCK_DAYS = int(os.environ.get("CARENET_NO_SHOW_BLOCK_DAYS", "30"))
# CXL-2: how long a numbered list sent in answer to NIE waits for the patient's number.
CARENET_SMS_CANCEL_PROMPT_HOURS = int(os.environ.get("CARENET_SMS_CANCEL_PROMPT_HOURS", "24"))
# SMS-1: the day-before reminder goes out from this Warsaw hour of the previous day (or at once if later).
CARENET_REMINDER_HOUR = int(os.environ.get("CARENET_REMINDER_HOUR", "10"))
# SCH-4: preparation instructions in a confirmation SMS are shortened to this many characters.
CARENET_SMS_PREPARATION_CHARS = int(os.environ.get("CARENET_SMS_PREPARATION_CHARS", "120"))
# CHK-4: the check-in page "jestem" accepts at most this many attempts per phone and per device within an hour.
CARENET_CHECKIN_ATTEMPTS_PER_HOUR = int(os.environ.get("CARENET_CHECKIN_ATTEMPTS_PER_HOUR", "5"))
# CHK-4: wrong entrance codes per client address an hour (only wrong codes count: a waiting room shares one address).
CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR = int(
    os.environ.get("CARENET_CHECKIN_WRONG_CODES_PER_ADDRESS_PER_HOUR", "10")
)
# CHK-2, issue 14: a check-in recorded by mistake at reception can be undone by the facility's receptionist for this
# many minutes after it; then the action is gone and the server refuses it.
CARENET_CHECK_IN_UNDO_MINUTES = int(os.environ.get("CARENET_CHECK_IN_UNDO_MINUTES", "10"))
# CHK-4: the key of the 6-digit premises code shown at each facility's entrance. Derived from SECRET_KEY only in
# debug (the demo); with DEBUG off it must be set on its own (carenet.E008, E009).
CARENET_PREMISES_CODE_SECRET = os.environ.get("CARENET_PREMISES_CODE_SECRET", "")
if not CARENET_PREMISES_CODE_SECRET and DEBUG:
    CARENET_PREMISES_CODE_SECRET = hashlib.sha256(f"carenet-premises:{SECRET_KEY}".encode()).hexdigest()
# CHK-3, CHK-5: how often the check-in questions and the no-show sweep run (seconds).
CARENET_CHECKIN_QUESTION_SECONDS = int(os.environ.get("CARENET_CHECKIN_QUESTION_SECONDS", "60"))
CARENET_NO_SHOW_SWEEP_SECONDS = int(os.environ.get("CARENET_NO_SHOW_SWEEP_SECONDS", "300"))
# BEY-4: the dashboard's daily roll-up runs this often (seconds); each run rolls up yesterday, re-rolls this many days
# back to yesterday (late no-shows, cancellations, ratings) and any day never rolled back to the backfill limit (days).
CARENET_INSIGHTS_ROLLUP_SECONDS = int(os.environ.get("CARENET_INSIGHTS_ROLLUP_SECONDS", "3600"))
#: Today's figures so far are rolled up this often; the dashboard reads them while younger than two runs (else live).
CARENET_INSIGHTS_TODAY_SECONDS = int(os.environ.get("CARENET_INSIGHTS_TODAY_SECONDS", "300"))
#: The days ahead the hourly roll-up counts as they stand (utilisation and cancellations of the coming weeks).
CARENET_INSIGHTS_AHEAD_DAYS = int(os.environ.get("CARENET_INSIGHTS_AHEAD_DAYS", "31"))
CARENET_INSIGHTS_REROLL_DAYS = int(os.environ.get("CARENET_INSIGHTS_REROLL_DAYS", "7"))
CARENET_INSIGHTS_BACKFILL_DAYS = int(os.environ.get("CARENET_INSIGHTS_BACKFILL_DAYS", "400"))
# CLN-4: a question to the doctor is answered within this many working days (weekends and Polish public holidays
# skipped); past it, it is routed to the facility's clinicians of the visit's specialty (checked this often, seconds).
CARENET_QUESTION_SERVICE_WORKING_DAYS = int(os.environ.get("CARENET_QUESTION_SERVICE_WORKING_DAYS", "2"))
CARENET_QUESTION_ROUTING_SECONDS = int(os.environ.get("CARENET_QUESTION_ROUTING_SECONDS", "300"))
# FBK-1: "Oceń nas" — one rating of the network per patient in this many days; the survey invitations — the share of
# the visits completed the day before that is invited (0–1), never the same patient twice in this many days, the
# hour (Warsaw) before which no invitation is sent, how often the sampling runs (seconds). The sample is a pure
# function of the visit's id and this seed (derived from SECRET_KEY unless set): a rerun picks the same visits.
CARENET_RATE_US_DAYS = int(os.environ.get("CARENET_RATE_US_DAYS", "30"))
CARENET_SURVEY_SAMPLE_RATE = float(os.environ.get("CARENET_SURVEY_SAMPLE_RATE", "0.1"))
CARENET_SURVEY_PATIENT_DAYS = int(os.environ.get("CARENET_SURVEY_PATIENT_DAYS", "90"))
CARENET_SURVEY_SEND_HOUR = int(os.environ.get("CARENET_SURVEY_SEND_HOUR", "10"))
CARENET_SURVEY_SECONDS = int(os.environ.get("CARENET_SURVEY_SECONDS", "3600"))
CARENET_SURVEY_SEED = (
    os.environ.get("CARENET_SURVEY_SEED", "") or hashlib.sha256(f"carenet-survey:{SECRET_KEY}".encode()).hexdigest()
)

# --- Results from laboratories (CLN-3) -------------------------------------------------------------------------
# The MLLP listener (manage.py results_listen) that receives HL7 v2.5 ORU^R01 messages: address and port.
CARENET_MLLP_HOST = os.environ.get("CARENET_MLLP_HOST", "127.0.0.1")
CARENET_MLLP_PORT = int(os.environ.get("CARENET_MLLP_PORT", "2575"))

# --- Patients' files (FIL-1, FIL-2) ---------------------------------------------------------------------------
CARENET_FILE_MAX_BYTES = int(os.environ.get("CARENET_FILE_MAX_BYTES", str(8 * 1024 * 1024)))
CARENET_FILE_MAX_STORED = int(os.environ.get("CARENET_FILE_MAX_STORED", "5"))
# Files are deleted this many months after their upload; the sweep runs this often (seconds).
CARENET_FILE_KEEP_MONTHS = int(os.environ.get("CARENET_FILE_KEEP_MONTHS", "3"))
CARENET_FILE_SWEEP_SECONDS = int(os.environ.get("CARENET_FILE_SWEEP_SECONDS", "3600"))

# FBK-2: a complaint (reklamacja) is answered within 30 days of its filing — the statutory time of Polish law for
# complaints to insurers and other financial-market entities (art. 6 ust. 1 ustawy z 5 sierpnia 2015 r. o
# rozpatrywaniu reklamacji przez podmioty rynku finansowego i o Rzeczniku Finansowym, Dz.U. 2015 poz. 1348), which
# the network applies to every complaint about its care and packages. Shown to the patient as "we answer by".
CARENET_COMPLAINT_ANSWER_DAYS = int(os.environ.get("CARENET_COMPLAINT_ANSWER_DAYS", "30"))
# FBK-3: an insurance claim carries at most this many documents (each a JPG/PNG/PDF of at most CARENET_FILE_MAX_BYTES).
CARENET_CLAIM_MAX_FILES = int(os.environ.get("CARENET_CLAIM_MAX_FILES", "5"))

# --- Online consultations (TEL-2, TEL-3) ------------------------------------------------------------------------
# The WebSockets of the consultation rooms go through Django Channels' channel layer. Redis (CARENET_REDIS_URL,
# e.g. redis://127.0.0.1:6379/0) lets every server process reach every socket — production, and `make test`, which
# starts Debian's redis-server on loopback. Without it, an in-memory layer that only works inside one process: the
# demo's single server.
CARENET_REDIS_URL = os.environ.get("CARENET_REDIS_URL", "")
if CARENET_REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [CARENET_REDIS_URL], "capacity": 1500, "expiry": 30},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# WebRTC's STUN/TURN servers handed to the browsers (JSON, as RTCPeerConnection's iceServers), e.g.
# '[{"urls": ["stun:turn.example.pl:3478"]}]'. With CARENET_TURN_SECRET (coturn's static-auth-secret) the TURN
# addresses in CARENET_TURN_URLS get time-limited credentials (coturn's REST API scheme) for each room.
CARENET_ICE_SERVERS = json.loads(os.environ.get("CARENET_ICE_SERVERS", "[]"))
CARENET_TURN_URLS = env_list("CARENET_TURN_URLS", "")
CARENET_TURN_SECRET = os.environ.get("CARENET_TURN_SECRET", "")
CARENET_TURN_CREDENTIAL_SECONDS = int(os.environ.get("CARENET_TURN_CREDENTIAL_SECONDS", "3600"))
# TEL-2: beyond this estimated wait (minutes) the patient is offered the nearest bookable phone and video times.
CARENET_CONSULTATION_MAX_WAIT_MINUTES = int(os.environ.get("CARENET_CONSULTATION_MAX_WAIT_MINUTES", "45"))
# A room's socket token is good for connecting this many seconds after it was handed out.
CARENET_CONSULTATION_TOKEN_SECONDS = int(os.environ.get("CARENET_CONSULTATION_TOKEN_SECONDS", "300"))

# --- National e-health platform (CLN-5) ----------------------------------------------------------------------
# Registers e-prescriptions and e-referrals (P1) and sick leave (ZUS PUE, e-ZLA): a dotted path to a class that
# implements carenet.clinical.platform.NationalPlatform. The local one assigns identifiers shaped like the
# platform's and registers nothing: with DEBUG off it is refused (carenet.E010) unless explicitly allowed.
CARENET_NATIONAL_PLATFORM = os.environ.get("CARENET_NATIONAL_PLATFORM", "carenet.clinical.platform.LocalPlatform")
CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED = env_bool("CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED", DEBUG)

# --- Closures (NET-3) -------------------------------------------------------------------------------------------
# The portal's address as a patient's phone opens it from a message: the links of SMS and e-mail (a closed
# facility's alternatives, NET-3; the survey invitation's rating page, FBK-1).
CARENET_PUBLIC_URL = os.environ.get("CARENET_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# A moved patient who has not rebooked this many hours after the closure's SMS is on the call centre's list.
CARENET_CLOSURE_CALL_AFTER_HOURS = int(os.environ.get("CARENET_CLOSURE_CALL_AFTER_HOURS", "24"))

# --- Messaging (SMS-3, SMS-4) ---------------------------------------------------------------------------------
# "local" stores messages for the developer inbox; "smsapi" talks to the Polish SMSAPI gateway.
CARENET_SMS_BACKEND = os.environ.get("CARENET_SMS_BACKEND", "local")
CARENET_SMSAPI_TOKEN = os.environ.get("CARENET_SMSAPI_TOKEN", "")
CARENET_SMSAPI_URL = os.environ.get("CARENET_SMSAPI_URL", "https://api.smsapi.pl/")
CARENET_SMSAPI_SENDER = os.environ.get("CARENET_SMSAPI_SENDER", "CareNet")
# The secret path segment of the gateway webhooks. The demo value applies only in debug; without the variable in
# production the webhooks stay closed (403), never open with a publicly known secret.
CARENET_SMS_WEBHOOK_SECRET = os.environ.get(
    "CARENET_SMS_WEBHOOK_SECRET", "carenet-demo-webhook-secret" if DEBUG else ""
)
# The developer inbox (/dev/sms/): refused with DEBUG off (carenet.E001).
CARENET_SMS_DEV_INBOX = env_bool("CARENET_SMS_DEV_INBOX", DEBUG)
if CARENET_SMS_DEV_INBOX:
    INSTALLED_APPS.append("carenet.dev")  # development only: refuses to start with DEBUG off
# Delivery reports go here when set (otherwise as configured in the gateway's panel).
CARENET_SMSAPI_NOTIFY_URL = os.environ.get("CARENET_SMSAPI_NOTIFY_URL", "")
CARENET_SMSAPI_TIMEOUT = float(os.environ.get("CARENET_SMSAPI_TIMEOUT", "10"))
# The outbox (SMS-3): a worker leases a batch of due messages; a lease left by a crashed worker expires and the
# messages are claimed again (the gateway refuses a repeated key, so nothing goes out twice).
CARENET_OUTBOX_BATCH_SIZE = int(os.environ.get("CARENET_OUTBOX_BATCH_SIZE", "50"))
CARENET_OUTBOX_LEASE_SECONDS = float(os.environ.get("CARENET_OUTBOX_LEASE_SECONDS", "60"))
CARENET_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("CARENET_OUTBOX_MAX_ATTEMPTS", "8"))
CARENET_OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("CARENET_OUTBOX_RETRY_BASE_SECONDS", "30"))
CARENET_OUTBOX_RETRY_MAX_SECONDS = float(os.environ.get("CARENET_OUTBOX_RETRY_MAX_SECONDS", "3600"))
# The scheduler enqueues an outbox sweep this often: the safety net for lost hints and expired leases.
CARENET_OUTBOX_SWEEP_SECONDS = int(os.environ.get("CARENET_OUTBOX_SWEEP_SECONDS", "15"))
EMAIL_BACKEND = os.environ.get(
    "CARENET_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("CARENET_FROM_EMAIL", "CareNet <no-reply@carenet.example>")
EMAIL_HOST = os.environ.get("CARENET_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CARENET_EMAIL_PORT", "25"))

# Phone numbers shown wherever a patient may need them (FBK-4).
CARENET_CALL_CENTRE_PHONE = os.environ.get("CARENET_CALL_CENTRE_PHONE", "+48 22 100 20 30")
CARENET_URGENT_HELP_PHONE = os.environ.get("CARENET_URGENT_HELP_PHONE", "+48 22 100 99 99")
# FBK-4: when the call centre answers (shown with its number; the urgent-help line answers 24/7).
CARENET_CALL_CENTRE_WEEKDAY_HOURS = os.environ.get("CARENET_CALL_CENTRE_WEEKDAY_HOURS", "07:00-20:00")
CARENET_CALL_CENTRE_SATURDAY_HOURS = os.environ.get("CARENET_CALL_CENTRE_SATURDAY_HOURS", "08:00-16:00")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CARENET_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # pikepdf announces its C++ logging bridge at INFO on every start of a command that reads PDFs.
        "pikepdf": {"level": "WARNING"},
    },
}
