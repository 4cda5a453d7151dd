"""verify_user_migration --preflight: each finding caused on a real legacy database, and a clean one passing.

Every damage is made the way it happens in the field (a key added by hand, a
session left idle in a transaction, a publication for an analytics copy) on a
copy of the production-style fixture, then the command runs as the team runs it:
in a subprocess, as the non-superuser role that owns the tables. Where the
preflight says the rename would refuse or break something, the test runs the
rename and shows that it does.
"""

import contextlib
import json
import threading
import time

import psycopg
import pytest

from enerlink.devtools import scratch
from tests import replication

GUIDE_SCRIPT = scratch.PROJECT_ROOT / "benchmarks" / "guide_all_in_one.sql"
PREFLIGHT_CHECKS = [
    "rename_state",
    "adoption",
    "role",
    "blocking_transactions",
    "referencing_keys",
    "invalid_indexes",
    "exposed_rows",
    "prosumer_code",
    "broken_before_rename",
    "logical_replication",
    "standbys",
]


def preflight(database, *args, env=None):
    """Run the preflight with --json; return (exit code, report dict, checks by name)."""
    result = database.manage("verify_user_migration", "--preflight", "--json", *args, check=False, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout)
    return result.returncode, report, {check["name"]: check for check in report["checks"]}


def text(check):
    return "\n".join(str(detail) for detail in [check["summary"], *check["details"]])


def statuses(checks):
    return {name: check["status"] for name, check in checks.items()}


def physical_standbys():
    with scratch.admin_connect() as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_replication r WHERE NOT EXISTS "
            "(SELECT 1 FROM pg_replication_slots s WHERE s.active_pid = r.pid AND s.slot_type = 'logical')"
        ).fetchone()[0]


def execute(database, *statements, superuser=True):
    with database.connect(superuser=superuser) as conn:
        for statement in statements:
            conn.execute(statement)


def test_a_clean_legacy_database_passes_before_adoption(legacy_db):
    """The runbook runs the preflight before anything else: no Django table is needed."""
    standbys_before = physical_standbys()
    code, report, checks = preflight(legacy_db)
    assert code == 0, json.dumps(report, indent=1)
    assert (report["outcome"], report["suite"], report["database"]) == (
        "passed",
        "before_rename",
        legacy_db.name,
    )
    assert list(checks) == PREFLIGHT_CHECKS
    # A standby test of another run on this server may stream meanwhile: then, and only then, a warning.
    warned = {"prosumer_code", "broken_before_rename"}
    warned |= {"standbys"} if standbys_before or physical_standbys() else set()
    assert {name for name, status in statuses(checks).items() if status != "pass"} == warned
    assert "7 foreign key(s) in 6 table(s) reference it" in text(checks["rename_state"])
    assert "enerlink_owner owns every table the rename touches and is not a superuser" in text(checks["role"])
    assert "wallet.prosumer_id: FK_62a1a16628b883318e6b443cf52 -> wallet_user_id_fkey" in text(
        checks["referencing_keys"]
    )


def test_the_readable_preflight_and_fast(ready_db):
    result = ready_db.manage("verify_user_migration", "--preflight")
    assert "prosumer -> user preflight" in result.stdout
    assert "PASSED: 0 failed, 2 warning(s)" in result.stdout
    code, report, checks = preflight(ready_db, "--fast")
    assert code == 0
    assert {name for name, status in statuses(checks).items() if status == "skipped"} == {"exposed_rows"}
    with ready_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('user_verification_run')").fetchone() == (None,), (
            "a preflight is never stored"
        )


