"""Settings, all from the environment (django-environ).

With nothing set, the app runs on a SQLite file with Celery tasks executed in
process and debug on, so a bare machine can serve it (DESIGN §9). Set
``DATABASE_URL`` and ``CELERY_BROKER_URL`` for PostgreSQL, Redis and real
workers; set ``DJANGO_DEBUG=false`` and a real ``DJANGO_SECRET_KEY`` for
production, where ``manage.py check --deploy`` is clean.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")  # optional; the real environment wins

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-local-development-key-never-used-in-production"  # noqa: S105  # nosec B105 -- only with debug on
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is false."
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "trusts",
    "catalogue",
    "suppliers",
    "orders",
    "reports",
]

MIDDLEWARE = [
    # First: a load balancer's probe of /healthz comes over plain HTTP to the
    # server's own address, which the HTTPS redirect and ALLOWED_HOSTS refuse.
    "alliance_procurement.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Where each request comes from, for the audit trail.
    "trusts.middleware.RequestOriginMiddleware",
    "alliance_procurement.middleware.SessionSecurityMiddleware",
    "trusts.middleware.AuditDeniedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "alliance_procurement.urls"
WSGI_APPLICATION = "alliance_procurement.wsgi.application"

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
                "trusts.context_processors.membership",
            ],
            "libraries": {
                "app_forms": "alliance_procurement.form_tags",
                "app_tables": "alliance_procurement.table_tags",
            },
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    # A restarted PostgreSQL must not fail the next request on a dead connection.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Exports and PDFs read their rows through a server-side cursor; behind
    # PgBouncer in transaction pooling a cursor cannot outlive its
    # transaction, so turn them off there (docs/scaling.md).
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool(
        "DATABASE_DISABLE_SERVER_SIDE_CURSORS", default=False
    )
# Services own their transactions (STYLE §5).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Reports and exports read from a replica when one is named
# (alliance_procurement/db_routers.py); tests mirror it onto default.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# A replica that did not answer is asked again after this many seconds;
# meanwhile its reads go to the primary (db_routers.replica_answers).
DATABASE_REPLICA_RETRY_SECONDS = env.int("DATABASE_REPLICA_RETRY_SECONDS", default=30)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": DATABASES["default"].get(
            "DISABLE_SERVER_SIDE_CURSORS", False
        ),
        "TEST": {"MIRROR": "default"},
    }
    # A replica that does not answer within this many seconds is skipped and
    # the primary read instead (db_routers.replica_answers); without it a host
    # that drops packets would hold the request for the OS's TCP timeout.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_REPLICA_CONNECT_TIMEOUT", default=3)
    )
    DATABASE_ROUTERS = ["alliance_procurement.db_routers.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
        "alliance_procurement.db_routers.ReplicaReadMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
        }
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Authentication and sessions -------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sign-in throttling first: it refuses locked-out attempts before the password
# is checked, then Django's own backend signs people in (ASVS V6.3); ours
# reads the signed-in user together with their membership on every request.
AUTHENTICATION_BACKENDS = [
    "alliance_procurement.security.RequestAxesBackend",
    "trusts.backends.MembershipModelBackend",
]
# Five failures for one username from one address lock that pair for 15 min.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Successful sign-ins are in the audit trail (trusts.AuditEvent) already.
AXES_DISABLE_ACCESS_LOG = True
# Two-factor sign-in: a confirmed TOTP device asks for its code after the
# password. The admin always asks for it in production.
OTP_TOTP_ISSUER = "Alliance Procurement"
OTP_LOGIN_PENDING_SECONDS = 5 * 60
ADMIN_REQUIRE_OTP = env.bool("DJANGO_ADMIN_REQUIRE_OTP", default=not DEBUG)

# Sessions read from the cache (Redis with REDIS_CACHE_URL), written through
# to the database, so any web server answers any signed-in user.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Sessions end after an hour without a request (idle timeout), configurable.
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_IDLE_SECONDS", default=60 * 60)
# A request renews the idle timeout when the last renewal is this old or more
# (alliance_procurement.middleware): pages in between write nothing.
SESSION_REFRESH_SECONDS = env.int("DJANGO_SESSION_REFRESH_SECONDS", default=60)
# However active, a session ends this long after sign-in (absolute lifetime).
SESSION_MAX_SECONDS = env.int("DJANGO_SESSION_MAX_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Security headers; production hardening when debug is off --------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy (django-csp 4): our own scripts and styles only, no
# inline code; htmx's indicator styles are switched off in base.html.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Internationalisation and time -----------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
# The service is written in British English and ships no translations, so
# Django's translation machinery stays off: every page and message reads the
# same, dates and numbers still take the en-GB formats, and each request
# skips the catalogue lookups (about a seventh of a list page's server time).
USE_I18N = False
USE_TZ = True

# --- Static and media files ------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
                "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
                "default_acl": "private",
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if AWS_STORAGE_BUCKET_NAME
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("DJANGO_STATIC_MANIFEST", default=False)
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}

# Uploaded price lists and catalogues are read in a stream; cap what a form takes.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_IMPORT_UPLOAD_BYTES = env.int("MAX_IMPORT_UPLOAD_BYTES", default=50 * 1024 * 1024)

# --- Email ---------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Alliance Procurement <noreply@alliance.nhs.uk>"
)

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker: run tasks in process, so `make run` works with nothing installed.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once done, and put back if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD",
    default=512 * 1024,  # KiB
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Workers run at this niceness, below the web server (0: as started), so that
# on a shared host pages never wait for a PDF (alliance_procurement/priority.py).
WORKER_NICE = env.int("WORKER_NICE", default=10)
# How long an unacknowledged task waits before Redis hands it to another worker
# (a worker killed outright never rejects its task).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60)
}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "orders.render_*": {"queue": "documents"},
    "reports.build_*": {"queue": "documents"},
}
CELERY_TIMEZONE = "Europe/London"
CELERY_BEAT_SCHEDULE = {
    # Every five minutes, queue again any document left pending too long, so a
    # broker that lost its messages loses no document (DESIGN §6).
    "sweep-pending-documents": {
        "task": "reports.sweep_pending_documents",
        "schedule": crontab(minute="*/5"),
    },
    # Every night, import previews older than IMPORT_PREVIEW_DAYS go out of
    # date and the files of failed and out-of-date uploads are deleted.
    "expire-import-previews": {
        "task": "suppliers.expire_import_previews",
        "schedule": crontab(minute=30, hour=3),
    },
    # At 02:00 on the 1st of each month, build last month's savings pack.
    "monthly-savings-summary": {
        "task": "reports.build_previous_month_savings",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
}
# An import's preview may be confirmed for this many days; then (or once
# another import overtakes it) it is out of date and its file deleted.
IMPORT_PREVIEW_DAYS = env.int("IMPORT_PREVIEW_DAYS", default=7)
DOCUMENT_PENDING_SWEEP_AFTER_SECONDS = env.int(
    "DOCUMENT_PENDING_SWEEP_AFTER_SECONDS", default=10 * 60
)
# Document builds: retries of a transient error, and attempts (worker deaths
# included) before the sweep gives up and marks the document failed.
DOCUMENT_TASK_MAX_RETRIES = env.int("DOCUMENT_TASK_MAX_RETRIES", default=5)
DOCUMENT_MAX_ATTEMPTS = env.int("DOCUMENT_MAX_ATTEMPTS", default=10)
# A 10,000-line order PDF takes minutes: document builds get their own limits.
DOCUMENT_TASK_SOFT_TIME_LIMIT = env.int(
    "DOCUMENT_TASK_SOFT_TIME_LIMIT", default=30 * 60
)
DOCUMENT_TASK_TIME_LIMIT = env.int("DOCUMENT_TASK_TIME_LIMIT", default=31 * 60)

# --- Tables, API -------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "app-table"}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "trusts.backends.MembershipTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    # The API speaks JSON only; /api/docs/ is its browsable face.
    "DEFAULT_PARSER_CLASSES": ["alliance_procurement.api.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "alliance_procurement.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["alliance_procurement.api.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        # Token requests per client address: slows password guessing.
        "api_token": env.str("API_TOKEN_RATE", default="10/min"),
        # Writes per user (or per address when signed out).
        "api_write": env.str("API_WRITE_RATE", default="120/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Alliance Procurement API",
    "DESCRIPTION": "Requisitions, pooling rounds, joint purchase orders and savings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ContractStatusEnum": "suppliers.models.Contract.Status",
        "RequisitionStatusEnum": "orders.models.Requisition.Status",
        "PoolingRoundStatusEnum": "orders.models.PoolingRound.Status",
        "OrderStatusEnum": "orders.models.JointPurchaseOrder.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "alliance_procurement.api.schema_add_error_responses",
    ],
}

# --- Logging ---------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}
