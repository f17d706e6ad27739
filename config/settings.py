"""Certdesk settings, read from the environment.

With no configuration at all Certdesk runs embedded: SQLite in the project folder, Celery tasks
in-process, uploaded files on local disk and e-mail printed to the console. Production sets
DEBUG=0, SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and CELERY_BROKER_URL, and behind a reverse proxy
TRUSTED_PROXIES (see README.md).
"""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_database, env_int, env_list, env_networks, env_site_url, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0 (50 or more random characters).")
    # Only for the embedded development set-up; production refuses to start without its own key.
    SECRET_KEY = "django-insecure-certdesk-development-only-key-never-use-in-production-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_countries",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # Infrastructure under the domain apps: they import these, never the other way round.
    "outbox",
    "housekeeping",
    # The domains, each importing only those listed before it (core/, below them all, is no app).
    "accounts",
    "clients",
    "availability",
    "standards",
    "audits",
    "findings",
    "reports",
    "certificates",
    "transfers",
    "complaints",
    # Above the domains: the export of an organisation's records, and the home pages and demo data.
    "records",
    "scheduling",
    "oversight",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The Content-Security-Policy header, from CONTENT_SECURITY_POLICY below.
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: a person's own language when this browser has not chosen one.
    "accounts.middleware.UserLanguageMiddleware",
    # Keeps the request at hand for the security log, whose services do not receive it.
    "accounts.security.RequestContextMiddleware",
    # After authentication: marks request.user verified when this session entered a one-time code,
    # then sends those who still owe one to the two-factor pages.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a login that hit the failure limit into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.roles",
                "portal.context_processors.nav_section",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'certdesk.sqlite3'}")}
# Seconds a database connection is kept for the next request (0: one per request).
DATABASES["default"]["CONN_MAX_AGE"] = env_int(
    "DATABASE_CONN_MAX_AGE", 0 if "sqlite3" in DATABASES["default"]["ENGINE"] else 600, minimum=0
)
if "sqlite3" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Wait for a writer rather than fail at once.
            "timeout": 20,
            # A transaction takes the write lock when it starts: two saves at once then queue, where
            # a read that later wants to write would fail with "database is locked".
            "transaction_mode": "IMMEDIATE",
            # Readers never wait for the writer (write-ahead log); a commit no longer waits for the
            # disk each time, only at checkpoints, and a power cut loses at most the last commits.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked
    # (django-axes' AxesStandaloneBackend, tolerating the test client's request-less login()).
    "accounts.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Certdesk never grants anything to anonymous visitors, so guardian needs no anonymous user row.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_404 = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Log-in throttling (django-axes, attempts in the database). AXES_FAILURE_LIMIT failed log-ins in a
# row for one username from one address lock that pair for AXES_COOLOFF_MINUTES; a success clears
# the count. Locking the pair, not the username alone, keeps a guesser elsewhere from locking a
# colleague out. The address is the client's by the one rule (accounts/addresses.py, proxies below).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_key"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# A page naming the wait in minutes, with status 429 and Retry-After (accounts/lockout.html).
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# No banner on every manage.py command; lockouts are still logged.
AXES_VERBOSE = False