def test_a_wrong_database_or_no_connection_exits_2_with_one_line(scratch_db):
    database = scratch_db()
    result = database.manage("verify_user_migration", "--preflight", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f'CommandError: wrong database: {database.name!r} has neither table prosumer nor "user"; '
        "check DATABASE_URL or --database"
    ]
    unreachable = "postgresql://nobody@127.0.0.1:9/nowhere?connect_timeout=2"
    result = database.manage(
        "verify_user_migration", "--preflight", check=False, env={"DATABASE_URL": unreachable}
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: could not connect to the database:")


# --- the role ---------------------------------------------------------------------------------------------


def test_a_table_of_another_role_fails_and_the_rename_indeed_cannot_run(ready_db):
    execute(
        ready_db,
        "CREATE TABLE audit_note (note_id serial PRIMARY KEY, prosumer_id varchar REFERENCES prosumer)",
        "ALTER SCHEMA public OWNER TO postgres",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    )
    code, report, checks = preflight(ready_db)
    assert code == 1 and report["outcome"] == "failed"
    role = text(checks["role"])
    assert "enerlink_owner cannot run the rename" in role
    assert "table audit_note is owned by postgres, not by enerlink_owner" in role
    assert "ALTER TABLE audit_note OWNER TO enerlink_owner" in role
    assert "may not create tables in schema public" in role
    assert "GRANT CREATE ON SCHEMA public TO enerlink_owner" in role
    result = ready_db.manage("migrate", check=False)
    # Refused on that table ("permission denied for table audit_note"), changing nothing.
    assert result.returncode == 1 and "for table audit_note" in result.stderr, result.stderr
    with ready_db.connect() as conn:
        assert conn.execute("SELECT to_regclass('prosumer') IS NOT NULL").fetchone() == (True,)


def test_a_superuser_is_told_it_is_not_needed(ready_db):
    code, _, checks = preflight(ready_db, env={"DATABASE_URL": ready_db.superuser_url})
    assert code == 0
    assert checks["role"]["status"] == "warn"
    assert (
        "postgres is a superuser: the rename needs none; run it as the owner of the tables (enerlink_owner)"
        in (text(checks["role"]))
    )


# --- transactions -----------------------------------------------------------------------------------------


def test_idle_and_long_transactions_on_the_tables_are_named_then_pass_once_gone(ready_db):
    idle = session(ready_db, application_name="metabase")
    idle.execute("SELECT count(*) FROM wallet")  # AccessShareLock on wallet, then idle in transaction
    long = session(ready_db, autocommit=True, application_name="nightly-report")
    long_pid = long.execute("SELECT pg_backend_pid()").fetchone()[0]
    running = threading.Thread(
        target=lambda: _ignore_cancel(long, "SELECT pg_sleep(60) FROM smart_meter LIMIT 1"), daemon=True
    )
    running.start()
    hidden = session(ready_db, superuser=True, application_name="dba-console")
    hidden.execute("SELECT count(*) FROM market_trade")
    snapshot = session(ready_db, application_name="export")
    snapshot.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    snapshot.execute("SELECT count(*) FROM migrations")  # no lock on the tables, but an old snapshot
    try:
        time.sleep(1.0)
        code, _, checks = preflight(ready_db, env={"ENERLINK_RENAME_LOCK_TIMEOUT": "500ms"})
        assert code == 1
        found = text(checks["blocking_transactions"])
        assert (
            "2 transaction(s) on the tables are idle or open longer than the rename's lock timeout (500ms)"
            in (found)
        )
        assert (
            f"pid {idle.info.backend_pid} (application 'metabase', user enerlink_owner, idle in transaction"
            in (found)
        )
        assert "AccessShareLock on wallet" in found
        assert (
            f"pid {long_pid} (application 'nightly-report', user enerlink_owner, active, transaction open"
            in (found)
        )
        assert f"SELECT pg_terminate_backend({long_pid})" in found
        assert (
            f"pid {hidden.info.backend_pid} (application 'dba-console', user postgres) holds AccessShareLock "
            "on market_trade; its state and age are hidden from this role" in found
        )
        assert f"pid {snapshot.info.backend_pid} (application 'export'" in found
        assert "holds a snapshot: the concurrent index builds of energy 0003 wait for it to end" in found
    finally:
        with ready_db.connect(superuser=True) as admin:
            admin.execute("SELECT pg_cancel_backend(%s)", [long_pid])
        running.join(10)
        for conn in (idle, long, hidden, snapshot):
            conn.close()
    code, _, checks = preflight(ready_db, env={"ENERLINK_RENAME_LOCK_TIMEOUT": "500ms"})
    assert code == 0
    assert checks["blocking_transactions"]["status"] == "pass"


def session(database, superuser=False, **kwargs):
    """A client session of its own (a transaction stays open until it commits)."""
    return psycopg.connect(database.superuser_url if superuser else database.url, **kwargs)


def _ignore_cancel(conn, query):
    with contextlib.suppress(psycopg.errors.QueryCanceled):
        conn.execute(query)


# --- keys, indexes and the rows behind them ---------------------------------------------------------------

# (what was done to the legacy database, as superuser; check -> words it must say; does migrate refuse?)
DAMAGE = {
    "a second key on a column": (
        [
            "ALTER TABLE wallet ADD CONSTRAINT fk_wallet_prosumer "
            "FOREIGN KEY (prosumer_id) REFERENCES prosumer"
        ],
        {
            "referencing_keys": "wallet.prosumer_id has 2 foreign keys (FK_62a1a16628b883318e6b443cf52, "
            "fk_wallet_prosumer): the rename stops on it (changing nothing)"
        },
        "column wallet.prosumer_id has 2 foreign keys to prosumer",
    ),
    "the key's new name taken": (
        ["ALTER TABLE smart_meter ADD CONSTRAINT smart_meter_user_id_fkey CHECK (meter_id <> '')"],
        {"referencing_keys": "smart_meter already has a constraint named smart_meter_user_id_fkey"},
        "already has a constraint named smart_meter_user_id_fkey",
    ),
    "both columns": (
        ["ALTER TABLE idrs_conversion ADD COLUMN user_id varchar"],
        {"referencing_keys": "idrs_conversion has both columns prosumer_id and user_id"},
        "has both columns prosumer_id and user_id",
    ),
    "a multi-column key": (
        [
            "ALTER TABLE prosumer ADD CONSTRAINT prosumer_id_email UNIQUE (prosumer_id, email)",
            "CREATE TABLE contact (prosumer_id varchar, email varchar, "
            "FOREIGN KEY (prosumer_id, email) REFERENCES prosumer (prosumer_id, email))",
        ],
        {"referencing_keys": "on contact is a multi-column key to prosumer"},
        "a multi-column foreign key references prosumer",
    ),
    "an orphan behind a NOT VALID key": (
        [
            'ALTER TABLE wallet DROP CONSTRAINT "FK_62a1a16628b883318e6b443cf52"',
            "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
            "VALUES ('0xghost', 'p-ghost', now(), 'GENERATED', true)",
            'ALTER TABLE wallet ADD CONSTRAINT "FK_62a1a16628b883318e6b443cf52" FOREIGN KEY (prosumer_id) '
            "REFERENCES prosumer NOT VALID",
        ],
        {
            "referencing_keys": "FK_62a1a16628b883318e6b443cf52 on wallet.prosumer_id is NOT VALID\n"
            "ALTER TABLE wallet VALIDATE CONSTRAINT FK_62a1a16628b883318e6b443cf52",
            "exposed_rows": "wallet.prosumer_id: 1 orphan row(s) behind NOT VALID key "
            "FK_62a1a16628b883318e6b443cf52",
        },
        None,
    ),
    "an INVALID unique index over duplicates": (
        [
            "INSERT INTO wallet (wallet_address, prosumer_id, created_at, import_method, is_active) "
            "VALUES ('0xa11ce2', 'p-alice', now(), 'GENERATED', true)",
            "CREATE UNIQUE INDEX CONCURRENTLY idx_wallet_one_per_prosumer ON wallet (prosumer_id)",
        ],
        {
            "invalid_indexes": "index idx_wallet_one_per_prosumer on wallet is INVALID\n"
            "DROP INDEX CONCURRENTLY idx_wallet_one_per_prosumer",
            "exposed_rows": "wallet (prosumer_id): 2 rows share 1 value(s) that INVALID unique index "
            "idx_wallet_one_per_prosumer forbids",
        },
        None,
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_each_key_and_index_problem_is_named_and_exits_1(ready_db, damage):
    statements, expected, refusal = DAMAGE[damage]
    with ready_db.connect(superuser=True) as conn:
        for statement in statements:
            try:
                conn.execute(statement)
            except (
                psycopg.errors.UniqueViolation
            ):  # the failed concurrent build is the point: an INVALID index
                assert "CONCURRENTLY" in statement
    code, report, checks = preflight(ready_db)
    assert (code, report["outcome"]) == (1, "failed"), json.dumps(report, indent=1)
    for name, words in expected.items():
        assert checks[name]["status"] == "fail", (name, checks[name])
        for line in words.splitlines():
            assert line in text(checks[name]), (name, text(checks[name]))
    untouched = {"rename_state", "role", "blocking_transactions", "logical_replication", "standbys"}
    assert all(checks[name]["status"] == "pass" for name in untouched - set(expected))
    if refusal:
        result = ready_db.manage("migrate", check=False)
        assert result.returncode == 1 and refusal in result.stderr, result.stderr
        with ready_db.connect() as conn:
            assert conn.execute("SELECT to_regclass('prosumer') IS NOT NULL").fetchone() == (True,)


def test_fast_still_names_a_not_valid_key_without_reading_rows(ready_db):
    execute(ready_db, *DAMAGE["an orphan behind a NOT VALID key"][0])
    code, _, checks = preflight(ready_db, "--fast")
    assert code == 1
    assert checks["referencing_keys"]["status"] == "fail"
    assert checks["exposed_rows"]["status"] == "skipped"


# --- code that names prosumer -----------------------------------------------------------------------------

CODE = [
    # Will stop working: bodies parsed at each call.
    "CREATE FUNCTION wallet_count(p varchar) RETURNS bigint LANGUAGE plpgsql STABLE AS "
    "$$ BEGIN RETURN (SELECT count(*) FROM wallet w WHERE w.prosumer_id = p); END $$",
    "CREATE FUNCTION audit_wallet() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "PERFORM 1 FROM prosumer WHERE prosumer_id = NEW.prosumer_id; RETURN NEW; END $$",
    "CREATE TRIGGER audit_wallet_insert BEFORE INSERT ON wallet FOR EACH ROW EXECUTE FUNCTION audit_wallet()",
    "CREATE FUNCTION any_prosumer_dynamic() RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE n bigint; BEGIN "
    "EXECUTE 'SELECT count(*) FROM \"prosumer\"' INTO n; RETURN n; END $$",
    # Keep working: bound by OID, or naming nothing the rename renames.
    "CREATE FUNCTION user_count_atomic() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC "
    "SELECT count(*) FROM prosumer; END",
    "CREATE FUNCTION prosumer_greeting(p varchar) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT 'hello ' || p -- prosumer_id in a comment is no reference\n $$",
    "CREATE FUNCTION summary_rows() RETURNS bigint LANGUAGE sql STABLE AS "
    "$$ SELECT count(*) FROM prosumer_wallet_summary $$",
    "CREATE TYPE prosumer_tier AS ENUM ('bronze', 'gold')",
    "CREATE TRIGGER prosumer_meter_touch BEFORE UPDATE ON energy_settlement "
    "FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp()",
]


def test_code_that_will_break_is_told_apart_from_code_that_keeps_working(ready_db):
    """The preflight's verdict on each function is then checked by running the rename and calling it."""
    execute(ready_db, *CODE, superuser=False)
    code, _, checks = preflight(ready_db)
    assert code == 0  # a warning: the rename itself is safe; these need the same deploy
    found = checks["prosumer_code"]
    assert found["status"] == "warn"
    assert found["summary"].startswith("5 object(s) will stop working after the rename")
    details = found["details"]
    breaking = [line for line in details if "will stop working" in line]
    assert breaking[0].startswith(
        "trigger audit_wallet_insert on wallet: its function audit_wallet() will stop working, "
        "so every write that fires it fails"
    )
    will_break = {
        "wallet_count(character varying)": "names prosumer_id",
        "audit_wallet()": "names prosumer, prosumer_id",
        "any_prosumer_dynamic()": "names prosumer",
        "prosumer_trade_volume(character varying)": "names buyer_prosumer_id, seller_prosumer_id",
    }
    keeps = {
        "user_count_atomic()": "its SQL-standard body is bound to the tables",
        "prosumer_greeting(character varying)": "its name still says prosumer",
        "summary_rows()": "names nothing the rename renames",
    }
    for function, words in will_break.items():
        line = next(line for line in details if line.startswith(f"function {function}:"))
        assert "will stop working" in line and words in line, line
    for function, words in keeps.items():
        line = next(line for line in details if line.startswith(f"function {function}:"))
        assert "keeps working" in line and words in line, line
    assert "enum prosumer_tier: keeps working; not renamed" in text(found)
    assert (
        "trigger prosumer_meter_touch on energy_settlement: keeps working; its name still says prosumer"
        in (text(found))
    )
    assert "trigger set_timestamp_prosumers on prosumer: the rename renames it" in text(found)
    assert "view prosumer_wallet_summary: keeps working" in text(found)

    ready_db.manage("migrate")
    with ready_db.connect() as conn:
        for call in [
            "SELECT wallet_count('p-alice')",
            "SELECT prosumer_trade_volume('p-alice')",
            "SELECT any_prosumer_dynamic()",
            "INSERT INTO wallet (wallet_address, user_id, created_at, import_method, is_active) "
            "VALUES ('0xnew', 'p-alice', now(), 'GENERATED', true)",
        ]:
            with pytest.raises((psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable)):
                conn.execute(call)
        assert conn.execute("SELECT user_count_atomic()").fetchone() == (2,)
        assert conn.execute("SELECT prosumer_greeting('x')").fetchone() == ("hello x",)
        assert conn.execute("SELECT summary_rows()").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM prosumer_wallet_summary").fetchone() == (2,)


# --- replication ------------------------------------------------------------------------------------------


def test_a_publication_of_the_tables_refuses_unless_the_procedure_is_followed(ready_db):
    execute(ready_db, "CREATE PUBLICATION analytics FOR TABLE wallet, migrations", superuser=False)
    code, _, checks = preflight(ready_db)
    assert code == 1
    found = checks["logical_replication"]
    assert found["status"] == "fail"
    assert "publication analytics includes public.wallet: each subscriber stops at the first change" in text(
        found
    )
    assert "follow docs/logical-replication.md, then run the preflight with --allow-logical-replication" in (
        text(found)
    )
    code, report, checks = preflight(ready_db, "--allow-logical-replication")
    assert (code, report["outcome"]) == (0, "passed")
    assert checks["logical_replication"]["status"] == "warn"


def test_a_logical_slot_refuses_the_preflight(ready_db):
    replication.require_logical_wal()
    with ready_db.connect(superuser=True) as conn:
        slot = f"cdc_{ready_db.name}"
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'test_decoding')", [slot])
    try:
        code, _, checks = preflight(ready_db)
        assert code == 1
        assert f"logical slot {slot} (plugin test_decoding, inactive: its consumer resumes later)" in text(
            checks["logical_replication"]
        )
    finally:
        with ready_db.connect(superuser=True) as conn:
            conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])


