"""Settings for the commitments tracker.

Every value an operator may change comes from the environment (or a `.env` file
beside `manage.py`, which never overrides a variable that is already set).
The README lists them.
"""

import datetime
import json
import sys
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"  # local state: the SQLite test database, the filesystem queue, beat's schedule
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
env.smart_cast = False  # strict parsing: a value is only cast to the type each call asks for


def env_flag(name: str, default: bool) -> bool:
    """A true/false variable; anything else is an error rather than a silent False."""
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int, minimum: int = 0, maximum: int = 2**31 - 1) -> int:
    """A whole number within its bounds; anything else is an error that names the variable."""
    value = env.str(name, default="").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if not minimum <= number <= maximum:
        raise ImproperlyConfigured(f"{name} must be from {minimum} to {maximum}, not {number}.")
    return number


# ENV_FILE="" reads no file (the test suite does this, to be independent of a developer's .env).
ENV_FILE = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE:
    env.read_env(ENV_FILE)

# --- Core --------------------------------------------------------------------

DEBUG = env_flag("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105 (DEBUG only)
# Without DEBUG the key stays empty here, so that offline commands (makemigrations, check) work
# without secrets; the web server and the Celery worker refuse to start (config/startup.py).

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])

INSTALLED_APPS = [
    "config.apps.TrackerAdminConfig",  # django.contrib.admin on the project's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "csp",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "knox",  # API tokens, stored hashed, each with an expiry
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "config.apps.ProjectConfig",
    "meetings",
    "commitments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, precompressed, answered here
    "config.middleware.CompressionMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The headers and the log of refusals wrap everything below, the early answers of the
    # login, session and two-factor checks included.
    "config.middleware.NoStoreForAuthenticatedMiddleware",
    "config.middleware.DeniedRequestLogMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.middleware.MethodNotAllowedPageMiddleware",
    # An htmx request sent to the login page reloads the whole page there (outside the two below).
    "config.middleware.HtmxLoginRedirectMiddleware",
    # Every page needs a logged-in user unless its view is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "config.middleware.SessionTimeoutMiddleware",
    "config.two_factor.TwoFactorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as its documentation asks: answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
    # Innermost, so that its 413 carries every header above; it runs before any view reads the body.
    "config.middleware.RequestSizeLimitMiddleware",
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
            ],
            "builtins": ["commitments.templatetags.tracker", "django.templatetags.l10n"],
        },
    },
    {  # the e-mail digests and the commitment list's rows (commitments/jinja_engine.py)
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "APP_DIRS": True,  # <app>/jinja2/
        "OPTIONS": {"environment": "commitments.jinja_engine.environment"},
    },
]