# Two-factor log-in with a time-based one-time code (django-otp, TOTP). Anyone may turn it on at
# /account/two-factor/; with REQUIRE_2FA_FOR_STAFF certification staff and auditors must. An API
# call that a valid token authenticated (Authorization: Token …) is not asked for a code; a session
# that owes one is refused whatever headers come with it (accounts/middleware.py, authentication.py).
REQUIRE_2FA_FOR_STAFF = env_bool("REQUIRE_2FA_FOR_STAFF", default=False)
OTP_TOTP_ISSUER = "Certdesk"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our date formats per language (config/formats/<lang>/formats.py): 27 Nov 2026 / 27 nov 2026.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded evidence is confidential: MEDIA_ROOT is never served as static files; downloads go
# through views that check permission.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "var" / "media")
MEDIA_URL = None
# Largest evidence file accepted (bytes); phone photos and scanned PDFs fit well within 25 MB.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 25 * 1024 * 1024, minimum=1)
# Uploads larger than 2.5 MB are spooled to a temporary file here while the request runs. A folder
# of Certdesk's own (made at start-up), so the nightly orphan clean-up never touches other
# programs' files in /tmp.
# Records retention: where a disposal writes the organisation's full export (one .tar.gz each)
# before it deletes anything. Keep it on storage that is backed up and not served.
RECORDS_ARCHIVE_ROOT = Path(env_str("RECORDS_ARCHIVE_ROOT") or BASE_DIR / "var" / "archive")
FILE_UPLOAD_TEMP_DIR = str(Path(env_str("FILE_UPLOAD_TEMP_DIR") or BASE_DIR / "var" / "tmp" / "uploads"))
# Temporary uploads and stored files no record names are removed once older than this.
ORPHAN_FILE_AGE_HOURS = env_int("ORPHAN_FILE_AGE_HOURS", 24, minimum=1)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: printed to the console unless EMAIL_BACKEND or EMAIL_HOST says otherwise.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or str(BASE_DIR / "var" / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Certdesk <certdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# The certification body itself, printed on plans, reports and certificates.
CERTIFICATION_BODY_NAME = env_str("CERTIFICATION_BODY_NAME", "Certdesk Certifiering AB")
# Whose public holidays are not working days in the deadlines counted in working days (complaints'
# acknowledgement): an ISO 3166 country code, or empty for weekends only (core/working_days.py).
CERTIFICATION_BODY_HOLIDAYS = env_str("CERTIFICATION_BODY_HOLIDAYS", "SE")
CERTIFICATION_BODY_ADDRESS = env_str("CERTIFICATION_BODY_ADDRESS", "Box 1234, 111 22 Stockholm, Sweden")
# Absolute address of the site, used in e-mails and QR codes; without it, the development server's
# (http://127.0.0.1:$PORT, the port `make run PORT=…` serves on, 8000 by default).
SITE_URL = env_site_url("SITE_URL", port_name="PORT")

# Celery: with no broker configured, tasks run in-process so the embedded set-up needs nothing else.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else None
)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# A broker that is down must cost a request at most about this many seconds, once: e-mails and
# documents wait in the outbox (outbox/) and are handed over later. So: a short connection timeout,
# no reconnection attempts before a publish and none after a failed one.
CELERY_BROKER_TIMEOUT = env_int("CELERY_BROKER_TIMEOUT", 1, minimum=1)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_BROKER_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # kombu: connect once, without its reconnection loop, when a publish needs a connection.
    "max_retries": 0,
    # Redis: the connection attempt, then each read or write on a broker that stops answering
    # (above the worker's one-second wait for new tasks, so an idle queue is no timeout).
    "socket_connect_timeout": CELERY_BROKER_TIMEOUT,
    "socket_timeout": 5,
}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# The outbox (outbox/): how often celery beat hands waiting rows to the workers; how many tries a
# passing failure (mail server, network) gets before the row is marked failed for staff to retry;
# how long done rows are kept.
OUTBOX_DISPATCH_SECONDS = env_int("OUTBOX_DISPATCH_SECONDS", 60, minimum=1)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 5, minimum=1)
OUTBOX_KEEP_DAYS = env_int("OUTBOX_KEEP_DAYS", 30, minimum=1)
CELERY_BEAT_SCHEDULE: dict = {
    # Reminders, escalations and suspension candidates for nonconformities; at 06:00 local time
    # (CELERY_TIMEZONE), so the day's e-mails are waiting when the office opens.
    "nonconformity-deadlines": {
        "task": "findings.tasks.run_nonconformity_deadlines",
        "schedule": crontab(hour=6, minute=0),
    },
    # Certificates past their expiry date become expired; suspensions past their end are flagged.
    "certificates-daily": {
        "task": "certificates.tasks.run_certificates_daily",
        "schedule": crontab(hour=0, minute=15),
    },
    # Complaints and appeals near or past their acknowledge-by and answer-by dates: one reminder to
    # the handler per deadline (complaints/notices.py); at 06:10, after the nonconformities' run.
    "complaint-deadlines": {
        "task": "complaints.tasks.run_case_deadlines",
        "schedule": crontab(hour=6, minute=10),
    },
    # The outbox: e-mails and documents not yet handed to a worker (the broker was down when they
    # were recorded, or a passing failure waits for its next try). Expires with the next run, so a
    # worker that was away does not find a queue of them.
    "outbox-dispatch": {
        "task": "outbox.tasks.dispatch_due",
        "schedule": timedelta(seconds=OUTBOX_DISPATCH_SECONDS),
        "options": {"expires": OUTBOX_DISPATCH_SECONDS},
    },
    "outbox-purge": {"task": "outbox.tasks.purge_done", "schedule": crontab(hour=3, minute=0)},
    # Records retention: the organisations whose records are due for disposal, for staff to confirm.
    "records-disposals-due": {
        "task": "records.tasks.list_disposals_due",
        "schedule": crontab(hour=4, minute=0),
    },
    # Files left by a process killed during an upload (housekeeping/orphans.py).
    "orphan-files": {
        "task": "housekeeping.tasks.remove_orphan_files",
        "schedule": crontab(hour=3, minute=30),
    },
}

# The default cache is Django's database cache in a SQLite file of its own (core/routers.py) that
# every process of this machine shares: the gunicorn workers count the rate limits below together.
# Its table is made by `manage.py createcachetable --database cache` (make run does it). Several
# machines must share one cache (CACHE_URL=redis://…), or each counts on its own.
# sqlite:////path/cache.sqlite3 moves the file (say, when the project folder is read-only).
CACHE_URL = env_str("CACHE_URL")
if not CACHE_URL or (CACHE_URL.startswith("sqlite:////") and len(CACHE_URL) > len("sqlite:////")):
    DATABASES["cache"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": CACHE_URL.removeprefix("sqlite:///")
        if CACHE_URL
        else str(BASE_DIR / "var" / "cache.sqlite3"),
        # Kept open: it is asked on every public request.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            # A count is a small write: the write-ahead log takes it without waiting for the disk.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
    DATABASE_ROUTERS = ["core.routers.CacheRouter"]
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "certdesk_cache",
            # Past this many entries the expired ones go first (Django culls on a write): room for
            # the counts of a couple of thousand clients at once.
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    raise ImproperlyConfigured(
        "CACHE_URL must be a redis://, rediss://, unix:// or sqlite:////absolute/path URL; "
        f"got {CACHE_URL!r}."
    )

# The public verification pages, rendered once per version of the certificate (certificates/
# public_views.py): kept in each process's memory, where nothing needs sharing and the rate-limit
# counts in the default cache are never pushed out; at most 500 pages of a few kilobytes, and for
# ten minutes at most (a bound on anything outside the certificate's row, though nothing changes
# there today without saving the certificate).
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "certdesk-pages",
    "TIMEOUT": 600,
    "OPTIONS": {"MAX_ENTRIES": 500},
}

