"""Bad input for the commands of the rename's path (migrate, sqlmigrate, showmigrations, build_legacy_data,
demo): one line naming the problem and what to do, the documented exit code (1 stopped, 2 could not run),
nothing changed, no traceback. Each fault is caused on the real server."""

import pytest

from enerlink.devtools import scratch
from tests.faults import assert_one_line, manage_at, start_manage, wait_until, waiting_migrate

COMMANDS = [
    ("migrate",),
    ("sqlmigrate", "accounts", "0003"),
    ("showmigrations", "accounts"),
    ("build_legacy_data", "--users", "1"),
]


def url_with(database, user=None, options=None):
    url = scratch.server_url(database.name, user=user or database.owner)
    if options:
        url += ("&" if "?" in url else "?") + "options=" + options
    return url


def django_tables(database):
    with database.connect(superuser=True) as conn:
        return conn.execute(
            "SELECT array_agg(relname ORDER BY relname) FROM pg_class "
            "WHERE relnamespace = 'public'::regnamespace AND relname LIKE 'django%%'"
        ).fetchone()[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://enerlink_owner@127.0.0.1:1/enerlink", "port 1 failed: Connection refused"),
        ("nobody", 'role "nobody" does not exist'),
        ("nodatabase", 'database "enerlink_no_such_database" does not exist'),
    ],
    ids=["unreachable", "unknown_role", "unknown_database"],
)
def test_a_database_that_cannot_be_reached_is_one_line_and_exit_2(owner_role, command, url, reason):
    if url == "nobody":
        url = scratch.server_url("postgres", user="nobody")
    elif url == "nodatabase":
        url = scratch.server_url("enerlink_no_such_database", user=owner_role)
    result = manage_at(url, *command)
    assert result.returncode == 2
    line = assert_one_line(result.stderr)
    assert line.startswith("CommandError: could not connect to the database: connection failed:")
    assert reason in line and line.endswith("Check DATABASE_URL (host, port, database name, user, password).")


def test_a_malformed_database_url_is_one_line():
    result = manage_at("not-a-url", "migrate")
    assert result.returncode == 2
    assert assert_one_line(result.stderr) == (
        "enerlink: DATABASE_URL is not a database URL (Scheme '://' is unknown): "
        "set it to postgresql://USER:PASSWORD@HOST:PORT/NAME."
    )


@pytest.mark.parametrize(
    "command",
    [
        ("migrate",),
        ("sqlmigrate", "accounts", "0003"),
        ("showmigrations",),
        ("build_legacy_data",),
        ("demo",),
    ],
    ids=lambda command: command[0],
)
def test_an_unknown_option_is_one_line_and_exit_2(created_db, command):
    result = created_db.manage(*command, "--bogus", check=False)
    assert result.returncode == 2
    name = command[0]
    assert assert_one_line(result.stderr) == (
        f"manage.py {name}: unrecognized arguments: --bogus (see manage.py {name} --help)"
    )


@pytest.mark.parametrize(
    ("setting", "value", "command"),
    [
        ("ENERLINK_RENAME_LOCK_TIMEOUT", "abc", ("migrate",)),
        ("ENERLINK_RENAME_LOCK_TIMEOUT", "abc", ("migrate", "--skip-checks")),
        ("ENERLINK_RENAME_LOCK_RETRIES", "-1", ("migrate",)),
        ("ENERLINK_INDEX_LOCK_TIMEOUT", "soon", ("sqlmigrate", "energy", "0003")),
        ("ENERLINK_MIGRATE_LOCK_WAIT", "0", ("showmigrations",)),
    ],
)
def test_an_invalid_setting_stops_before_anything_is_applied(adopted_db, setting, value, command):
    """accounts 0002 (the journal) is the first migration to apply here: it is not applied either."""
    before = scratch.schema_dump(adopted_db)
    result = adopted_db.manage(*command, check=False, env={setting: value})
    assert result.returncode == 2
    line = assert_one_line(result.stderr)
    assert line.startswith(f"CommandError: {setting}={value!r} is not a ") and line.endswith(
        "Nothing was changed."
    )
    assert scratch.schema_dump(adopted_db) == before


