"""Flask extensions, created unbound and initialised in :func:`awards.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session

# Stable constraint names make Alembic migrations portable between SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_address() -> str:
    """The client address used for rate limits (``request.remote_addr``; ProxyFix sets it
    from ``X-Forwarded-For`` only when a trusted proxy is configured)."""
    from flask import request

    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = HTMX()
limiter = Limiter(key_func=client_address, default_limits=[])


# --------------------------------------------------------------------------- writes held

_WROTE = "awards.transaction_wrote"
_CONNECTION = "awards.transaction_connection"


@event.listens_for(Engine, "begin")
def _transaction_begins(connection) -> None:
    connection.info.pop(_WROTE, None)


@event.listens_for(Engine, "after_cursor_execute")
def _note_a_write(connection, _cursor, _statement, _parameters, context, _many) -> None:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        connection.info[_WROTE] = True


@event.listens_for(Session, "after_begin")
def _session_begins(session, _transaction, connection) -> None:
    session.info[_CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _session_transaction_ends(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTION, None)


def transaction_has_writes(session: Session) -> bool:
    """Whether ``session``'s transaction holds changes that a commit would make permanent:
    objects not flushed yet, or an ``INSERT``, ``UPDATE`` or ``DELETE`` statement run since
    it began (flushed by the ORM or executed on its connection; SQL text is not inspected).
    Starts no transaction."""
    if session.new or session.dirty or session.deleted:
        return True
    connection = session.info.get(_CONNECTION)
    return connection is not None and bool(connection.info.get(_WROTE))