# The public verification pages and API: at most PUBLIC_RATE_LIMIT requests per client address in
# PUBLIC_RATE_PERIOD seconds, counted together (django-ratelimit, in the default cache).
PUBLIC_RATE_LIMIT = env_int("PUBLIC_RATE_LIMIT", 60, minimum=1)
PUBLIC_RATE_PERIOD = env_int("PUBLIC_RATE_PERIOD", 60, minimum=1)
# Password-reset e-mails: at most PASSWORD_RESET_LIMIT_PER_ADDRESS to one e-mail address and
# PASSWORD_RESET_LIMIT_PER_CLIENT asked for from one client address in PASSWORD_RESET_PERIOD
# seconds. Past either, the page answers as always and no e-mail goes (accounts/lockout.py).
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10, minimum=1)
PASSWORD_RESET_PERIOD = env_int("PASSWORD_RESET_PERIOD", 60 * 60, minimum=1)
# A cache that cannot be reached lets requests through rather than taking verification down.
RATELIMIT_FAIL_OPEN = True
# django-ratelimit's "ip" key, should a limit use it: the client's address by the one rule.
RATELIMIT_IP_META_KEY = "accounts.addresses.client_key"

# The client's address (accounts/addresses.py) is REMOTE_ADDR unless proxies are configured: a
# client writes its own X-Forwarded-For, so trusting it by default let anyone served directly pick
# a new address for every log-in guess. Behind a reverse proxy REMOTE_ADDR is the proxy's; then set
# TRUSTED_PROXIES (the proxies' addresses or networks: X-Forwarded-For is read only from them, the
# client being its rightmost hop not among them) and/or NUM_PROXIES (how many proxies append to
# it, DRF's rule; alone it is believed from anyone, so only when nothing else can reach the app).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)
# X-Forwarded-Proto (whether the client used HTTPS) is believed behind configured proxies only,
# unless BEHIND_PROXY says otherwise; the proxy must overwrite what a client sent.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=bool(TRUSTED_PROXIES or NUM_PROXIES))

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's own: the token with its user, one query (select_related).
        "rest_framework.authentication.TokenAuthentication",
        # DRF's SessionAuthentication, refusing a session that still owes its one-time code.
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: DRF's browsable API renders a form for every write, whose foreign-key fields offer
    # records far beyond the caller's own (other clients' sites, audits, findings, by name). The
    # API is documented and tried out at /api/docs/; a browser asking for a page gets JSON.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, building each view's FilterSet once and skipping it when nothing is filtered.
        "core.api.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Left unset, DRF would take a throttled client's address from the whole X-Forwarded-For; its
    # throttle here counts by accounts.addresses.client_key in any case.
    "NUM_PROXIES": NUM_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Certdesk API",
    "DESCRIPTION": "Clients, sites, standards, audits and certificates of a certification body.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Several serializers carry the same state fields; one named enum each keeps the schema clean.
    "ENUM_NAME_OVERRIDES": {
        "AuditStatusEnum": "audits.models.AuditStatus",
        "NonconformityStatusEnum": "findings.models.NonconformityStatus",
        "GradeEnum": "findings.models.Grade",
        "CertificateStatusEnum": "certificates.models.CertificateStatus",
        "OutcomeEnum": "certificates.models.DecisionOutcome",
        "ObjectionDecisionEnum": ["replaced", "kept"],
        "TransferDocumentKindEnum": "transfers.models.DocumentKind",
        "TransferNcGradeEnum": "transfers.models.NcGrade",
        "TransferOutcomeEnum": ["accept", "refuse"],
        "CaseOutcomeEnum": "complaints.models.CaseOutcome",
        "CaseStateEnum": "complaints.models.CaseState",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Security. Production (DEBUG=0) is HTTPS-only behind a proxy that sets X-Forwarded-Proto.
# A session ends SESSION_COOKIE_AGE seconds after log-in, whatever the browser does.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60, minimum=300)
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The phone file picker may open the camera; nothing asks for the location or the microphone.
PERMISSIONS_POLICY = "camera=(self), geolocation=(), microphone=()"
# No inline script or style anywhere: every script and stylesheet is a file under /static/.
# The API docs page (Swagger UI) alone gets inline styles, in config/urls.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes the app server itself, over plain HTTP: answer it rather than redirect.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
}
