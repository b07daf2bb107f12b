"""Fixtures mirror the domain: app → campaign → departments → judges → scores.

The database is SQLite (a fresh file per test) unless ``DATABASE_URL`` names PostgreSQL,
whose tables are created once per session and truncated after each test. CSRF stays on:
:class:`CsrfClient` reads the token from a page like a browser would.

On SQLite the fresh file is a copy of a snapshot prepared once per session (per xdist
worker): the empty schema, or, for a test that asks for a registered campaign fixture such
as the audit tests' ``published``, that whole campaign with its export files (see
:func:`register_snapshot`; a :class:`Recipe` keeps one per campaign config). Each test
still gets its own pristine copy. On PostgreSQL those fixtures build their campaign in
every test, as before.

Each worker keeps one app per database and gives it back to every test as it was made:
its configuration, its WSGI stack and its per-app caches reset, its database replaced
(see :func:`made_app`). A test that adds routes is marked ``fresh_app`` and gets its own.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from awards import create_app, normalise_database_url
from awards.campaigns import eligibility
from awards.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("AWARDS_SHARED_DATA", ROOT.parent / "shared" / "data"))
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
POSTGRES = os.environ.get("DATABASE_URL", "").startswith("postgres")

# Property tests draw the same examples on every run (derived from each test), so a run's
# outcome never depends on chance; no example database is written.
settings.register_profile("repeatable", derandomize=True, database=None)
settings.load_profile("repeatable")


def pytest_sessionstart(session) -> None:
    """Compile the Chinese translations when the catalogue is newer than the binary."""
    po = ROOT / "awards/translations/zh_Hant_HK/LC_MESSAGES/messages.po"
    mo = po.with_suffix(".mo")
    if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
        subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "compile",
                        "-d", str(ROOT / "awards/translations")], check=True)


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked ``slow`` run first (in their own order; the others keep theirs): under
    pytest-xdist both workers start on them and the short tests fill in around them, so
    no worker is left running a long test at the end."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# Modules whose tests share an expensive module fixture: one xdist worker runs all of them.
ONE_WORKER_MODULES = frozenset({"tests/browser/test_tls.py"})


def pytest_xdist_make_scheduler(config, log):
    """Tests are handed out one by one, as ``--dist load`` does but without its large first
    batches (the slow tests, first in the list, are taken by whichever worker is free), except
    that a module of :data:`ONE_WORKER_MODULES` goes to a single worker. (``--dist loadgroup``
    no longer groups under pytest 9, whose node ids xdist 3.8 cannot suffix.)"""
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return Scheduling(config, log)


def worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``test_gw0``, …),
    created on first use, so that workers never truncate each other's tables."""
    from sqlalchemy import create_engine

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base, name = url.rsplit("/", 1)
    name = f"{name}_{worker}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name}).scalar():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    url = worker_database(normalise_database_url(url))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.create_all()
        db.engine.dispose()
    return url


class IsolatedClient(FlaskClient):
    """The ``app`` fixture keeps an application context pushed so tests can use the
    session; Flask then reuses that context (and its ``g``) for every request. Clearing
    ``g`` makes each request start as it would in production: no cached user, no cached
    CSRF token from another client."""

    def open(self, *args, **kwargs):
        try:
            for name in list(vars(g)):
                delattr(g, name)
        except RuntimeError:  # no application context pushed
            pass
        return super().open(*args, **kwargs)


def app_config(database: Path, exports: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "TESTING": True,
            "RATELIMIT_STORAGE_URI": "memory://", "EXPORTS_DIR": str(exports),
            "ATTACHMENTS_DIR": str(exports.parent / "attachments")}


@dataclass(frozen=True)
class Snapshot:
    """A SQLite file and an exports folder prepared once, and what the preparing fixture
    returns (plain data: ids, letters), to be copied for each test."""

    name: str
    folder: Path
    value: object = None

    def copy_to(self, folder: Path, exports: Path) -> None:
        """The database file to ``folder`` (replacing the file and write-ahead log there),
        the exports folder to ``exports``."""
        for path in folder.glob("test.db*"):
            path.unlink()
        for path in self.folder.glob("test.db*"):  # the file and any write-ahead log
            shutil.copyfile(path, folder / path.name)
        if (self.folder / "exports").exists():
            shutil.copytree(self.folder / "exports", exports)


