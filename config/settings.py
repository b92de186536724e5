"""Settings for the alliance registry, driven by environment variables.

DJANGO_ENV=production switches on the deployment hardening (secret key required,
HTTPS, secure cookies, HSTS); anything else is a local or test setup. DEBUG is off
unless DJANGO_DEBUG is set. The database is DATABASE_URL, else the POSTGRES_* names,
else the embedded PostgreSQL of config.localdb.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.release import release_id

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "django-insecure-local-only-never-used-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# The site's public address, e.g. https://registry.example.org: absolute links (language
# alternates, "cite this", CSV permalinks) are built from it rather than from the request.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "alliance.editorial.site.RegistryAdminConfig",  # django.contrib.admin, models in the order of work
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.sitemaps",  # the sitemap's templates
    "import_export",
    "simple_history",
    "axes",
    "alliance",
]

MIDDLEWARE = [
    # The container's health check: before the HTTPS redirect and the host check.
    "alliance.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "alliance.middleware.SecurityHeadersMiddleware",
    "alliance.middleware.DatabaseUnavailableMiddleware",
    # Which database a request reads: a replica for public pages, else the primary.
    "alliance.dbrouter.ReplicaMiddleware",
    "alliance.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Who made a change, for the history of every record.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses a username/address pair after too many failures, before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The editorial screens of import-export and simple-history, in the catalogue's Japanese.
        "DIRS": [BASE_DIR / "alliance" / "editorial" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "alliance.public.context_processors.language_switch",
            ],
        },
    },
]


def database_settings() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url and os.environ.get("POSTGRES_HOST"):
        # Percent-encoded: a password (or name) with @ / # % : ? would otherwise change
        # where the URL points or cut it short.
        url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
            user=quote(os.environ.get("POSTGRES_USER", "postgres"), safe=""),
            password=quote(os.environ.get("POSTGRES_PASSWORD", ""), safe=""),
            host=os.environ["POSTGRES_HOST"],
            port=os.environ.get("POSTGRES_PORT", "5432"),
            name=quote(os.environ.get("POSTGRES_DB", "alliance"), safe=""),
        )
    if url:
        config = _postgres_url(url, "DATABASE_URL")
    else:
        from config import localdb

        config = {"ENGINE": "config.localdb", "NAME": localdb.database_name(), "USER": localdb.DB_USER}
    return _primary_connections(config)


def _postgres_url(url: str, name: str) -> dict:
    config = dj_database_url.parse(url)
    if not config["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(f"{name} must point at PostgreSQL")
    return config


# The web application (config/wsgi.py, so gunicorn) sets this: its connections get the
# statement and idle-in-transaction timeouts, client-side deadlines and breakers below.
# Management commands (migrate, imports, backups, synth) run unbounded.
SERVING = env_bool("ALLIANCE_SERVING")


def _seconds(name: str, default: str) -> float:
    return float(os.environ.get(name, default))


def _connections(config: dict, *, connect_timeout: float, pool_timeout: float, query_timeout: float, retry: float) -> dict:
    """Every connection, pooled or not, primary or replica: a connect timeout (libpq counts
    whole seconds, at least 2) and TCP keepalives (a peer that vanished is noticed on an
    idle connection within ~25 s); when serving, PostgreSQL's statement_timeout and
    idle_in_transaction_session_timeout, and RESILIENCE: a client-side deadline on every
    query (``query``; a frozen server cancels nothing itself), a shorter one on the checks
    that decide where a request reads (``check``), and how long a server that failed is
    passed over (``retry``) — config/pgbackend, alliance/resilience.py."""
    options = {
        **config.get("OPTIONS", {}),
        "connect_timeout": max(int(round(connect_timeout)), 2),
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    if SERVING:
        statement = int(_seconds("DATABASE_STATEMENT_TIMEOUT", "30") * 1000)
        idle = int(_seconds("DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", "60") * 1000)
        options["options"] = f"-c statement_timeout={statement} -c idle_in_transaction_session_timeout={idle}"
        config["RESILIENCE"] = {"query": query_timeout, "check": _seconds("DATABASE_CHECK_TIMEOUT", "0.5"), "retry": retry}
    if config["ENGINE"] == "django.db.backends.postgresql":
        config["ENGINE"] = "config.pgbackend"
    if env_bool("DATABASE_POOL"):
        # psycopg's pool lives inside each worker process; Django requires
        # CONN_MAX_AGE=0 with it.
        options["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("DATABASE_POOL_MAX", "8")),
            # While the database is down a request waits this long for a connection (then
            # the server is passed over for ``retry`` seconds, and answers 503 at once).
            "timeout": pool_timeout,
        }
        # Each pooled connection is checked before it is handed out, so one broken by a
        # database restart is replaced instead of failing a request: by the pool, or when
        # serving by our backend under the ``check`` deadline (the pool's check has none).
        config["CONN_HEALTH_CHECKS"] = not SERVING
        config["CONN_MAX_AGE"] = 0
    else:
        config["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "0"))
        config["CONN_HEALTH_CHECKS"] = True
    config["OPTIONS"] = options
    return config


def _primary_connections(config: dict) -> dict:
    statement = _seconds("DATABASE_STATEMENT_TIMEOUT", "30")
    return _connections(
        config,
        connect_timeout=_seconds("DATABASE_CONNECT_TIMEOUT", "2"),
        pool_timeout=_seconds("DATABASE_POOL_TIMEOUT", "2"),
        # The server cancels a statement first; the client gives up only on one that says nothing.
        query_timeout=statement + 2,
        retry=_seconds("DATABASE_RETRY_SECONDS", "5"),
    )


def replica_settings() -> dict:
    """DATABASE_REPLICA_URLS: comma-separated PostgreSQL streaming replicas of the primary,
    as databases replica1, replica2 … Public reads go to them (alliance/dbrouter.py)."""
    replicas = {}
    for number, url in enumerate(env_list("DATABASE_REPLICA_URLS"), 1):
        config = _postgres_url(url, "DATABASE_REPLICA_URLS")
        # Tests run against the primary alone.
        config["TEST"] = {"MIRROR": "default"}
        # A replica that does not answer is given up quickly (connecting, or waiting for a
        # pooled connection, and every query), and passed over for a while; the primary
        # answers instead.
        connect = _seconds("DATABASE_REPLICA_CONNECT_TIMEOUT", "2")
        replicas[f"replica{number}"] = _connections(
            config,
            connect_timeout=connect,
            pool_timeout=connect,
            query_timeout=_seconds("DATABASE_REPLICA_QUERY_TIMEOUT", "2"),
            retry=_seconds("DATABASE_REPLICA_RETRY_SECONDS", "5"),
        )
    return replicas


DATABASES = {"default": database_settings(), **replica_settings()}
DATABASE_ROUTERS = ["alliance.dbrouter.ReplicaRouter"]
# Read replicas (alliance/dbrouter.py): a public read uses a replica only if its data
# version is at least the primary's as read within this many seconds; a replica that
# fails is left out this long; a browser that wrote reads the primary this long.
DATABASE_REPLICA_MAX_STALENESS = float(os.environ.get("DATABASE_REPLICA_MAX_STALENESS", "1"))
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "5"))
DATABASE_REPLICA_STICKY_SECONDS = int(os.environ.get("DATABASE_REPLICA_STICKY_SECONDS", "60"))
# The deadline of the small queries that decide where a request reads (a replica's and the
# primary's version, a pooled connection's check): a frozen server costs at most this.
DATABASE_CHECK_TIMEOUT = _seconds("DATABASE_CHECK_TIMEOUT", "0.5")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("日本語")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "alliance" / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Import-export writes an import inside one transaction: all rows or none.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOGIN_URL = "admin:login"

# Editors import with the change permission and export with the view permission;
# the public can do neither (they never reach the admin).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# Login throttling: five failures for one username from one address lock that pair
# out for the cooling-off period, even with the right password afterwards.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "alliance/locked_out.html"
# The client address: REMOTE_ADDR, or behind AXES_PROXY_COUNT trusted proxies (each
# appending to X-Forwarded-For) the address the outermost of them saw, never the
# spoofable left-most entry. django-axes 8 reads only AXES_CLIENT_IP_CALLABLE for this.
PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT") or 0)
AXES_CLIENT_IP_CALLABLE = "alliance.middleware.client_ip_address"

# Scripts only from this site: no inline script anywhere (the admin's included). Inline
# style attributes stay allowed; they cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Public pages carry an ETag from the data version and this release, and are cached under
# both: a new deployment changes every ETag even where the data did not change, and hosts
# running one release share the cache. From the environment, the RELEASE file an image's
# build writes, the git commit, or the code's content (config/release.py).
RELEASE_ID = release_id()



def cache_settings() -> dict:
    """List counts and facets, and rendered public pages (compressed), all keyed by the
    data version, so nothing in the cache is ever stale.

    CACHE_URL (or REDIS_URL), e.g. redis://cache:6379/0: a Redis or Valkey server shared
    by every worker and every host, so a page rendered by one is served by all and an
    edit anywhere changes the version all of them read. Unset: per process (LocMem).
    """
    url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 3000}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL")
    timeout = float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.5"))
    return {
        # After a timeout or a refused connection the server is passed over this long (each
        # request a miss, no wait), then probed in the background (alliance/resilience.py).
        "RETRY_SECONDS": float(os.environ.get("CACHE_RETRY_SECONDS", "10")),
        # Django's RedisCache, reading an unreachable server as a miss (config/cache.py).
        "BACKEND": "config.cache.SharedCache",
        "LOCATION": url,
        # Several registries (or staging beside production) may share one server.
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "alliance"),
        "TIMEOUT": 3600,
        "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
    }


CACHES = {"default": cache_settings()}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto.
    if env_bool("DJANGO_BEHIND_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # Django's own messages go to the console once (not again through the root logger).
    "loggers": {"django": {"handlers": ["console"], "level": "INFO" if DEBUG else "WARNING", "propagate": False}},
}

# Warming (alliance/public/warming.py): after each data-version bump and at worker start,
# every worker's background thread renders the first page of each list, in each language,
# with its count and facets, into the cache before a reader asks. Started by gunicorn's
# post_worker_init hook (gunicorn.conf.py) only; DJANGO_WARM_PAGES=0 turns it off. Pages
# are cached per host: they are rendered for DJANGO_WARM_HOSTS over DJANGO_WARM_SCHEME
# (https behind the TLS redirect), else for DJANGO_SITE_URL's host, else for the concrete
# names in ALLOWED_HOSTS.
WARM_PAGES = env_bool("DJANGO_WARM_PAGES", True)
# 0 (the default): a new worker serves at once and warms and primes itself in the
# background, yielding to readers. Above 0: how long a worker may warm and prime itself
# before it takes its first request (at most half of gunicorn's --timeout).
WARM_START_SECONDS = float(os.environ.get("DJANGO_WARM_START_SECONDS", "0"))
WARM_HOSTS = env_list("DJANGO_WARM_HOSTS", "")
WARM_SCHEME = os.environ.get("DJANGO_WARM_SCHEME") or (
    "https" if PRODUCTION and globals().get("SECURE_SSL_REDIRECT") else "http"
)
