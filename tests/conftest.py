"""Fixtures: scratch databases on the server under test, cloned from templates built once per session.

Each legacy state a test starts from (the production-style fixture, adopted by the
initial migrations, renamed by ``migrate``) is built once, by the same ``manage.py``
commands a team runs, into a template; every test gets its own copy by
``CREATE DATABASE ... TEMPLATE``, a file copy that takes a fraction of a second.
"""

import uuid
from pathlib import Path

import pytest
from psycopg import sql

from enerlink.devtools import scratch

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEGACY_FIXTURE = FIXTURES / "legacy_database.sql"
OLDER_SHAPE_FIXTURE = FIXTURES / "older_shape_database.sql"


def pytest_sessionstart(session):
    # Fail fast, with the way out, when the server is down.
    with scratch.admin_connect():
        pass


@pytest.fixture(scope="session")
def owner_role():
    return scratch.ensure_owner_role()


@pytest.fixture
def login_role():
    """Make throw-away LOGIN roles that own nothing: ``login_role(prefix, granted_in=database)``.

    Roles belong to the whole server, which both test workers share, so each gets a unique name and
    is dropped afterwards, with what it was granted in ``granted_in`` (``DROP OWNED BY`` works one
    database at a time, and a role with grants left cannot be dropped).
    """
    made = []

    def make(prefix, granted_in=None):
        role = f"{prefix}_{uuid.uuid4().hex[:8]}"
        with scratch.admin_connect() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        made.append((role, granted_in))
        return role

    yield make
    for role, database in made:
        if database is not None:
            with database.connect(superuser=True) as conn:
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        with scratch.admin_connect() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def build_raw(database):
    database.run_sql_file(LEGACY_FIXTURE)


def build_adopted(database):
    build_raw(database)
    scratch.migrate_to_legacy(database)


def build_created(database):
    scratch.migrate_to_legacy(database)


def build_ready(database):
    build_adopted(database)
    database.manage("migrate", "accounts", "0002")


def build_renamed(database):
    build_ready(database)
    database.manage("migrate")


BUILDERS = {
    "raw": build_raw,
    "adopted": build_adopted,
    "created": build_created,
    "ready": build_ready,
    "renamed": build_renamed,
}


class Templates:
    """Template databases, each built on first use and dropped at the end of the session."""

    def __init__(self):
        self.built = {}

    def get(self, kind):
        if kind not in self.built:
            database = scratch.ScratchDatabase(prefix=f"enerlink_tpl_{kind}_")
            try:
                BUILDERS[kind](database)
            except BaseException:
                database.drop()
                raise
            self.built[kind] = database
        return self.built[kind]

    def drop(self):
        for database in self.built.values():
            database.drop()


@pytest.fixture(scope="session")
def templates(owner_role):
    built = Templates()
    yield built
    built.drop()


@pytest.fixture
def scratch_db(owner_role):
    """A factory of throw-away databases owned by the non-superuser role."""
    created = []

    def make(template=None):
        database = scratch.ScratchDatabase(template=template)
        created.append(database)
        return database

    yield make
    for database in created:
        database.drop()


@pytest.fixture
def legacy_db(scratch_db, templates):
    """The hand-written production-style legacy copy (tests/fixtures/legacy_database.sql), not yet adopted."""
    return scratch_db(template=templates.get("raw"))


@pytest.fixture
def adopted_db(scratch_db, templates):
    """The legacy copy adopted by the initial migrations (plus Django's own tables): ready to rename."""
    return scratch_db(template=templates.get("adopted"))


@pytest.fixture
def created_db(scratch_db, templates):
    """An empty database given the legacy schema by the initial migrations (plus Django's own tables)."""
    return scratch_db(template=templates.get("created"))


@pytest.fixture
def ready_db(scratch_db, templates):
    """The adopted legacy copy with the rename's journal table (accounts 0002): the step before the rename."""
    return scratch_db(template=templates.get("ready"))


@pytest.fixture
def renamed_db(scratch_db, templates):
    """The legacy copy, adopted and renamed by ``manage.py migrate``."""
    return scratch_db(template=templates.get("renamed"))


@pytest.fixture
def verify_here(django_db_blocker):
    """``verify(database, *args)`` of tests.verification_support, run in this process (never stored)."""
    from tests.verification_support import verify_in_process

    def run(database, *args):
        return verify_in_process(database, django_db_blocker, *args)

    return run


@pytest.fixture(scope="session", autouse=True)
def bake_legacy_columns():
    """model_bakery values for the legacy column types (UTC timestamps, unbounded numerics)."""
    import datetime
    from decimal import Decimal

    from model_bakery import baker

    baker.generators.add(
        "enerlink.fields.LegacyTimestampField",
        lambda: datetime.datetime(2024, 6, 1, 12, 0, tzinfo=datetime.UTC),
    )
    baker.generators.add("enerlink.fields.UnboundedDecimalField", lambda: Decimal("1.5"))