def forget_process_state() -> None:
    """What the app keeps per process between requests: the rate limiter's counters and
    the frozen ballot lists (keyed by campaign id and freeze time, which copies share)."""
    limiter.reset()
    eligibility._frozen_eligible.clear()


def prepare_snapshot(folder: Path, name: str, build: Callable[[], object]) -> Snapshot:
    """Run ``build`` in an app of its own on a new SQLite file in ``folder``."""
    app = create_app(app_config(folder / "test.db", folder / "exports"))
    with app.app_context():
        db.create_all()
        value = build()
        db.session.remove()
        db.engine.dispose()
    forget_process_state()
    return Snapshot(name, folder, value)


class Recipe:
    """Snapshots of one recipe, one per text of the fixture ``by`` (a campaign's config),
    each prepared when a test first asks for it. A session fixture may return one in place
    of a :class:`Snapshot`."""

    def __init__(self, tmp_path_factory, name: str, build: Callable[[str], object],
                 by: str = "config_text"):
        self.tmp_path_factory, self.name, self.build, self.by = tmp_path_factory, name, build, by
        self.made: dict[str, Snapshot] = {}

    def snapshot(self, request: pytest.FixtureRequest) -> Snapshot:
        text = request.getfixturevalue(self.by)
        if text not in self.made:
            self.made[text] = prepare_snapshot(self.tmp_path_factory.mktemp(self.name),
                                               self.name, lambda: self.build(text))
        return self.made[text]


@dataclass(frozen=True)
class Registered:
    snapshot_fixture: str                  # session scope, returns a Snapshot or a Recipe
    covers: frozenset[str]                 # fixtures it depends on, prepared with it


SNAPSHOTS: dict[str, Registered] = {}
RESTORED = pytest.StashKey[Snapshot]()


def register_snapshot(fixture: str, snapshot_fixture: str, covers: tuple[str, ...] = ()
                      ) -> None:
    """Declare that ``snapshot_fixture`` prepares what the function fixture ``fixture`` (and
    the ``covers`` it depends on) would build; a test using ``fixture`` on SQLite then
    starts from a copy of it."""
    SNAPSHOTS[fixture] = Registered(snapshot_fixture, frozenset(covers))


def snapshot_fixture_for(request: pytest.FixtureRequest) -> str:
    """The one registered snapshot that covers every registered fixture the test uses, or
    the empty schema's."""
    used = [name for name in request.fixturenames if name in SNAPSHOTS]
    covered = set().union(*(SNAPSHOTS[name].covers for name in used))
    top = [name for name in used if name not in covered]
    if len(top) != 1:
        return "empty_snapshot"
    return SNAPSHOTS[top[0]].snapshot_fixture


def restored(request, *names: str):
    """The value of the snapshot this test's database was copied from, if it is one of
    ``names``'s; else None (PostgreSQL, or another snapshot): build it then."""
    snapshot = request.node.stash.get(RESTORED, None)
    return snapshot.value if snapshot is not None and snapshot.name in names else None


@pytest.fixture(scope="session")
def empty_snapshot(tmp_path_factory) -> Snapshot:
    return prepare_snapshot(tmp_path_factory.mktemp("empty"), "empty", lambda: None)


@dataclass
class Reusable:
    """An app kept for the tests of one xdist worker and database, and what a test may
    change in it, as it was made."""

    app: Flask
    config: dict
    wsgi_app: Callable
    extensions: frozenset[str]
    shape: tuple
    limiter: tuple  # the rate limiter's store and switch, which the last app made sets


REUSABLE: dict[str, Reusable] = {}


def app_shape(app: Flask) -> tuple:
    """What only building an app sets: its routes, hooks, error handlers and template
    helpers."""
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs,
             app.template_context_processors, app.url_value_preprocessors,
             app.url_default_functions)
    return (len(list(app.url_map.iter_rules())), len(app.view_functions),
            *(sum(map(len, by_blueprint.values())) for by_blueprint in hooks),
            sum(len(handlers) for by_code in app.error_handler_spec.values()
                for handlers in by_code.values()),
            len(app.teardown_appcontext_funcs), len(app.jinja_env.filters),
            len(app.jinja_env.globals))


