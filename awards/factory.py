"""The application factory: configuration, extensions, blueprints, command line, headers.

Reached as ``awards.create_app``; kept out of the package's ``__init__`` so that importing
``awards`` (as ``python -m awards.audit.verify`` does) needs neither Flask nor SQLAlchemy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_babel import get_locale, get_translations
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

import awards.models  # noqa: F401  (registers every table with the metadata)
from awards.about import ROOT, __version__
from awards.cli import register_cli
from awards.config import CONFIGS, check_production_secrets
from awards.extensions import babel, csrf, db, htmx, limiter, login, migrate
from awards.labels import label
from awards.web.access import check_access_rules
from awards.web.audit import bp as audit_bp
from awards.web.auth import bp as auth_bp
from awards.web.departments import bp as departments_bp
from awards.web.errors import register_error_handlers
from awards.web.households import bp as voting_bp
from awards.web.households.paced import PacedSessions
from awards.web.i18n import LANGUAGES, html_lang, select_locale
from awards.web.judges import bp as judges_bp
from awards.web.organisers import bp as organisers_bp
from awards.web.public import bp as public_bp
from awards.web.request_guards import register_request_guards
from awards.web.results import bp as results_bp

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application.

    Parameters
    ----------
    config
        Overrides applied after the environment's configuration class (tests pass
        ``SQLALCHEMY_DATABASE_URI`` and ``TESTING`` here).

    Raises
    ------
    awards.config.ConfigError
        In production without ``SECRET_KEY``, the code pepper or the signing-key secret.
    awards.web.access.MissingAccessRule
        When a route does not declare who may reach it.
    """

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder="static",
    )
    env = os.environ.get("AWARDS_ENV", "development")
    app.config.from_object(CONFIGS[env])
    if config:
        app.config.update(config)
    if env == "production":
        check_production_secrets(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "awards.db"
        )
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    # Outermost: a paced session's refusals need neither the proxy's headers nor Flask.
    app.wsgi_app = PacedSessions(  # type: ignore[method-assign]
        app.wsgi_app, app.config.get("SESSION_COOKIE_NAME", "session"))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
                    compare_type=True)
    login.init_app(app)
    login.login_view = "auth.signin"
    login.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    htmx.init_app(app)
    limiter.init_app(app)

    register_request_guards(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    register_headers(app)
    register_template_helpers(app)
    check_access_rules(app)
    return app


def current_translations():
    """The catalogue of the current locale, as ``flask_babel.get_translations`` gives it,
    looked up once per locale in each request.

    A page calls ``_()`` dozens of times, and Flask-Babel's lookup (context, domain, locale,
    catalogue cache) cost a third of rendering the household code page, the page every
    guess of a flood is answered with. The catalogue is kept beside Flask-Babel's own
    per-context state, for the locale object it was looked up for: ``force_locale`` and
    ``refresh`` put another locale object there, so the next call looks up again.
    """
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        return get_translations()
    held = getattr(state, "awards_translations", None)
    if held is None or held[0] is not locale:
        held = state.awards_translations = (locale, get_translations())
    return held[1]


def install_template_gettext(app: Flask) -> None:
    """Templates translate through :func:`current_translations` (the same catalogues and
    formatting as Flask-Babel's own callables, which this replaces)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        # SQLAlchemy emits BEGIN itself (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "checkout")
def _sqlite_no_driver_begin(dbapi_connection, _record, _proxy) -> None:
    """A connection used in autocommit gets the driver's default back when it returns to
    the pool (``isolation_level = ""``, the driver's own implicit BEGIN): undo that."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None


@event.listens_for(Engine, "handle_error")
def _drop_key_values(context):
    """PostgreSQL names the offending value in an error's DETAIL ("Key (code_hmac)=(…)
    already exists"); like ``hide_parameters``, no value of a statement reaches an
    exception message or a log line (SPEC section 4)."""
    original = context.original_exception
    message = str(original)
    if "\nDETAIL:" not in message or context.sqlalchemy_exception is None:
        return None
    plain = type(original)(message.split("\nDETAIL:")[0])
    return type(context.sqlalchemy_exception)(context.statement, context.parameters, plain,
                                              hide_parameters=True)


@event.listens_for(Engine, "begin")
def _sqlite_begin_immediate(connection) -> None:
    """On SQLite every transaction takes the write lock when it begins. A transaction that
    read under a deferred BEGIN cannot write once another has committed (its snapshot is
    stale), and two of them would read the same audit-chain head. SQLite suits a single
    office; PostgreSQL is the production database. A connection in autocommit (a lone
    read) begins no transaction."""
    if (connection.dialect.name == "sqlite"
            and connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_blueprints(app: Flask) -> None:

    app.register_blueprint(public_bp)
    app.register_blueprint(voting_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(organisers_bp, url_prefix="/organiser")
    app.register_blueprint(departments_bp, url_prefix="/department")
    app.register_blueprint(judges_bp, url_prefix="/judge")


def register_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        response.vary.add("HX-Request")
        response.vary.add("Cookie")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_template_helpers(app: Flask) -> None:

    @app.context_processor
    def inject() -> dict[str, Any]:
        locale = str(get_locale() or "en")
        return {
            "locale": locale,
            "html_lang": html_lang(locale),
            "languages": LANGUAGES,
            "app_version": __version__,
        }


    app.add_template_filter(label, "label")

    @app.template_filter("bi")
    def bilingual(obj: Any, field: str = "name") -> str:
        """Pick ``name_zh`` or ``name_en`` of an object for the current language."""
        locale = str(get_locale() or "en")
        zh = getattr(obj, f"{field}_zh", None)
        en = getattr(obj, f"{field}_en", "")
        return zh if locale.startswith("zh") and zh else en

    @app.before_request
    def remember_request_start() -> None:
        g.locale = str(get_locale() or "en")