# --- databases already renamed ----------------------------------------------------------------------------


def test_a_database_renamed_by_the_guides_script_gets_the_reports_findings(adopted_db):
    with adopted_db.connect(superuser=True) as conn:
        conn.execute(GUIDE_SCRIPT.read_text())
    code, report, checks = preflight(adopted_db)
    assert (code, report["outcome"]) == (1, "failed")
    state = checks.pop("rename_state")
    assert state["status"] == "fail"
    assert "already renamed without the migration (by hand or by the guide's script)" in state["summary"]
    result = adopted_db.manage("verify_user_migration", "--json", "--no-store", check=False)
    verification = {check["name"]: check for check in json.loads(result.stdout)["checks"]}
    assert result.returncode == 1
    comparable = ("status", "summary", "details")
    assert {name: [c[key] for key in comparable] for name, c in checks.items()} == {
        name: [c[key] for key in comparable] for name, c in verification.items()
    }
    assert "column wallet.user_id has 2 foreign keys" in text(checks["foreign_keys"])


def test_a_database_renamed_by_the_migration_passes_with_the_reports_checks(renamed_db):
    code, report, checks = preflight(renamed_db)
    assert (code, report["outcome"]) == (0, "passed")
    assert checks["rename_state"]["summary"].startswith("already renamed by manage.py migrate")
    assert "foreign_keys" in checks and "orphans" in checks and "standbys" not in checks


def test_both_tables_present_fails_with_only_that_finding(renamed_db):
    execute(renamed_db, "CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY)")
    code, _, checks = preflight(renamed_db)
    assert code == 1
    assert list(checks) == ["rename_state"]
    assert 'both tables prosumer and "user" exist' in text(checks["rename_state"])
