"""Alongside settings, read from the environment (see `.env.example`).

SQLite in WAL mode under `var/` is the embedded default; PostgreSQL is used when
`DATABASE_URL` is set. Identifying fields are encrypted with the keys in
`ALONGSIDE_ENCRYPTION_KEYS` (or `ALONGSIDE_ENCRYPTION_KEYS_FILE`).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import dj_database_url

from alongside.env import (
    SettingError,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ALONGSIDE_VAR_DIR", str(BASE_DIR / "var")))

# Development mode: `make run`, `make test` and the demo set it. It allows a generated
# secret key and a generated encryption key under var/; production never sets it.
DEV_MODE = env_bool("ALONGSIDE_DEV", False)
DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_secret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEV_MODE:
        raise SettingError(
            "DJANGO_SECRET_KEY is not set (set it, or ALONGSIDE_DEV=true for development)"
        )
    # Random per installation (var/dev-secret.key), never a string in the code.
    from alongside.core.crypto import dev_key

    SECRET_KEY = dev_key(VAR_DIR / "dev-secret.key")

# Comma- or newline-separated Fernet keys: the first encrypts, all decrypt (rotation).
_keys = env_secret("ALONGSIDE_ENCRYPTION_KEYS")
ENCRYPTION_KEYS = [k.strip() for k in _keys.replace("\n", ",").split(",") if k.strip()]
if not ENCRYPTION_KEYS and DEV_MODE:
    from alongside.core.crypto import dev_key

    ENCRYPTION_KEYS = [dev_key(VAR_DIR / "dev-encryption.key")]
if not ENCRYPTION_KEYS:
    raise SettingError(
        "ALONGSIDE_ENCRYPTION_KEYS is not set: identifying fields cannot be encrypted "
        "(see docs/operations.md, 'Encryption key')"
    )
# Key for the blind index used to search encrypted names (core.crypto.blind_token;
# each organisation's key is derived from it). Separate from the data keys, so that
# rotating a data key does not require rebuilding the search index, and from the
# secret key. Required in production; random per installation in development.
SEARCH_INDEX_KEY = env_secret("ALONGSIDE_SEARCH_INDEX_KEY")
if not SEARCH_INDEX_KEY and DEV_MODE:
    from alongside.core.crypto import dev_key

    SEARCH_INDEX_KEY = dev_key(VAR_DIR / "dev-search-index.key")
if not SEARCH_INDEX_KEY:
    raise SettingError(
        "ALONGSIDE_SEARCH_INDEX_KEY is not set: names cannot be searched safely "
        "(see docs/operations.md, 'Encryption key')"
    )
if SEARCH_INDEX_KEY == SECRET_KEY:
    raise SettingError(
        "ALONGSIDE_SEARCH_INDEX_KEY must differ from DJANGO_SECRET_KEY "
        "(see docs/operations.md, 'Encryption key')"
    )

# Key of the audit log's hash chain (core.audit_chain). Keep it out of the database
# and its backups: someone holding both could rewrite the chain. Defaults to a key
# derived from the secret key; set it to keep the two independent (rotating the
# secret key without it makes older rows fail verification).
AUDIT_CHAIN_KEY = (
    env_secret("ALONGSIDE_AUDIT_CHAIN_KEY")
    or hmac.new(
        SECRET_KEY.encode(), b"alongside.audit-chain", hashlib.sha256
    ).hexdigest()
)

# Key of the evaluators' date shift (participants.deid): each participant's dates move
# by a secret number of days derived from it. Rotating it moves every shifted date.
DEID_KEY = (
    env_secret("ALONGSIDE_DEID_KEY")
    or hmac.new(
        SECRET_KEY.encode(), b"alongside.deid-date-shift", hashlib.sha256
    ).hexdigest()
)

# Two-factor sign-in (core.two_factor): the name authenticator apps show.
OTP_TOTP_ISSUER = "Alongside"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "alongside.core.admin_site.PlatformAdminConfig",  # django.contrib.admin, for operators
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "alongside.core",
    "alongside.participants",
    "alongside.workforce",
    "alongside.administration",
    "alongside.care",
    "alongside.assessments",
    "alongside.overdose",
    "alongside.reporting",
    "alongside.web",
    "alongside.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "alongside.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed its second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "alongside.core.middleware.MembershipMiddleware",
    # Idle timeout and absolute lifetime of a signed-in session (core.sessions);
    # after messages (it says why) and the membership (its audit row names it).
    "alongside.core.middleware.SessionTimeoutMiddleware",
    # A session that still owes its second factor reaches only the two-factor pages.
    "alongside.core.two_factor.TwoFactorMiddleware",
    # One read-audit row per response that shows participant data (core.reads).
    "alongside.core.reads.ReadAuditMiddleware",
    "alongside.core.middleware.SecurityHeadersMiddleware",
    # After the security headers, so its 400 carries them; before any view can
    # send a NUL to the database.
    "alongside.core.middleware.HostileInputMiddleware",
]

ROOT_URLCONF = "alongside.urls"
WSGI_APPLICATION = "alongside.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alongside.core.context_processors.membership",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        _db = dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)
        )
    except Exception as exc:  # dj_database_url raises several types
        raise SettingError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if _db.get("ENGINE") not in {
        "django.db.backends.postgresql",
        "django.db.backends.sqlite3",
    }:
        raise SettingError("DATABASE_URL must be a postgres:// or sqlite:// URL")
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Server-side cursors cost extra round trips for the small result sets pages
        # iterate over, and do not work behind a transaction-pooling pgbouncer.
        _db["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES = {"default": _db}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "alongside.sqlite3"),
            "OPTIONS": {
                # WAL lets readers proceed while one writer writes; IMMEDIATE avoids
                # "database is locked" upgrades inside transactions.
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("ALONGSIDE_FAST_HASHER", False):
    # Tests only: argon2 is deliberately slow; the suite sets this for speed.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Sign-in throttling (core.throttle; docs/operations.md, "Sign-in throttling").
ALONGSIDE_LOGIN_THROTTLING = env_bool("ALONGSIDE_LOGIN_THROTTLING", True)
ALONGSIDE_LOGIN_FAILURE_LIMIT = env_int("ALONGSIDE_LOGIN_FAILURE_LIMIT", 5)
ALONGSIDE_LOGIN_ADDRESS_LIMIT = env_int("ALONGSIDE_LOGIN_ADDRESS_LIMIT", 20)
ALONGSIDE_LOGIN_WINDOW_MINUTES = env_int("ALONGSIDE_LOGIN_WINDOW_MINUTES", 15)
# How many proxies in front append to X-Forwarded-For (the client address is the
# n-th from the right); 0 when none.
ALONGSIDE_TRUSTED_PROXIES = env_int(
    "ALONGSIDE_TRUSTED_PROXIES", 1 if env_bool("ALONGSIDE_BEHIND_PROXY") else 0
)

# Mail (password resets). Development prints mail to the console; production sends
# through SMTP (docs/operations.md, "Mail").
EMAIL_BACKEND = env_str(
    "ALONGSIDE_EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEV_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("ALONGSIDE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("ALONGSIDE_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("ALONGSIDE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_secret("ALONGSIDE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("ALONGSIDE_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("ALONGSIDE_EMAIL_FROM", "alongside@localhost")
# A reset link works once, for an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60

LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "care:today"
LOGOUT_REDIRECT_URL = "core:login"
# Sessions keep only a keyed hash of their key (core.sessions). The absolute
# lifetime counts from sign-in; the idle timeout from the last request.
SESSION_ENGINE = "alongside.core.sessions"
SESSION_COOKIE_AGE = env_int("ALONGSIDE_SESSION_MINUTES", 60 * 8) * 60
ALONGSIDE_IDLE_SECONDS = env_int("ALONGSIDE_IDLE_MINUTES", 30) * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ALONGSIDE_SECURE_COOKIES", not DEV_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Use the X-Request-ID a proxy in front sets, instead of making one (core.middleware).
ALONGSIDE_TRUST_REQUEST_ID = env_bool("ALONGSIDE_TRUST_REQUEST_ID")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("ALONGSIDE_BEHIND_PROXY") else None
)
# Transport security in production (docs/operations.md; tested in production mode by
# core/tests/test_production.py). Development (`make run`) serves plain HTTP locally.
SECURE_HSTS_SECONDS = env_int("ALONGSIDE_HSTS_SECONDS", 0 if DEV_MODE else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ALONGSIDE_HSTS_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False  # a decision for the site's owner, not a default
# Redirect plain HTTP to HTTPS unless the proxy in front already does
# (ALONGSIDE_SSL_REDIRECT=false).
SECURE_SSL_REDIRECT = env_bool("ALONGSIDE_SSL_REDIRECT", not DEV_MODE)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "alongside" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("ALONGSIDE_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("ALONGSIDE_MANIFEST_STATIC", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Background work (spike detection on demand): django-tasks with its database
# backend, so no other server is needed; `alongside db_worker` runs the queue
# (docs/operations.md, "Background work"). ALONGSIDE_TASKS_IMMEDIATE=true runs each
# task in the request instead (a single-process trial; never in production).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("ALONGSIDE_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("ALONGSIDE_LOG_LEVEL", "INFO")},
    "loggers": {},
}