def test_an_unknown_database_alias_is_one_line(created_db):
    result = created_db.manage("migrate", "--database", "replica", check=False)
    assert result.returncode == 2
    assert assert_one_line(result.stderr) == (
        "manage.py migrate: argument --database: invalid choice: 'replica' (choose from 'default') "
        "(see manage.py migrate --help)"
    )


@pytest.mark.parametrize("django_project", [False, True], ids=["plain", "another_django_project"])
def test_another_applications_database_is_refused_and_left_as_it_was(scratch_db, django_project):
    database = scratch_db()
    with database.connect() as conn:
        conn.execute("CREATE TABLE orders (id serial PRIMARY KEY, customer varchar)")
        conn.execute("CREATE TABLE order_line (id serial PRIMARY KEY, order_id int REFERENCES orders)")
        if django_project:
            conn.execute(
                "CREATE TABLE django_migrations (id serial PRIMARY KEY, app varchar(255), name varchar(255), "
                "applied timestamptz); INSERT INTO django_migrations (app, name, applied) "
                "VALUES ('shop', '0001_initial', now())"
            )
    before = scratch.schema_dump(database)
    result = database.manage("migrate", check=False)
    assert result.returncode == 2
    line = assert_one_line(result.stderr)
    assert line.startswith(
        "CommandError: this is not an EnerLink database: schema public holds 2 table(s) of another "
        "application (order_line, orders) and none of EnerLink's. Nothing was changed. Check DATABASE_URL"
    )
    assert scratch.schema_dump(database) == before


def test_an_empty_database_is_fine_for_development(scratch_db):
    database = scratch_db()
    result = database.manage("migrate", "accounts", "0001")
    assert "Applying accounts.0001_initial... OK" in result.stdout


def test_a_database_renamed_by_hand_and_never_adopted_is_refused_before_anything_is_created(scratch_db):
    database = scratch_db()
    with database.connect() as conn:
        conn.execute('CREATE TABLE "user" (user_id varchar PRIMARY KEY)')
    result = database.manage("migrate", check=False)
    assert result.returncode == 1
    assert assert_one_line(result.stderr) == (
        'CommandError: this database was already renamed: table "user" exists and table prosumer does not. '
        'Nothing was changed. See "Databases renamed by hand" in docs/adoption.md.'
    )
    assert django_tables(database) is None


def test_a_database_half_renamed_by_hand_is_refused_and_left_as_it_was(ready_db):
    with ready_db.connect() as conn:
        conn.execute('ALTER TABLE prosumer RENAME TO "user"')
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False)
    assert result.returncode == 1
    line = assert_one_line(result.stderr)
    assert line.startswith(
        'CommandError: found table "user" and no table prosumer: this database was already'
    )
    assert scratch.schema_dump(ready_db) == before


@pytest.fixture
def stranger(owner_role, login_role):
    """A LOGIN role that owns nothing and was granted nothing."""
    return login_role("enerlink_stranger")


def test_a_role_without_privileges_is_one_line(ready_db, stranger):
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False, env={"DATABASE_URL": url_with(ready_db, user=stranger)})
    assert result.returncode == 1
    assert assert_one_line(result.stderr) == (
        "CommandError: the database role lacks a privilege: permission denied for table django_migrations. "
        "Run it as the role that owns the EnerLink tables (docs/adoption.md)."
    )
    assert scratch.schema_dump(ready_db) == before


def test_a_table_the_owner_role_may_not_touch_stops_the_rename_in_one_line(ready_db):
    """A table referencing prosumer that another role owns (here a superuser's): the rename cannot lock it."""
    with ready_db.connect(superuser=True) as conn:
        conn.execute(
            "CREATE TABLE partner_referral (id int PRIMARY KEY, prosumer_id varchar REFERENCES prosumer)"
        )
    before = scratch.schema_dump(ready_db)
    result = ready_db.manage("migrate", check=False)
    assert result.returncode == 1
    assert assert_one_line(result.stderr) == (
        "CommandError: the database role lacks a privilege while applying "
        "accounts.0003_rename_prosumer_to_user: permission denied for table partner_referral. "
        "That migration was rolled back; the ones before it stay done. "
        "Run it as the role that owns the EnerLink tables (docs/adoption.md)."
    )
    assert scratch.schema_dump(ready_db) == before


