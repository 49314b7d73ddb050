"""The one settings module. Everything that differs between machines comes from the environment.

Without DATABASE_URL the project runs on SQLite in the project folder; without REDIS_URL Celery
runs every task in-process. That is the demo and the newcomer's laptop; production sets both.
"""

import warnings
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = _secret("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The bottom layer first: roles and access rules, below every other app.
    "staff",
    # django.contrib.admin, for superusers and the Admin role only (not every is_staff user)
    "staff.admin_apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "axes",
    "csp",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "respondents",
    "polls",
    "results",
]

# The middlewares only staff pages need pass by the member's pages (config/member_paths.py).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.csp.CSPMiddleware",  # django-csp's, with the policy built once (config/csp.py)
    "config.member_paths.WhiteNoise",
    "config.member_paths.Sessions",
    "config.middleware.ChosenLanguageMiddleware",
    "config.member_paths.Common",
    "django.middleware.csrf.CsrfViewMiddleware",
    "config.member_paths.Authentication",
    # request.user.is_verified(): the session passed the second step (django-otp)
    "config.member_paths.OTP",
    # the second step before any staff page, the Django admin or the API (staff.two_factor)
    "config.member_paths.TwoFactor",
    # who is acting, for the audit entries written by signals (role changes in the admin)
    "config.member_paths.AuditActor",
    "config.member_paths.Messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.member_paths.Htmx",
    "config.db_unavailable.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "staff.context_processors.staff_navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening and closing one per request cost a member's page several