def made_app(config: dict, fresh: bool) -> Flask:
    """An app for ``config``: the worker's app for its database, back as it was made but
    for ``config``'s folders, unless ``fresh`` (the test adds routes) or another app has
    been made since (the rate limiter follows the last app made).

    Making an app compiles its ~80 URL rules (≈ 30 ms), and a new app compiles its
    templates and SQL statements again: together a quarter of the suite's time outside
    the browser when every test made its own."""
    key = config["SQLALCHEMY_DATABASE_URI"]
    held = None if fresh else REUSABLE.get(key)
    if (held is not None and held.limiter == (limiter.storage, limiter.enabled)
            and app_shape(held.app) == held.shape):
        app = held.app
        app.config.clear()
        app.config.update(copy.deepcopy(held.config), **config)
        app.wsgi_app = held.wsgi_app  # type: ignore[method-assign]
        held.wsgi_app.refusals.clear()  # the paced sessions' remembered refusals
        for name in set(app.extensions) - held.extensions:  # caches and the job queue
            del app.extensions[name]
        return app
    app = create_app(config)
    app.test_client_class = IsolatedClient
    if not fresh:
        REUSABLE[key] = Reusable(app, copy.deepcopy(dict(app.config)), app.wsgi_app,
                                 frozenset(app.extensions), app_shape(app),
                                 (limiter.storage, limiter.enabled))
    return app


@pytest.fixture(scope="session")
def worker_folder(tmp_path_factory) -> Path:
    """Where the worker's reused app keeps its SQLite file."""
    return tmp_path_factory.mktemp("app")