def test_a_read_only_connection_is_one_line(ready_db):
    before = scratch.schema_dump(ready_db)
    read_only = url_with(ready_db, options="-c%20default_transaction_read_only%3Don")
    result = ready_db.manage("migrate", check=False, env={"DATABASE_URL": read_only})
    assert result.returncode == 1
    line = assert_one_line(result.stderr)
    assert line.startswith(
        "CommandError: the database connection is read-only while applying "
        "accounts.0003_rename_prosumer_to_user: cannot execute "
    )
    assert line.endswith(
        "Point DATABASE_URL at the primary server (not a standby), with default_transaction_read_only off."
    )
    assert scratch.schema_dump(ready_db) == before


def test_a_backend_terminated_mid_migration_is_one_line_and_the_same_command_heals(ready_db):
    before = scratch.schema_dump(ready_db)
    blocker = ready_db.connect()
    blocker.autocommit = False
    blocker.execute("SELECT count(*) FROM wallet")
    migrate = start_manage(ready_db, "migrate", env={"ENERLINK_RENAME_LOCK_TIMEOUT": "30s"})
    try:
        with ready_db.connect(superuser=True) as conn:
            pid = wait_until(lambda: waiting_migrate(conn, "wallet"), what="the rename waiting for wallet")
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        out, err = migrate.communicate(timeout=60)
    finally:
        blocker.rollback()
        blocker.close()
    assert migrate.returncode == 1
    assert assert_one_line(err) == (
        "CommandError: lost the connection to the database while applying "
        "accounts.0003_rename_prosumer_to_user: terminating connection due to administrator command. "
        "That migration was rolled back; the ones before it stay done. "
        "Run the same command again once the database is reachable."
    )
    assert scratch.schema_dump(ready_db) == before
    ready_db.manage("migrate")


def test_the_demo_and_the_data_builder_refuse_in_one_line(created_db, renamed_db):
    result = created_db.manage("demo", "--users", "0", check=False)
    assert result.returncode == 1
    assert assert_one_line(result.stderr) == "CommandError: --users must be a positive whole number."
    result = renamed_db.manage("build_legacy_data", "--users", "1", check=False)
    assert result.returncode == 1
    assert 'it was already renamed to "user"' in assert_one_line(result.stderr)


@pytest.mark.parametrize("store", [[], ["--no-store"]], ids=["stored", "no_store"])
def test_the_report_on_a_legacy_database_never_adopted_is_one_line(legacy_db, store):
    """No django_migrations at all: "not migrated", exit 1, in one line (it was a traceback)."""
    before = scratch.schema_dump(legacy_db)
    result = legacy_db.manage("verify_user_migration", *store, check=False)
    assert result.returncode == 1
    line = assert_one_line(result.stderr)
    assert line.startswith("CommandError: not migrated: table prosumer still present in database")
    assert line.endswith("run manage.py migrate")
    assert scratch.schema_dump(legacy_db) == before


# Every command that works on a database, against the same bad inputs (issue 20): one line on stderr,
# the exit code of the project's table (enerlink/commands.py: 1 the answer is no, 2 could not run),
# and the database left exactly as it was.
DATABASE_COMMANDS = {
    "migrate": ("migrate",),
    "verify": ("verify_user_migration",),
    "preflight": ("verify_user_migration", "--preflight"),
    "repair": ("repair_user_migration",),
    "repair_apply": ("repair_user_migration", "--apply"),
    "compat_install": ("user_rename_compat", "install"),
    "compat_status": ("user_rename_compat", "status"),
    "upgrade_older_shape": ("upgrade_older_shape", "--apply"),
}

FOREIGN_TABLES = (
    "CREATE TABLE orders (id serial PRIMARY KEY, customer varchar); "
    "CREATE TABLE order_line (id serial PRIMARY KEY, order_id int REFERENCES orders)"
)

