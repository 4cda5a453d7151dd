"""Settings for enerlink, read from the environment.

``DATABASE_URL`` selects any PostgreSQL server. Without it, and only with
``DEBUG`` on, the project runs on the embedded PostgreSQL 18 (see
``enerlink.embedded``), so that a fresh clone works on a machine with no
database server at all. With ``DEBUG`` off a missing ``DATABASE_URL`` is an
error: a production pod that lost its variable must not start a database of
its own in the app folder and migrate a fresh schema there.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Public on purpose: the key of development only; the project refuses to start on it when DEBUG is off.
DEVELOPMENT_SECRET_KEY = "django-insecure-enerlink-development-key-do-not-use-in-production"  # noqa: S105

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is the development key. "
        "Set SECRET_KEY in the environment to a long random value "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "accounts",
    "energy",
]
if DEBUG:
    # Development tooling (demo, build_legacy_data, lint_migrations; graph_models, shell_plus): a
    # production deploy, with DEBUG off, has none of its commands.
    INSTALLED_APPS += ["django_extensions", "enerlink.devtools"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "enerlink.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "enerlink.wsgi.application"
ASGI_APPLICATION = "enerlink.asgi.application"


def database_url():
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    if not DEBUG:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set and DEBUG is off: set DATABASE_URL to the production database "
            "(the embedded PostgreSQL is a development default and only starts with DEBUG on)."
        )
    from enerlink import embedded

    return embedded.ensure_database(os.environ.get("ENERLINK_DATABASE", embedded.DEFAULT_DATABASE))


DATABASE_URL_FORM = "postgresql://USER:PASSWORD@HOST:PORT/NAME"
try:
    DATABASES = {"default": dj_database_url.parse(database_url(), conn_max_age=0)}
except ValueError as error:
    # The URL itself is not shown: it may hold a password.
    reason = str(error).split(". ")[0].rstrip(".")
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL ({reason}): set it to {DATABASE_URL_FORM}."
    ) from None
if not DATABASES["default"].get("NAME"):
    raise ImproperlyConfigured(f"DATABASE_URL names no database: set it to {DATABASE_URL_FORM}.")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL must point at PostgreSQL (got engine {DATABASES['default']['ENGINE']!r}); "
        "the rename reads PostgreSQL's catalog and cannot run elsewhere."
    )
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ENERLINK_TEST_DATABASE")}

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

CACHE_SCHEMES = ("redis", "rediss", "unix")


def cache_settings():
    """``CACHE_URL`` (redis://host:6379/0) selects Django's Redis cache; unset, each process keeps its own.

    ``CACHE_KEY_PREFIX`` keeps this application's keys apart from other applications' on a shared
    Redis; ``CACHE_VERSION`` is bumped by a deploy that must not read the keys the previous one wrote
    (``manage.py clear_user_cache`` then removes the old versions' keys; see docs/rollout.md).
    """
    url = os.environ.get("CACHE_URL", "").strip()
    prefix = os.environ.get("CACHE_KEY_PREFIX", "enerlink")
    try:
        version = int(os.environ.get("CACHE_VERSION", "1"))
    except ValueError:
        raise ImproperlyConfigured(
            f"CACHE_VERSION must be a whole number, not {os.environ['CACHE_VERSION']!r}."
        ) from None
    if not url:
        return {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": prefix,
            "VERSION": version,
        }
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in CACHE_SCHEMES:
        raise ImproperlyConfigured(
            f"CACHE_URL must be a Redis URL (redis://host:6379/0, rediss://... or unix://...), "
            f"got {url.split('@')[-1]!r}; unset it for the local-memory cache."
        )
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "VERSION": version,
    }


CACHES = {"default": cache_settings()}

# Keys the old backend wrote that name prosumer (glob patterns, comma-separated): manage.py
# clear_user_cache removes them with SCAN + UNLINK after the rename. Never FLUSHALL.
ENERLINK_LEGACY_CACHE_PATTERNS = env_list("ENERLINK_LEGACY_CACHE_PATTERNS", ["prosumer:*"])

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# The rename under a live application (docs/rename.md, "Locks"; accounts/settings_checks.py
# validates each value before migrate applies anything). Durations in PostgreSQL's syntax.
# The budget of one attempt of the rename's lock phase: no session waits for the rename longer.
ENERLINK_RENAME_LOCK_TIMEOUT = os.environ.get("ENERLINK_RENAME_LOCK_TIMEOUT", "2s")
# The one lock policy (enerlink/lock_policy.py): how many times migrate retries the whole rename after
# its lock budget ran out (or a deadlock), and the repair and the compatibility schema a step whose lock
# wait ran out, waiting ENERLINK_RENAME_RETRY_WAIT first, then twice as long each time, up to 10 times that.
ENERLINK_RENAME_LOCK_RETRIES = os.environ.get("ENERLINK_RENAME_LOCK_RETRIES", "3")
ENERLINK_RENAME_RETRY_WAIT = os.environ.get("ENERLINK_RENAME_RETRY_WAIT", "3s")
# How long a migrate waits for another migrate of the same database (a second deploy pod).
ENERLINK_MIGRATE_LOCK_WAIT = os.environ.get("ENERLINK_MIGRATE_LOCK_WAIT", "10min")
# How long each wait of a concurrent index build or drop (energy 0003) may last.
ENERLINK_INDEX_LOCK_TIMEOUT = os.environ.get("ENERLINK_INDEX_LOCK_TIMEOUT", "10min")

# The compatibility schema of legacy-named views for old instances during a rolling deploy
# (manage.py user_rename_compat, docs/compat.md), and the application_name(s) old instances set.
ENERLINK_COMPAT_SCHEMA = os.environ.get("ENERLINK_COMPAT_SCHEMA", "enerlink_prosumer")
ENERLINK_COMPAT_APPLICATION_NAMES = env_list("ENERLINK_COMPAT_APPLICATION_NAMES", ["enerlink-old-backend"])

# The admin's "Run verification now" runs the checks that read only the catalog, each query
# bounded by this statement_timeout, so that no web request runs for seconds.
ENERLINK_ADMIN_VERIFY_STATEMENT_TIMEOUT = os.environ.get("ENERLINK_ADMIN_VERIFY_STATEMENT_TIMEOUT", "5s")

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    try:
        SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    except ValueError:
        raise ImproperlyConfigured(
            "SECURE_HSTS_SECONDS must be a whole number of seconds, "
            f"not {os.environ['SECURE_HSTS_SECONDS']!r}."
        ) from None
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# manage.py shell_plus (django-extensions) imports every model; two are called
# User. In the shell, User is the platform's accounts.User (table "user"), and
# the staff accounts of django.contrib.auth are AuthUser.
SHELL_PLUS_MODEL_ALIASES = {"auth": {"User": "AuthUser"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