# The admin's history pages are a record: a version is shown, never restored (meetings/admin.py).
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- HTTPS and headers ---------------------------------------------------------------
# Production runs behind the ministry's TLS-terminating proxy; cookies are secure unless DEBUG.

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_flag("BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = env_flag("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = False
# An intranet host cannot be on the browsers' public HSTS preload list, so the advice to ask for it is moot.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Everything comes from the app itself; no inline script anywhere. Inline styles are allowed
# (the admin and htmx's indicator use them); scripts are not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Request sizes ------------------------------------------------------------
# Refused with 413 by the app itself (config/middleware.py), whatever a proxy in front allows.

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_BODY_MAX_BYTES", 2_621_440, minimum=1)  # forms and API bodies: 2.5 MB
# The largest file (an attachment, a spreadsheet to import): 25 MB. A multipart body may carry it and the form.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 25 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("REQUEST_MAX_FIELDS", 1000, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE  # larger files are spooled to disk

# --- Database ----------------------------------------------------------------
# SQLite by default so that a laptop needs no server; PostgreSQL in production.

DATABASES = {"default": env.db("DATABASE_URL", default="sqlite:///db.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A relative SQLite path is relative to the project, not to the working directory.
    DATABASES["default"]["NAME"] = str(BASE_DIR / DATABASES["default"]["NAME"])
    # Take the write lock when a transaction starts, so that a read-then-write inside
    # transaction.atomic() cannot interleave with another writer (web and worker share the file).
    # A writer waits up to 20 s for another's lock (Python's default, 5 s, ran out on a busy machine: a progress
    # update then failed with "database is locked" instead of landing a moment later).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
        "timeout": 20,
    }
    # A file, not memory, for the test database: the live tests' Celery worker opens it too.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation of queries: it pays off for long analytical queries only, and cost the search's
    # (commitments/search.py) 15-100 ms each on the benchmark's database, where the planner's estimates of a
    # correlated subquery crossed its threshold for queries that run in 2-6 ms. The search's spelling variants are
    # at least 0.5 alike (search.SIMILARITY): pg_trgm's index then skips the words less alike (2.6 ms for a word
    # among 200,000 rather than 6 ms at its default of 0.3).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off -c pg_trgm.similarity_threshold=0.5".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------
# Counters of the password-reset throttle. A folder under var/ by default, shared by the processes of one
# machine; with several machines, Redis: CACHE_URL=redis://127.0.0.1:6379/1.

CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# --- Authentication ------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses logins while an account and address are locked out
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: 5 failures for one username from one address lock them out for 15 minutes.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=7 * 24 * 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed login stays in the admin, not only the current count
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
AXES_USERNAME_CALLABLE = "config.security.lockout_username"  # "ALICE", "Alice" and "ALİCE" count as one
# Two-factor login with an authenticator app: optional for everyone, compulsory for coordinators
# and superusers when this is true (config/two_factor.py).
TWO_FACTOR_REQUIRED = env_flag("TWO_FACTOR_REQUIRED", default=False)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Commitments tracker")
# Proxies whose X-Forwarded-For is believed (the last address they append is the client). None by default:
# without a proxy, that header is whatever the client chose to send.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
# Password-reset e-mails: at most this many per hour for one address, and requests from one client address.
PASSWORD_RESET_LIMIT_PER_ADDRESS = env_int("PASSWORD_RESET_LIMIT_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESET_LIMIT_PER_CLIENT = env_int("PASSWORD_RESET_LIMIT_PER_CLIENT", 10, minimum=1)

# Sessions: ended after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_COOKIE_AGE after login.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE", 12 * 60 * 60, minimum=60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Directory login -------------------------------------------------------------
# With LDAP_SERVER_URI, staff log in with their directory account (LDAP, Active Directory) beside the local
# accounts (config/directory.py); without it, local accounts only.

DIRECTORY_ENTRY_IDS = ["entryUUID", "objectGUID"]  # OpenLDAP's (RFC 4530), Active Directory's
DIRECTORY_GROUP_TYPES = {  # LDAP_GROUP_TYPE: how a group lists its members
    "groupOfNames": ("GroupOfNamesType", "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": ("GroupOfUniqueNamesType", "(objectClass=groupOfUniqueNames)"),
    "posixGroup": ("PosixGroupType", "(objectClass=posixGroup)"),
    "activeDirectory": ("NestedActiveDirectoryGroupType", "(objectClass=group)"),  # nested groups count too
}


def directory_working_group_roles() -> dict[str, dict[str, str]]:
    """LDAP_WORKING_GROUP_ROLES: for a working group (its slug), the directory group (DN) of each role, in JSON:
    {"india-uzbekistan-jwg-ct": {"coordinator": "cn=jwg-ct-leads,ou=groups,…", "member": "cn=jwg-ct,…"}}."""
    from ldap.dn import is_dn

    text = env.str("LDAP_WORKING_GROUP_ROLES", default="").strip()
    if not text:
        return {}
    try:
        roles = json.loads(text)
    except ValueError as error:
        raise ImproperlyConfigured(f"LDAP_WORKING_GROUP_ROLES is not valid JSON: {error}.") from None
    valid = isinstance(roles, dict) and all(
        isinstance(slug, str)
        and isinstance(dns, dict)
        and dns
        and all(role in ("coordinator", "member") and isinstance(dn, str) and is_dn(dn) for role, dn in dns.items())
        for slug, dns in roles.items()
    )
    if not valid:
        raise ImproperlyConfigured(
            'LDAP_WORKING_GROUP_ROLES must map working groups to roles to group DNs: {"group-slug": '
            '{"coordinator": "cn=…", "member": "cn=…"}}, with the roles "coordinator" and "member" and group DNs.'
        )
    return {slug: {role: dn.lower() for role, dn in dns.items()} for slug, dns in roles.items()}


def ldap_dn(name: str, default: str = "") -> str:
    """A distinguished name, checked for its syntax: one mistyped is refused at start, not at each login."""
    import ldap.dn

    value = env.str(name, default=default).strip()
    if value and not ldap.dn.is_dn(value):
        raise ImproperlyConfigured(f"{name} is not a distinguished name (cn=…,dc=…): {value!r}.")
    return value


def ldap_uris() -> str:
    """LDAP_SERVER_URI: ldap:// or ldaps:// addresses (a host, perhaps a port), separated by spaces."""
    from urllib.parse import urlsplit

    uris = []
    for uri in env.str("LDAP_SERVER_URI", default="").split():
        parts = urlsplit(uri)
        try:
            port_ok = parts.netloc.isascii() and (parts.port is None or parts.port > 0)
        except ValueError:  # not a number, or over 65535
            port_ok = False
        if parts.scheme.lower() not in ("ldap", "ldaps") or not parts.hostname or "@" in parts.netloc or not port_ok:
            raise ImproperlyConfigured(
                f"LDAP_SERVER_URI must be ldap:// or ldaps:// addresses of servers, not {uri!r}."
            )
        uris.append(f"{parts.scheme.lower()}://{parts.netloc}")
    return " ".join(uris)


def ldap_user_filter() -> str:
    """LDAP_USER_FILTER: one parenthesised filter, with %(user)s where the username goes."""
    value = env.str("LDAP_USER_FILTER", default="(uid=%(user)s)").strip()
    depth, closes_at_the_end = 0, value.startswith("(")
    for position, char in enumerate(value):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0 or (depth == 0 and position < len(value) - 1):
            closes_at_the_end = False  # unbalanced, or a second filter after the first
            break
    try:
        fills = "%(user)s" in value and bool(value % {"user": "someone"})
    except (TypeError, ValueError, KeyError):  # another % than %(user)s: write a literal one as %%
        fills = False
    if not (closes_at_the_end and depth == 0) or not fills:
        raise ImproperlyConfigured(
            "LDAP_USER_FILTER must be one filter in parentheses with %(user)s where the username goes (and %% for a "
            f"literal %): {value!r}."
        )
    return value


def ldap_ca_file() -> str:
    value = env.str("LDAP_CA_FILE", default="").strip()
    if value and not (Path(value).is_file() and "BEGIN CERTIFICATE" in Path(value).read_text(errors="replace")):
        raise ImproperlyConfigured(f"LDAP_CA_FILE {value!r} is not a file of PEM certificates.")
    return value


def directory_settings() -> dict:
    """django-auth-ldap's settings (AUTH_LDAP_*) and the app's own (DIRECTORY_*), from the environment."""
    uri = ldap_uris()
    if not uri:
        return {"DIRECTORY_LOGIN": False, "AUTH_LDAP_SERVER_URI": ""}
    import ldap
    from django_auth_ldap import config as ldap_config

    search_base = ldap_dn("LDAP_USER_SEARCH_BASE")
    if not search_base:
        raise ImproperlyConfigured("LDAP_USER_SEARCH_BASE must be set with LDAP_SERVER_URI: where users are found.")
    user_filter = ldap_user_filter()
    timeout = env_int("LDAP_TIMEOUT_SECONDS", 5, minimum=1, maximum=300)
    options = {ldap.OPT_REFERRALS: 0, ldap.OPT_NETWORK_TIMEOUT: timeout, ldap.OPT_TIMEOUT: timeout}
    if ca_file := ldap_ca_file():
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
    if uri.startswith("ldaps://") or env_flag("LDAP_START_TLS", default=False) or ca_file:
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0  # last: the TLS options above take effect
    try:  # as each connection will set them (nothing is sent): libldap reads the CA file here
        probe = ldap.initialize(uri.split()[0])
        for option, value in options.items():
            probe.set_option(option, value)
    except (ValueError, ldap.LDAPError) as error:
        raise ImproperlyConfigured(f"LDAP_CA_FILE {ca_file!r} cannot be used by the LDAP library: {error!r}.") from None
    attributes = ["*", *DIRECTORY_ENTRY_IDS]  # the entry's own attributes, and the id that outlives renames
    values = {
        "DIRECTORY_LOGIN": True,
        "AUTH_LDAP_SERVER_URI": uri,  # several, separated by spaces, are tried in turn (config/directory.py)
        "AUTH_LDAP_START_TLS": env_flag("LDAP_START_TLS", default=False),
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        "AUTH_LDAP_BIND_DN": ldap_dn("LDAP_BIND_DN"),  # empty: an anonymous bind
        "AUTH_LDAP_BIND_PASSWORD": env.str("LDAP_BIND_PASSWORD", default=""),
        "AUTH_LDAP_USER_SEARCH": ldap_config.LDAPSearch(search_base, ldap.SCOPE_SUBTREE, user_filter, attributes),
        "AUTH_LDAP_USER_ATTRLIST": attributes,
        "AUTH_LDAP_USER_ATTR_MAP": {
            "first_name": env.str("LDAP_FIRST_NAME_ATTRIBUTE", default="givenName"),
            "last_name": env.str("LDAP_LAST_NAME_ATTRIBUTE", default="sn"),
            "email": env.str("LDAP_EMAIL_ATTRIBUTE", default="mail"),
        },
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,  # name, e-mail and flags follow the directory at each login
        "DIRECTORY_CHECK_MINUTES": env_int("LDAP_CHECK_MINUTES", 15, minimum=1, maximum=24 * 60),
        "DIRECTORY_PASSWORD_HELP": env.str(
            "LDAP_PASSWORD_HELP", default="Change it, or have it reset, as for the rest of the ministry's network."
        ),
    }
    groups = {
        "AUTH_LDAP_REQUIRE_GROUP": ldap_dn("LDAP_REQUIRE_GROUP") or None,
        "is_staff": ldap_dn("LDAP_STAFF_GROUP"),
        "is_superuser": ldap_dn("LDAP_SUPERUSER_GROUP"),
    }
    values["DIRECTORY_WORKING_GROUP_ROLES"] = roles = directory_working_group_roles()
    if any(groups.values()) or roles:
        base = ldap_dn("LDAP_GROUP_SEARCH_BASE")
        group_type = env.str("LDAP_GROUP_TYPE", default="groupOfNames")
        if not base:
            raise ImproperlyConfigured(
                "LDAP_GROUP_SEARCH_BASE must be set with the LDAP_*_GROUP settings and LDAP_WORKING_GROUP_ROLES."
            )
        if group_type not in DIRECTORY_GROUP_TYPES:
            raise ImproperlyConfigured(f"LDAP_GROUP_TYPE must be one of {', '.join(DIRECTORY_GROUP_TYPES)}.")
        class_name, group_filter = DIRECTORY_GROUP_TYPES[group_type]
        values["AUTH_LDAP_GROUP_SEARCH"] = ldap_config.LDAPSearch(base, ldap.SCOPE_SUBTREE, group_filter)
        values["AUTH_LDAP_GROUP_TYPE"] = getattr(ldap_config, class_name)()
        values["AUTH_LDAP_REQUIRE_GROUP"] = groups.pop("AUTH_LDAP_REQUIRE_GROUP")
        values["AUTH_LDAP_USER_FLAGS_BY_GROUP"] = {flag: dn for flag, dn in groups.items() if dn}
    return values


DIRECTORY_LOGIN, DIRECTORY_CHECK_MINUTES, DIRECTORY_PASSWORD_HELP, DIRECTORY_WORKING_GROUP_ROLES = False, 15, "", {}
globals().update(directory_settings())
if DIRECTORY_LOGIN:
    AUTHENTICATION_BACKENDS.append("config.directory.DirectoryBackend")  # after local accounts


LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day

# --- Language, dates and time --------------------------------------------------
# British English: "30 September 2025". "Today" is the date in TIME_ZONE.

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Kolkata")
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = ["config.formats"]

# --- Static files --------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Bootstrap comes from npm (`npm ci`, run by the Makefile) and is served by the app: no CDN on an intranet.
STATICFILES_DIRS = [BASE_DIR / "static", ("bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Attachments: a folder under var/ by default; never served from a URL of their own (every download goes
    # through a view that applies the rules). ATTACHMENT_STORAGE=s3 keeps them in an S3-compatible store.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("ATTACHMENT_DIR", default=str(VAR_DIR / "attachments")),
            "base_url": None,
            # Read by the user the app runs as and its group (the worker), nobody else.
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    },
}
ATTACHMENT_STORAGE = env.str("ATTACHMENT_STORAGE", default="files")
if ATTACHMENT_STORAGE not in ("files", "s3"):
    raise ImproperlyConfigured(f"ATTACHMENT_STORAGE is {ATTACHMENT_STORAGE!r}: use files (the default) or s3.")
if ATTACHMENT_STORAGE == "s3":
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("ATTACHMENT_S3_BUCKET"),
            "endpoint_url": env.str("ATTACHMENT_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("ATTACHMENT_S3_REGION", default=None),
            "access_key": env.str("ATTACHMENT_S3_ACCESS_KEY", default=None),
            "secret_key": env.str("ATTACHMENT_S3_SECRET_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

# --- E-mail --------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
EMAIL_USE_LOCALTIME = True  # a Date header with TIME_ZONE's offset, not -0000
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Commitments tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# The right-hand side of calendar UIDs: set once per installation; a new SITE_URL changes no event's UID.
CALENDAR_UID_DOMAIN = env.str("CALENDAR_UID_DOMAIN", default="commitments-tracker.local")

# --- Documents -------------------------------------------------------------------

# The protective marking printed at the head and foot of every page of a downloaded brief (Word, PDF), e.g.
# "RESTRICTED". A brief that includes restricted commitments is marked as such even when this is empty.
BRIEF_MARKING = env.str("BRIEF_MARKING", default="").strip()

# The kinds of attachment kept, as types recognised from a file's content (commitments/attachments.py KINDS, where
# they are listed); empty for all of them. HTML, SVG and programs are never kept.
ATTACHMENT_TYPES = env.list("ATTACHMENT_TYPES", default=[])

# Dates typed with slashes in imported spreadsheets (01/10/2025) are day first, the Indian convention; set this to
# read them month first.
IMPORT_DATES_MONTH_FIRST = env.bool("IMPORT_DATES_MONTH_FIRST", default=False)
# The most rows (under its heading row) one import file may hold; its size is bounded by UPLOAD_MAX_BYTES.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000, minimum=1)

# --- Working groups --------------------------------------------------------------

# Our side of every working group: the default home country of a new group.
HOME_COUNTRY = env.str("HOME_COUNTRY", default="IN").upper()
COUNTRIES_FIRST = [HOME_COUNTRY]

# --- API -------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first, so that a request without credentials is answered 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["config.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only: a form or multipart body is answered 415. (Form encoding cannot say null or an empty list, so a
    # client writing through it could not clear a date or revoke the last grant.)
    "DEFAULT_PARSER_CLASSES": ["config.api.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# API tokens (django-rest-knox): created on the settings page, shown once, stored as a hash, each with an
# expiry of the user's choice up to API_TOKEN_MAX_DAYS; revoked when the password changes.
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365, minimum=1)
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=90),  # the settings page's default choice
    "TOKEN_PREFIX": "ct_",  # recognisable in a leaked file or a secret scanner
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Commitments tracker API",
    "DESCRIPTION": "Working groups, meetings, commitments and progress updates, as the web UI shows them.",
    # The API's version: the major number is the one in the path (/api/v1/); the minor one grows with each
    # backward-compatible addition (docs/api.md, "Versions").
    "VERSION": "1.2",
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",  # operations named and tagged by resource: commitments_list
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",  # served by the app itself: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.document_errors",
        "config.api.document_empty_parameters",
        "config.api.document_closed_objects",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CommitmentStatusEnum": "commitments.models.CommitmentStatus",
        "MeetingStatusEnum": "meetings.models.MeetingStatus",
        "RoleEnum": "meetings.permissions.GROUP_ROLES",
        "ParticipantRoleEnum": "meetings.models.ParticipantRole",
    },
}

# --- Reminders ---------------------------------------------------------------------

# Reminders planned for a day go out from this hour, local time (TIME_ZONE).
REMINDER_SEND_HOUR = env_int("REMINDER_SEND_HOUR", 9, maximum=23)
# A claim still "sending" after this long belongs to a worker that died: it is sent again.
REMINDER_CLAIM_TIMEOUT = env_int("REMINDER_CLAIM_TIMEOUT_SECONDS", 15 * 60, minimum=1)
# Transient SMTP failures are retried after base × 2^(attempts − 1) seconds, at most this many times.
REMINDER_RETRY_BASE = env_int("REMINDER_RETRY_BASE_SECONDS", 60, minimum=1)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 8, minimum=1)
# Recipients whose digests share one SMTP connection.
REMINDER_BATCH_SIZE = env_int("REMINDER_BATCH_SIZE", 100, minimum=1)
# An owner change is announced once its recipient has had no new one for this long, so that someone entering
# ten commitments sends each owner one e-mail.
REMINDER_QUIET_PERIOD = env_int("REMINDER_QUIET_PERIOD_SECONDS", 10 * 60)
# Between the hourly sweeps, beat sends what has come due this often: claims of a worker that died (after
# REMINDER_CLAIM_TIMEOUT), owner changes after their quiet period, retries whose backoff has ended.
REMINDER_RECOVERY_INTERVAL = env_int("REMINDER_RECOVERY_SECONDS", 5 * 60, minimum=1, maximum=60 * 60)
# Coordinators are nudged this often while the next home-hosted session has no agreed date.
REMINDER_DATE_TBA_EVERY_DAYS = 30
# What reminder e-mails say about each commitment: "titles" (its title and latest progress) or
# "references" (its reference and a link only). Restricted commitments are always by reference.
REMINDER_EMAIL_DETAIL = env.str("REMINDER_EMAIL_DETAIL", default="titles")
if REMINDER_EMAIL_DETAIL not in ("titles", "references"):
    raise ImproperlyConfigured(
        f'REMINDER_EMAIL_DETAIL must be "titles" or "references", not {REMINDER_EMAIL_DETAIL!r}.'
    )

# --- Celery -----------------------------------------------------------------------
# Redis in production; without CELERY_BROKER_URL a filesystem queue under var/ lets
# `make run` work with no server installed.

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_queue / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue / "queue"),
        "data_folder_out": str(_queue / "queue"),
        "processed_folder": str(_queue / "processed"),
        "control_folder": str(_queue / "control"),  # broadcasts (pidbox); the default is the working directory
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than the longest task, so that a slow sweep is not handed to a second worker.
        "visibility_timeout": 2 * 60 * 60,
        # A broker machine that is down may leave a connection unanswered, and a broker that has hung may take one
        # and never answer: a request that queues a task waits this long, not the system's two minutes or for ever
        # (config/queueing.py). A worker's wait for tasks is a poll of one second, well within it.
        "socket_connect_timeout": 5,
        "socket_timeout": 5,
    }