@pytest.fixture
def app(request, database_url, tmp_path, worker_folder):
    """The app, its database as the test's fixtures expect (on SQLite a copy of a prepared
    snapshot, on PostgreSQL emptied after each test), exports under ``tmp_path``. Tests
    marked ``fresh_app`` (they add routes) get an app of their own."""
    folders = {"EXPORTS_DIR": str(tmp_path / "exports"),
               "ATTACHMENTS_DIR": str(tmp_path / "attachments")}
    fresh = request.node.get_closest_marker("fresh_app") is not None
    if database_url is None:
        try:
            snapshot = request.getfixturevalue(snapshot_fixture_for(request))
        except pytest.FixtureLookupError:
            # A fixture of a registered name defined elsewhere, where the snapshot is not
            # visible: that test builds its own data, from the empty schema.
            snapshot = request.getfixturevalue("empty_snapshot")
        if isinstance(snapshot, Recipe):
            snapshot = snapshot.snapshot(request)
        folder = tmp_path if fresh else worker_folder
        snapshot.copy_to(folder, tmp_path / "exports")
        request.node.stash[RESTORED] = snapshot
        config = {**app_config(folder / "test.db", tmp_path / "exports"), **folders}
    else:
        config = {"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                  "RATELIMIT_STORAGE_URI": "memory://", **folders}
    app = made_app(config, fresh)
    with app.app_context():
        yield app
        db.session.remove()
        if database_url is not None:
            names = ", ".join(t.name for t in db.metadata.sorted_tables)
            db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            db.session.commit()
        db.engine.dispose()
    forget_process_state()


class CsrfClient:
    """Wraps Flask's test client: ``post`` sends the session's CSRF token as a browser form
    would (read from the last page fetched, or from a fresh page)."""

    def __init__(self, client):
        self.client = client
        self.token: str | None = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def get(self, *args, **kwargs):
        response = self.client.get(*args, **kwargs)
        if response.mimetype != "text/html":
            return response
        match = TOKEN.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def csrf(self) -> str:
        if self.token is None:
            self.get("/")
        assert self.token, "no CSRF token found on the home page"
        return self.token

    def post(self, url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.client.post(url, data=data, **kwargs)

    def signin(self, username: str, password: str):
        self.get("/signin")
        return self.post("/signin", {"username": username, "password": password})


@pytest.fixture
def client(app) -> CsrfClient:
    return CsrfClient(app.test_client())


@pytest.fixture
def runner(app):
    """Click 8.2+ keeps stderr apart from stdout (``result.stderr``)."""
    return app.test_cli_runner()


PASSWORD = "correct horse battery staple"
# The staff accounts' hash in tests: the app's method (scrypt), at a cost of 2^10 where the
# app's default is 2^15, so that each of the suite's sign-ins checks a real hash in about a
# millisecond instead of about 60. test_auth checks that the app itself hashes at its default.
TEST_HASH_METHOD = "scrypt:1024:8:1"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once per session, by the app's method at :data:`TEST_HASH_METHOD`."""
    return generate_password_hash(PASSWORD, method=TEST_HASH_METHOD)


@pytest.fixture
def make_user(app, password_hash, monkeypatch):
    """Accounts whose password is PASSWORD. Its hash is computed once per session (a real
    scrypt hash, which signing in checks in full, at :data:`TEST_HASH_METHOD`'s cost); any
    other password is hashed as the app does."""
    from awards.accounts.services import create_user
    from awards.models import users

    def cached(password: str) -> str:
        return password_hash if password == PASSWORD else generate_password_hash(password)

    def make(role: str, username: str, department: str | None = None):
        with monkeypatch.context() as patched:
            patched.setattr(users, "generate_password_hash", cached)
            return create_user(role, username, PASSWORD, department_code=department)

    return make


@pytest.fixture
def organiser(make_user):
    return make_user("organiser", "olivia")


MINIMAL_CONFIG = """
[campaign]
slug = "csea-test"
name_en = "Customer Service Excellence Award (test)"
name_zh = "顧客服務卓越獎（測試）"
max_choices = 3
finalists = 3

[[awards]]
name_en = "Grand Award"
name_zh = "大獎"
places = 1

[[districts]]
code = "KT"
name_en = "Kwun Tong"
name_zh = "觀塘"
households = 247592

[[districts]]
code = "ST"
name_en = "Sha Tin"
name_zh = "沙田"

[[districts]]
code = "IS"
name_en = "Islands"
name_zh = "離島"

[[departments]]
code = "A"
name_en = "Department A"
name_zh = "甲部門"

[[departments]]
code = "B"
name_en = "Department B"
name_zh = "乙部門"

[[departments]]
code = "C"
name_en = "Department C"
name_zh = "丙部門"

[[departments]]
code = "D"
name_en = "Department D"
name_zh = "丁部門"

[[criteria]]
round = "preliminary"
code = "pledges"
name_en = "Performance pledges met"
name_zh = "服務承諾達標"
weight = 0.4
max = 10

[[criteria]]
round = "preliminary"
code = "courtesy"
name_en = "Courtesy"
name_zh = "禮貌"
weight = 0.6
max = 10

[[criteria]]
round = "final"
code = "overall"
name_en = "Overall"
name_zh = "整體"
weight = 1.0
max = 100

[[judges]]
username = "j01"
name = "Judge One"
conflicts = ["A"]
"""


@pytest.fixture
def campaign_config() -> str:
    return MINIMAL_CONFIG


@pytest.fixture
def campaign(app, campaign_config):
    from awards.campaigns.config_file import parse_config
    from awards.campaigns.services import load_campaign_config

    campaign, _created, _notes = load_campaign_config(parse_config(campaign_config))
    return campaign


def pseudonyms_in_username_order(campaign) -> None:
    """Pin judges' pseudonyms to username order (j1 → J01 …), as the worked example of the
    SPEC numbers its judges. The product assigns them in a random order."""
    from sqlalchemy import select

    from awards.models import Judge, User

    judges = db.session.execute(select(Judge).join(User, User.id == Judge.user_id)
                                .where(Judge.campaign_id == campaign.id)
                                .order_by(User.username)).scalars().all()
    for judge in judges:
        judge.pseudonym = ""
    db.session.flush()
    for number, judge in enumerate(judges, start=1):
        judge.pseudonym = f"J{number:02d}"
    db.session.commit()


def open_the_vote_now(campaign) -> None:
    """Voting open as after 'flask awards voting open': window, freeze and codes."""
    import datetime as dt

    from awards.models.base import utcnow

    campaign.state = "adjudication"
    campaign.voting_opens_at = utcnow() - dt.timedelta(minutes=5)
    campaign.voting_closes_at = None
    campaign.frozen_at = campaign.frozen_at or utcnow()
    campaign.codes_commitment = campaign.codes_commitment or "0" * 64
    db.session.commit()