# milliseconds (bench/RESULTS.md). A connection is kept for DATABASE_CONN_MAX_AGE seconds (0:
# closed after each request, as Django's default) and checked before it is reused, so a
# PostgreSQL restart costs one reconnect, not an error page.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The member path's statements are prepared on their second run on a connection
    # (polls/answering/statements.py); the ORM's client-bound cursors never prepare. Empty:
    # nothing is prepared (a pooler in transaction mode without prepared statement support).
    _threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="2")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        int(_threshold) if _threshold else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (the dev server's threads) wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff logins are throttled by django-axes: after AXES_FAILURE_LIMIT wrong passwords for one
# user name from one address, that pair is locked out (HTTP 429) for the cool-off time.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# The client's address as the member rate limits read it (RATELIMIT_IP_META_KEY behind a proxy):
# otherwise every staff member would share the proxy's address and one guesser lock them all out.
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
LOGIN_URL = "login"
# Two-factor login for staff (staff/two_factor.py, django-otp with TOTP devices). A user with a
# confirmed device enters a code after the password; the roles named here (default: Admin, and
# superusers, who count as every role) must set a device up before any staff page opens.
# Empty (STAFF_2FA_REQUIRED_ROLES=): nobody is required to; `make demo` runs so.
STAFF_2FA_REQUIRED_ROLES = env.list("STAFF_2FA_REQUIRED_ROLES", default=["Admin"])
# Wrong codes are throttled by django-otp itself: after the n-th wrong code in a row the device
# refuses every code for FACTOR * 2^(n-1) seconds (1, 2, 4, ... 512 s after ten).
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
OTP_TOTP_ISSUER = "Medlemsröst"
# The Django admin's list of devices shows no secrets (nor their QR codes).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True
# Swedish dates with month names written out ("25 november 2026"); see config/formats/sv/.
# Counts are grouped by the `thousands` filter (staff/templatetags/numbers.py), not by
# USE_THOUSAND_SEPARATOR, which would group ids and form values too.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# Redis: the Celery broker and the shared cache. Without it, tasks run in-process.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": env.str("CELERY_KEY_PREFIX", default="")}
CELERY_TIMEZONE = TIME_ZONE

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="medlemsrost"),
        },
        # The member rate limits' counters: the same Redis, one round trip per count.
        "counters": {
            "BACKEND": "config.cache.CounterCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="medlemsrost"),
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Rate limits on the member's pages (polls.answering.limits, django-ratelimit), counted in the
# cache above: Redis, shared by every process. Without REDIS_URL (the demo, one process) the
# counters are that process's own memory. When Redis is down the project's cache (config/cache.py)
# counts nothing and nobody is limited: answering must go on (tests/test_faults.py), and the
# 128-bit tokens are what makes guessing hopeless (docs/security.md).
MEMBER_RATE_PER_IP = env.str("MEMBER_RATE_PER_IP", default="1200/m")
MEMBER_RATE_PER_TOKEN_PREFIX = env.str("MEMBER_RATE_PER_TOKEN_PREFIX", default="300/m")
RATELIMIT_USE_CACHE = "counters" if REDIS_URL else "default"
RATELIMIT_FAIL_OPEN = True
# Behind a proxy REMOTE_ADDR is the proxy's: name the header it sets with the client's address
# (e.g. HTTP_X_REAL_IP), or every member shares one counter.
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None
SILENCED_SYSTEM_CHECKS = [
    # config.cache.ForgivingRedisCache is Django's RedisCache (atomic INCR), not in the
    # library's list of known names.
    "django_ratelimit.W001",
    # LocMemCache is one process's: right for the demo's single process, see above.
    *([] if REDIS_URL else ["django_ratelimit.E003"]),
]

# E-mail: console output for the demo unless EMAIL_URL says where the SMTP server is.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Medlemsröst <noreply@medlemsrost.se>")
INVITATION_BATCH_SIZE = env.int("INVITATION_BATCH_SIZE", default=200)
# A worker holds a batch's e-mails this long; past it, they are "unknown" (docs/fieldwork.md).
INVITATION_LEASE_SECONDS = env.int("INVITATION_LEASE_SECONDS", default=900)
# An e-mail still queued this long after its task went to the broker is queued again.
INVITATION_REQUEUE_AFTER = env.int("INVITATION_REQUEUE_AFTER", default=1800)
# The first retry of a batch after a temporary SMTP failure; each further one waits twice as long.
INVITATION_RETRY_DELAY = env.int("INVITATION_RETRY_DELAY", default=30)
# Members whose every poll closed this many months ago are erased by beat (polls.privacy,
# docs/privacy.md). 0, the default, is off: erasure cannot be undone, and the period is the
# union's decision for its record of processing, not the installation's.
PERSONAL_DATA_RETENTION_MONTHS = env.int("PERSONAL_DATA_RETENTION_MONTHS", default=0)
# The bounce webhook's shared secret (header X-Medlemsrost-Secret); empty: the webhook is off.
BOUNCE_WEBHOOK_SECRET = env.str("BOUNCE_WEBHOOK_SECRET", default="")

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    # Every endpoint states its own; the default is the staff rule, never `is_staff` alone.
    "DEFAULT_PERMISSION_CLASSES": ["staff.access.IsEditorOrAdmin"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Medlemsröst API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Production runs behind a TLS-terminating proxy (HTTPS=true): secure cookies, HSTS and a
# redirect to https. The demo on http://127.0.0.1 leaves them off.
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # The preload flag only allows submitting the domain to the browsers' list; it enrols nothing.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# A member's token is in the address of every answering page: it must never travel to another
# site in a Referer header.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A Content Security Policy without 'unsafe-inline' or 'unsafe-eval': every script and style is
# a file of ours (tests/test_static_files.py keeps inline ones out of the templates). JSON data
# blocks (`json_script`) are not scripts and need no exception. Plotly's image export makes
# data: and blob: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# Static files are served by WhiteNoise, also straight from the app folders in the demo, where
# no collectstatic has made STATIC_ROOT (WhiteNoise would warn about that on every start).
WHITENOISE_USE_FINDERS = True
if not STATIC_ROOT.exists():
    warnings.filterwarnings("ignore", message="No directory at")

CELERY_BEAT_SCHEDULE = {
    "close-due-polls": {"task": "polls.tasks.close_due_polls", "schedule": 300.0},
    # Leases, due plan steps, and queues lost with Redis (the database is the truth).
    "field-work": {"task": "polls.tasks.field_work_tick", "schedule": 60.0},
    # Result pages whose embargo has ended (scheduled publishing).
    "publish-due-pages": {"task": "results.tasks.publish_due_pages", "schedule": 60.0},
    # The retention rule (PERSONAL_DATA_RETENTION_MONTHS; nothing happens while it is 0).
    "apply-retention": {"task": "polls.tasks.apply_retention", "schedule": 6 * 3600.0},
}
