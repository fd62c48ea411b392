"""Settings, read from environment variables (see README "Configuration").

With nothing set, the product runs on its embedded default: SQLite and a file-system Celery broker
under ``MODAI_DATA_DIR`` (``var/``), with generated development secrets kept there. With
``MODAI_ENV=production`` it refuses to start unless the real secrets and services are configured.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from modai.env import dev_secrets, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("MODAI_DATA_DIR") or BASE_DIR / "var").resolve()

PRODUCTION = env_str("MODAI_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", False)

_REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "CREDENTIAL_KEYS", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
if PRODUCTION:
    missing = [name for name in _REQUIRED_IN_PRODUCTION if not env_str(name)]
    if missing:
        raise ImproperlyConfigured(
            "MODAI_ENV=production needs these environment variables: " + ", ".join(missing)
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when MODAI_ENV=production")
    if len(env_str("SECRET_KEY")) < 40 or env_str("SECRET_KEY").startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must be a long random value in production")
    _generated: dict[str, str] = {}
else:
    _generated = dev_secrets(DATA_DIR)

SECRET_KEY = env_str("SECRET_KEY") or _generated["SECRET_KEY"]
# Fernet keys for ERP credentials, newest first; older keys still decrypt (see rotate_credential_keys).
CREDENTIAL_KEYS = env_list("CREDENTIAL_KEYS") or [_generated["CREDENTIAL_KEYS"]]
INBOUND_EMAIL_SECRET = env_str("INBOUND_EMAIL_SECRET") or _generated.get("INBOUND_EMAIL_SECRET", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# The bundled Sandbox ERP that `make run` starts beside the product and connects the demo entities to.
SANDBOX_PORT = env_int("SANDBOX_PORT", 8765)
SANDBOX_URL = env_str("SANDBOX_URL") or f"http://127.0.0.1:{SANDBOX_PORT}"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "modai",
    "organizations",
    "masterdata",
    "invoices",
    "sync",
    "approvals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "modai.urls"
WSGI_APPLICATION = "modai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "modai.web.context.shell",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
_SQLITE_OPTIONS = {
    # Web, worker and beat share the file: WAL lets readers run beside one writer, and IMMEDIATE
    # transactions take the write lock up front instead of failing mid-way.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 30,
}
if _database_url:
    _database = dj_database_url.parse(_database_url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # Our backend sets the tenant for row-level security on every statement.
        _database["ENGINE"] = "modai.db.postgresql"
        _database.setdefault("OPTIONS", {})
        # Server-side cursors would wrap statements in DECLARE, which the tenant prefix cannot enter.
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif _database["ENGINE"] == "django.db.backends.sqlite3":
        # A SQLite file named by URL (a test's worker process) gets the embedded default's options.
        _database["CONN_MAX_AGE"] = 0
        _database["OPTIONS"] = dict(_SQLITE_OPTIONS)
    DATABASES = {"default": _database}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "modai.sqlite3",
            "OPTIONS": dict(_SQLITE_OPTIONS),
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
IS_POSTGRESQL = DATABASES["default"]["ENGINE"] == "modai.db.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "organizations.User"
AUTHENTICATION_BACKENDS = ["organizations.auth.EmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
# Cookies only over HTTPS in production; SECURE_COOKIES=false for a production-mode stack on plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("MODAI_STATIC_ROOT") or DATA_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(env_str("MODAI_MEDIA_DIR") or DATA_DIR / "media")
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- redis, cache, celery ---------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

BROKER_DIR = DATA_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    # The embedded default: a real broker on local files, shared by web, worker and beat.
    for _folder in ("queue", "control"):
        (BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        # Seconds between looks at an empty queue folder (each look takes at most a worker's free slots).
        "polling_interval": float(env_str("CELERY_BROKER_POLLING_INTERVAL") or 1.0),
    }
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- email ------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Embedded default: every outgoing message is written to var/outbox/ so it can be read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Modai AP <no-reply@modai.local>")

# --- invoice intake ---------------------------------------------------------------------------
# Forwarding addresses are <entity code>-<random>@INBOUND_EMAIL_DOMAIN (see invoices.intake.addresses).
INBOUND_EMAIL_DOMAIN = env_str("INBOUND_EMAIL_DOMAIN", "inbound.modai.local").lower().rstrip(".")
INBOUND_SMTP_HOST = env_str("INBOUND_SMTP_HOST", "127.0.0.1")
INBOUND_SMTP_PORT = env_int("INBOUND_SMTP_PORT", 2525)
INBOUND_EMAIL_MAX_BYTES = env_int("INBOUND_EMAIL_MAX_BYTES", 40 * 1024 * 1024)
INBOUND_IMAP_HOST = env_str("INBOUND_IMAP_HOST")
INBOUND_IMAP_PORT = env_int("INBOUND_IMAP_PORT", 993)
INBOUND_IMAP_USER = env_str("INBOUND_IMAP_USER")
INBOUND_IMAP_PASSWORD = env_str("INBOUND_IMAP_PASSWORD")
INBOUND_IMAP_MAILBOX = env_str("INBOUND_IMAP_MAILBOX", "INBOX")
INBOUND_IMAP_SSL = env_bool("INBOUND_IMAP_SSL", True)
INVOICE_MAX_FILE_BYTES = env_int("INVOICE_MAX_FILE_BYTES", 25 * 1024 * 1024)
# Dotted paths called as hook(invoice=..., actor=...) when an invoice is submitted (approval routing).
INVOICE_SUBMITTED_HOOKS: list[str] = ["approvals.services.submit.approval_route"]
# Dotted paths called as panel(view=..., invoice=...) for the invoice page; each returns a dict with
# the "template" to include and its context (the approval timeline and decision form).
INVOICE_DETAIL_PANELS: list[str] = [
    "approvals.panels.invoice_approval_panel",
    "sync.panels.invoice_push_panel",
]

# --- push to the ERP (sync.push) ---------------------------------------------------------------
# How long a worker holds a delivery while it talks to the ERP; a delivery held longer (a dead worker)
# is taken over and looked up in the ERP before anything is sent again. Keep it above the connector's
# longest call (read timeout x attempts, plus rate-limit waits).
PUSH_LEASE_SECONDS = env_int("PUSH_LEASE_SECONDS", 300)
# Retryable failures (timeouts, 5xx, 429) in a row before a delivery gives up and shows a Sync error.
PUSH_MAX_ATTEMPTS = env_int("PUSH_MAX_ATTEMPTS", 8)
# Backoff between retries: full jitter over base x 2^n, capped; a 429's Retry-After wins when longer.
PUSH_RETRY_BASE_MS = env_int("PUSH_RETRY_BASE_MS", 2000)
PUSH_RETRY_MAX_SECONDS = env_int("PUSH_RETRY_MAX_SECONDS", 600)
# How often beat sweeps the outbox for deliveries no worker is busy with: held past their lease by a
# worker that died, or queued so long ago that the task must have been lost (a broker that dropped it).
# Keep the second well above the longest queue wait, or a backlog fills the queue with duplicates.
PUSH_SWEEP_SECONDS = env_int("PUSH_SWEEP_SECONDS", 60)
PUSH_LOST_TASK_SECONDS = env_int("PUSH_LOST_TASK_SECONDS", 900)
# How often beat pulls payment status for each connected integration.
PAYMENT_PULL_SECONDS = env_int("PAYMENT_PULL_SECONDS", 900)

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "modai.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "modai.api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "modai.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Modai AP API",
    "DESCRIPTION": "AP automation with two-way ERP sync. Authenticate with `Authorization: Token <key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "invoices.models.InvoiceStatus",
        "InvoiceKindEnum": "invoices.models.InvoiceKind",
        "InboundMessageStatusEnum": "invoices.models.InboundMessage.Status",
        "PushKindEnum": "sync.models.PushKind",
        "PushStatusEnum": "sync.models.PushStatus",
        "PushAttemptOutcomeEnum": "sync.models.PushAttemptOutcome",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per ERP request drowns everything else; connectors log what matters themselves.
        "httpx": {"level": env_str("HTTP_LOG_LEVEL", "WARNING")},
        "httpcore": {"level": "WARNING"},
    },
}
