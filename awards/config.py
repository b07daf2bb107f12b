"""Configuration classes.

Everything secret comes from the environment, never from the database:
``SECRET_KEY`` signs sessions, ``AWARDS_CODE_PEPPER`` keys the HMAC of voting codes,
``AWARDS_POINTER_KEY`` encrypts the pointer from a sampled household to its current code row
(needed for reissue) and ``AWARDS_SIGNING_KEY`` encrypts each campaign's Ed25519 signing key.

"""

from __future__ import annotations

import os
from pathlib import Path


class ConfigError(RuntimeError):
    """Raised when the application is configured in a way it must not start with."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    CODE_PEPPER = os.environ.get("AWARDS_CODE_PEPPER")
    SIGNING_KEY_SECRET = os.environ.get("AWARDS_SIGNING_KEY")
    POINTER_KEY = os.environ.get("AWARDS_POINTER_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    # Statement parameters (code digests, ballot ids, choices) never reach a log line or an
    # exception message (SPEC section 4, secrecy against whoever holds the database).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL")
    # Job queue: a SQLite file (default instance/job-queue.db) unless REDIS_URL is set.
    JOB_QUEUE_FILE = os.environ.get("AWARDS_JOB_QUEUE_FILE")
    JOB_LEASE_SECONDS = float(os.environ.get("AWARDS_JOB_LEASE_SECONDS", "60"))
    JOB_MAX_ATTEMPTS = int(os.environ.get("AWARDS_JOB_MAX_ATTEMPTS", "3"))
    # Letters drawn per batch of the letters PDF: its memory bound and its progress step.
    LETTERS_PER_BATCH = int(os.environ.get("AWARDS_LETTERS_PER_BATCH", "500"))
    # Household frame uploads larger than this (bytes) are imported by the job worker.
    FRAME_JOB_BYTES = int(os.environ.get("AWARDS_FRAME_JOB_BYTES", str(1024 * 1024)))
    # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
    TRUSTED_PROXIES = int(os.environ.get("AWARDS_TRUSTED_PROXIES", "0"))
    EXPORTS_DIR = os.environ.get("AWARDS_EXPORTS_DIR")  # default: instance/exports
    PUBLIC_BASE_URL = os.environ.get("AWARDS_PUBLIC_URL", "http://127.0.0.1:5000")
    LANGUAGES = ("en", "zh_Hant_HK")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Hong_Kong"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    # Flask-WTF's HTTPS check needs a Referer, which Referrer-Policy: no-referrer withholds;
    # awards.request_guards checks Sec-Fetch-Site / Origin instead.
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("AWARDS_SECURE_COOKIES", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 25 * 1024 * 1024
    # Entry attachments (SPEC 5.1): files per entry. The upload route sets its own, tighter
    # request limits (awards.web.departments.attachment_routes.UPLOAD_LIMITS).
    ENTRY_MAX_ATTACHMENTS = int(os.environ.get("AWARDS_ENTRY_MAX_ATTACHMENTS", "10"))
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STRATEGY = "moving-window"
    STAFF_SIGNIN_LIMIT = "10 per minute; 50 per hour"
    INVITATION_DAYS = 7
    TESTING = False


class DevelopmentConfig(Config):
    """Local use: generated development secrets and a SQLite file under ``instance/``."""

    SECRET_KEY = Config.SECRET_KEY or "dev-only-secret-key-change-me"
    CODE_PEPPER = Config.CODE_PEPPER or "dev-only-code-pepper-change-me"
    SIGNING_KEY_SECRET = Config.SIGNING_KEY_SECRET or "dev-only-signing-key-change-me"
    POINTER_KEY = Config.POINTER_KEY or "dev-only-pointer-key-change-me"


class TestingConfig(DevelopmentConfig):
    TESTING = True
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = _bool("AWARDS_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def check_production_secrets(config: dict) -> None:
    """Refuse to start without the secrets production needs.

    Raises
    ------
    ConfigError
        Naming every missing variable.
    """
    missing = [
        env
        for key, env in (
            ("SECRET_KEY", "SECRET_KEY"),
            ("CODE_PEPPER", "AWARDS_CODE_PEPPER"),
            ("SIGNING_KEY_SECRET", "AWARDS_SIGNING_KEY"),
            ("POINTER_KEY", "AWARDS_POINTER_KEY"),
        )
        if not config.get(key)
    ]
    if missing:
        raise ConfigError("production configuration needs " + ", ".join(missing))
