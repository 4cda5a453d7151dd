import pytest

from tests import pg


def pytest_sessionstart(session):
    # Fail fast, with the way out, when the server is down.
    with pg.admin_connect():
        pass


@pytest.fixture(scope="session")
def owner_role():
    return pg.ensure_owner_role()


@pytest.fixture
def scratch_db(owner_role):
    """A factory of throw-away databases owned by the non-superuser role."""
    created = []

    def make(template=None):
        database = pg.ScratchDatabase(template=template)
        created.append(database)
        return database

    yield make
    for database in created:
        database.drop()


@pytest.fixture
def legacy_db(scratch_db):
    """A database holding the hand-written legacy fixture (tests/fixtures/legacy_database.sql)."""
    database = scratch_db()
    database.run_sql_file(pg.FIXTURES / "legacy_database.sql")
    return database


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