# The queue the app's tasks go to and its workers take: installations sharing one broker each name their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged when it ends, and handed to another worker if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 50 * 60
CELERY_TASK_TIME_LIMIT = 60 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": {"task": "commitments.reminders.tasks.sweep_reminders", "schedule": crontab(minute=0)},
    "send-due-reminders": {
        "task": "commitments.reminders.tasks.send_reminders",
        "schedule": datetime.timedelta(seconds=REMINDER_RECOVERY_INTERVAL),
    },
    "forget-stale-imports": {"task": "commitments.tasks.forget_stale_imports", "schedule": crontab(minute=30)},
    "read-unread-attachments": {"task": "commitments.tasks.read_unread_attachments", "schedule": crontab(minute=45)},
}
if DIRECTORY_LOGIN:
    # A user disabled or removed in the directory is deactivated here within this time (config/directory.py).
    CELERY_BEAT_SCHEDULE["check-directory-accounts"] = {
        "task": "config.tasks.check_directory_accounts",
        "schedule": datetime.timedelta(minutes=DIRECTORY_CHECK_MINUTES),
    }
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Logging ---------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Control characters in messages are escaped, so that user input cannot start a line of its own.
        "plain": {
            "()": "config.logging.EscapingFormatter",
            "format": "{asctime} {levelname} {name}: {message}",
            "style": "{",
        },
    },
    "filters": {
        "without_4xx_traceback": {"()": "config.logging.WithoutTracebackFor4xx"},
    },
    "handlers": {
        # Refused requests without their traceback, whichever logger (django.request, django.security.*) logs them.
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "formatter": "plain",
            "filters": ["without_4xx_traceback"],
        },
    },
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "security": {"level": "INFO"},  # logins, logouts, failures, lockouts, refusals, exports, downloads
        "weasyprint.progress": {"level": "WARNING"},  # each step of each PDF at INFO: some 70 lines a brief
        # Its version as each process starts (a line before a command's own output: `manage.py spectacular >
        # schema.json` wrote no JSON), and a line per login that the security log has; its lockouts are warnings.
        "axes": {"level": "WARNING"},
    },
}