# (state, command) -> (exit code, text the one line holds); a state's commands not named here exit 0.
WRONG_DATABASE = (
    'wrong database: {name!r} has neither table prosumer nor "user"; check DATABASE_URL or --database'
)
BAD_INPUT_ANSWERS = {
    ("legacy", "verify"): (1, "not migrated: table prosumer still present in database {name!r}"),
    ("legacy", "repair"): (2, "nothing to repair: table prosumer in database {name!r} was never renamed"),
    ("legacy", "repair_apply"): (
        2,
        "nothing to repair: table prosumer in database {name!r} was never renamed",
    ),
    ("legacy", "compat_status"): (1, "compatibility schema enerlink_prosumer is not installed"),
    ("empty", "compat_status"): (1, "compatibility schema enerlink_prosumer is not installed"),
    ("foreign", "migrate"): (
        2,
        "this is not an EnerLink database: schema public holds 2 table(s) of another",
    ),
    ("foreign", "compat_status"): (1, "compatibility schema enerlink_prosumer is not installed"),
    **{
        (state, command): (2, WRONG_DATABASE)
        for state in ("empty", "foreign")
        for command in DATABASE_COMMANDS
        if command not in ("migrate", "compat_status")
    },
}


# Not bad input: migrate adopts a legacy database and creates an empty one (tests above), and the
# compatibility schema is installed on a legacy database (tests/test_compat.py).
BAD_INPUTS = [
    (state, command)
    for state in ("legacy", "empty", "foreign")
    for command in DATABASE_COMMANDS
    if not (command in ("migrate", "compat_install") and state == "legacy")
    and not (command == "migrate" and state == "empty")
]


def bad_database(state, scratch_db, legacy_db):
    if state == "legacy":
        return legacy_db
    database = scratch_db()
    if state == "foreign":
        with database.connect() as conn:
            conn.execute(FOREIGN_TABLES)
    return database


@pytest.mark.parametrize(("state", "command"), BAD_INPUTS, ids=["-".join(case) for case in BAD_INPUTS])
def test_every_database_command_answers_a_bad_database_in_one_line(scratch_db, legacy_db, state, command):
    database = bad_database(state, scratch_db, legacy_db)
    before = scratch.schema_dump(database)
    result = database.manage(*DATABASE_COMMANDS[command], check=False)
    code, text = BAD_INPUT_ANSWERS.get((state, command), (0, ""))
    if code == 0:
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    else:
        assert result.returncode == code, result.stdout + result.stderr
        assert text.format(name=database.name) in assert_one_line(result.stderr)
    assert scratch.schema_dump(database) == before


@pytest.mark.parametrize("command", [*DATABASE_COMMANDS, "clear_user_cache"])
def test_every_command_without_its_server_is_one_line_and_exit_2(command):
    if command == "clear_user_cache":
        result = manage_at(
            scratch.server_url("postgres"), "clear_user_cache", env={"CACHE_URL": "redis://127.0.0.1:1/0"}
        )
        assert result.returncode == 2
        assert "start Redis or fix CACHE_URL" in assert_one_line(result.stderr)
        return
    result = manage_at("postgresql://enerlink_owner@127.0.0.1:1/enerlink", *DATABASE_COMMANDS[command])
    assert result.returncode == 2, result.stdout + result.stderr
    assert assert_one_line(result.stderr).startswith("CommandError: could not connect to the database:")


@pytest.mark.parametrize("command", [*DATABASE_COMMANDS, "clear_user_cache"])
def test_every_command_refuses_an_unknown_option_and_an_invalid_setting_in_one_line(created_db, command):
    args = ("clear_user_cache",) if command == "clear_user_cache" else DATABASE_COMMANDS[command]
    result = created_db.manage(*args, "--bogus", check=False)
    assert result.returncode == 2
    assert assert_one_line(result.stderr) == (
        f"manage.py {args[0]}: unrecognized arguments: --bogus (see manage.py {args[0]} --help)"
    )
    result = created_db.manage(*args, check=False, env={"ENERLINK_RENAME_LOCK_TIMEOUT": "abc"})
    assert result.returncode == 2
    assert assert_one_line(result.stderr).startswith(
        "CommandError: ENERLINK_RENAME_LOCK_TIMEOUT='abc' is not a"
    )
