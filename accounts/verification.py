"""The post-deploy verification of the prosumer -> user rename.

The guide's "verification" is a handful of queries a person reads by eye:
they cannot see a second foreign key on a column, an ON DELETE rule turned
into CASCADE, orphans let in while triggers were off, an INVALID index or a
forgotten column. Each check here looks for one such failure in the catalog
(or, for the O(rows) ones, in the data) and says what it found in plain
words. What the database *should* look like comes from the models and from
the snapshot the rename recorded in ``user_rename_journal``, never from a
list of names kept here by hand.

Every query aggregates inside PostgreSQL, so memory stays flat however many
rows the tables hold.
"""

import getpass
import socket
import time
from dataclasses import asdict, dataclass, field

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from accounts.models import User, VerificationRun

ERROR = "error"
WARNING = "warning"

PASSED = "passed"
FAILED = "failed"
NOT_MIGRATED = "not_migrated"

PROJECT_APPS = ("accounts", "energy")
RENAME_MIGRATIONS = [("accounts", "0003_rename_prosumer_to_user"), ("energy", "0002_rename_prosumer_fields")]
SAMPLE_SIZE = 5

# Without a snapshot (a database renamed by other means), the rules of legacy-schema.md,
# which the models' on_delete mirror: PROTECT is the database's NO ACTION.
RULE_CODES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
MODEL_RULES = {models.CASCADE: "c", models.PROTECT: "a", models.DO_NOTHING: "a", models.RESTRICT: "r"}


class NotMigrated(Exception):
    """The database still has its legacy table: there is nothing to verify yet."""


class CannotVerify(Exception):
    """The report could not run at all (wrong database, no connection)."""


@dataclass
class CheckResult:
    name: str
    title: str
    severity: str
    passed: bool
    summary: str
    details: list = field(default_factory=list)
    skipped: bool = False
    seconds: float = 0.0

    @property
    def status(self):
        if self.skipped:
            return "skipped"
        if self.passed:
            return "pass"
        return "fail" if self.severity == ERROR else "warn"


@dataclass
class VerificationReport:
    database: str
    server_version: str
    host: str
    started_at: object
    finished_at: object = None
    fast: bool = False
    checks: list = field(default_factory=list)

    @property
    def passed(self):
        return all(check.passed or check.severity != ERROR for check in self.checks)

    @property
    def outcome(self):
        return PASSED if self.passed else FAILED

    def count(self, status):
        return sum(1 for check in self.checks if check.status == status)

    def as_dict(self):
        return {
            "outcome": self.outcome,
            "database": self.database,
            "server_version": self.server_version,
            "host": self.host,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "fast": self.fast,
            "checks": [{**asdict(check), "status": check.status} for check in self.checks],
        }


def format_detail(detail):
    """One detail as a line of text: structured ones (the sample's rows) as key=value pairs."""
    if isinstance(detail, dict):
        return " ".join(f"{key}={value}" for key, value in detail.items())
    return str(detail)


def mask_email(email):
    """``user@example.org`` -> ``u***@example.org``: enough to recognise, not to harvest."""
    if not email or "@" not in email:
        return "***"
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


# --- what the models expect --------------------------------------------------------------


@dataclass(frozen=True)
class ExpectedForeignKey:
    table: str
    column: str
    model_rule: str


def project_models():
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def expected_foreign_keys():
    """Every FK column of the project's models that points at the platform user."""
    found = []
    for model in project_models():
        for model_field in model._meta.local_fields:
            if model_field.is_relation and model_field.many_to_one and model_field.related_model is User:
                rule = MODEL_RULES.get(model_field.remote_field.on_delete, "a")
                found.append(ExpectedForeignKey(model._meta.db_table, model_field.column, rule))
    return sorted(found, key=lambda key: (key.table, key.column))


def expected_named_indexes():
    """(table, index) for every index the models name: the guide's single and composite ones."""
    return sorted(
        (model._meta.db_table, index.name) for model in project_models() for index in model._meta.indexes
    )


def expected_comments():
    """(table, column or None) -> comment, from db_table_comment and db_comment."""
    comments = {}
    for model in project_models():
        if model._meta.db_table_comment:
            comments[(model._meta.db_table, None)] = model._meta.db_table_comment
        for model_field in model._meta.local_fields:
            if model_field.db_comment:
                comments[(model._meta.db_table, model_field.column)] = model_field.db_comment
    return comments


# --- the checks -----------------------------------------------------------------------------


class Context:
    """What every check needs: a cursor and the rename's snapshot, read once."""

    def __init__(self, connection):
        self.connection = connection
        self.cursor = connection.cursor()
        self.user_table = User._meta.db_table
        # The schema of "user": the name checks look there, not in every schema of the database.
        self.namespace = self.value(
            "SELECT relnamespace FROM pg_class WHERE oid = to_regclass(%s)", [self.quote(self.user_table)]
        )
        self.snapshot_rules, self.snapshot_counts = self._read_snapshot()

    def rows(self, query, params=None):
        self.cursor.execute(query, params or [])
        return self.cursor.fetchall()

    def value(self, query, params=None):
        self.cursor.execute(query, params or [])
        return self.cursor.fetchone()[0]

    def quote(self, name):
        return self.connection.ops.quote_name(name)

    def _read_snapshot(self):
        if not self.value("SELECT to_regclass('user_rename_journal') IS NOT NULL"):
            return {}, {}
        rules = {
            (table.strip('"'), column): rule
            for table, column, rule in self.rows(
                "SELECT table_name, details->>'new_column', details->>'on_delete' FROM user_rename_journal "
                "WHERE kind = 'foreign_key'"
            )
        }
        counts = {
            (self.user_table if table == "prosumer" else table.strip('"')): int(rows)
            for table, rows in self.rows(
                "SELECT table_name, details->>'rows' FROM user_rename_journal WHERE kind = 'row_count'"
            )
        }
        return rules, counts

    def column_exists(self, table, column):
        return self.value(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attname = %s AND NOT attisdropped AND attnum > 0)",
            [self.quote(table), column],
        )


def check_user_table(ctx):
    """1. Table "user" has the model's columns, types and nullability; no table prosumer is left."""
    problems = []
    if ctx.value("SELECT to_regclass('prosumer') IS NOT NULL"):
        problems.append('table prosumer still exists beside "user"')
    actual = {
        name: (type_oid, not_null)
        for name, type_oid, not_null in ctx.rows(
            "SELECT attname, atttypid, attnotnull FROM pg_attribute WHERE attrelid = to_regclass(%s) "
            "AND attnum > 0 AND NOT attisdropped",
            [ctx.quote(ctx.user_table)],
        )
    }
    for model_field in User._meta.local_fields:
        column = model_field.column
        if column not in actual:
            problems.append(f'column "user".{column} is missing')
            continue
        expected_type = ctx.value("SELECT to_regtype(%s)::oid", [model_field.db_type(ctx.connection)])
        type_oid, not_null = actual.pop(column)
        if expected_type != type_oid:
            found, wanted = ctx.rows(
                "SELECT format_type(%s, NULL), format_type(%s, NULL)", [type_oid, expected_type]
            )[0]
            problems.append(f'column "user".{column} is {found}, the model says {wanted}')
        if not_null == model_field.null:
            problems.append(
                f'column "user".{column} is {"NOT NULL" if not_null else "nullable"}, '
                f"the model says {'nullable' if model_field.null else 'NOT NULL'}"
            )
    details = problems + [f'extra column "user".{column} (not in the model)' for column in sorted(actual)]
    if problems:
        return False, f'{len(problems)} problem(s) with table "user"', details
    return True, f'table "user" has the model\'s {len(User._meta.local_fields)} columns', details


def check_foreign_keys(ctx):
    """2. One validated FK per column, to "user"(user_id), with the ON DELETE rule it had before."""
    problems, details = [], []
    user_regclass = ctx.quote(ctx.user_table)
    expected_keys = expected_foreign_keys()
    for expected in expected_keys:
        where = f"{expected.table}.{expected.column}"
        if not ctx.column_exists(expected.table, expected.column):
            problems.append(f"column {where} is missing")
            continue
        keys = ctx.rows(
            """
            SELECT c.conname, c.confrelid::regclass::text, fa.attname, c.confdeltype, c.convalidated
              FROM pg_constraint c
              JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
              LEFT JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
             WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) AND a.attname = %s
               AND cardinality(c.conkey) = 1
             ORDER BY 1
            """,
            [ctx.quote(expected.table), expected.column],
        )
        if not keys:
            problems.append(f"column {where} has no foreign key")
            continue
        if len(keys) > 1:
            problems.append(f"column {where} has {len(keys)} foreign keys: {', '.join(k[0] for k in keys)}")
        wanted_rule = ctx.snapshot_rules.get((expected.table, expected.column), expected.model_rule)
        recorded = (expected.table, expected.column) in ctx.snapshot_rules
        source = "recorded before the rename" if recorded else "of the legacy schema"
        for name, target, target_column, rule, validated in keys:
            if target != user_regclass or target_column != "user_id":
                problems.append(
                    f'{name} on {where} references {target}({target_column}), not "user"(user_id)'
                )
            if rule != wanted_rule:
                problems.append(
                    f"{name} on {where} is ON DELETE {RULE_CODES.get(rule, rule)}; the rule {source} "
                    f"was {RULE_CODES.get(wanted_rule, wanted_rule)}"
                )
            if not validated:
                problems.append(f"{name} on {where} is NOT VALID: existing rows were never checked")
        details.append(f"{where}: {', '.join(k[0] for k in keys)} ON DELETE {RULE_CODES.get(keys[0][3])}")
    strays = ctx.rows(
        """
        SELECT c.conrelid::regclass::text || '.' || a.attname, c.conname
          FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.confrelid = to_regclass(%s)
        """,
        [user_regclass],
    )
    known = {f"{key.table}.{key.column}" for key in expected_keys}
    for column, name in strays:
        if column.replace('"', "") not in known:
            problems.append(f'{name} on {column} references "user" but no model knows that column')
    if problems:
        return False, f"{len(problems)} foreign-key problem(s)", problems + details
    return True, f"{len(known)} columns, one valid foreign key each, rules as before the rename", details


NAMES_WITH_PROSUMER = r"""
SELECT 'column', c.relname || '.' || a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'i', 'I', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped AND a.attname ~* 'prosumer'
UNION ALL
SELECT CASE c.relkind WHEN 'S' THEN 'sequence' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' ELSE 'table' END,
       c.relname
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('v', 'c') AND c.relname ~* 'prosumer'
UNION ALL
SELECT 'constraint', conrelid::regclass::text || '.' || conname
  FROM pg_constraint WHERE connamespace = %(ns)s AND conname ~* 'prosumer'
UNION ALL
SELECT 'trigger', t.tgrelid::regclass::text || '.' || t.tgname
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal AND t.tgname ~* 'prosumer'
ORDER BY 1, 2
"""

CODE_WITH_PROSUMER = r"""
SELECT 'view', c.relname
  FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('v', 'm')
   AND (c.relname ~* 'prosumer' OR pg_get_viewdef(c.oid) ~* 'prosumer'
        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname ~* 'prosumer'))
UNION ALL
SELECT 'function', p.oid::regprocedure::text
  FROM pg_proc p
 WHERE p.pronamespace = %(ns)s AND (p.proname ~* 'prosumer' OR p.prosrc ~* 'prosumer')
ORDER BY 1, 2
"""


def check_prosumer_names(ctx):
    """3. No column, table, index, constraint, trigger or sequence is still named prosumer."""
    found = [f"{kind} {name}" for kind, name in ctx.rows(NAMES_WITH_PROSUMER, {"ns": ctx.namespace})]
    if found:
        return False, f"{len(found)} object(s) still named prosumer", found
    return True, "no column, constraint, index, trigger or sequence is named prosumer", []


def check_prosumer_in_code(ctx):
    """3b. Views and functions whose name or text says prosumer: they may break, or mislead."""
    found = [f"{kind} {name}" for kind, name in ctx.rows(CODE_WITH_PROSUMER, {"ns": ctx.namespace})]
    if found:
        return False, f"{len(found)} view(s) or function(s) name prosumer; review them", found
    return True, "no view or function names prosumer", []


def check_orphans(ctx, progress=None):
    """4. Rows whose user does not exist: let in while FK triggers were off, or behind a NOT VALID key."""
    problems, details = [], []
    for expected in expected_foreign_keys():
        if progress:
            progress(f"orphans in {expected.table}.{expected.column}")
        if not ctx.column_exists(expected.table, expected.column):
            details.append(f"{expected.table}.{expected.column}: column missing, not scanned")
            continue
        table, column, user = ctx.quote(expected.table), ctx.quote(expected.column), ctx.quote(ctx.user_table)
        orphans = ctx.value(
            f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {user} u WHERE u.user_id = t.{column})"
        )
        line = f"{expected.table}.{expected.column}: {orphans:,} orphan row(s)"
        (problems if orphans else details).append(line)
    if problems:
        return False, f"orphan rows in {len(problems)} column(s)", problems + details
    return True, "every row's user exists", details


def check_indexes(ctx):
    """5. A valid index leads with every FK column; the named indexes exist; nothing is INVALID."""
    problems, details = [], []
    for expected in expected_foreign_keys():
        if not ctx.column_exists(expected.table, expected.column):
            problems.append(f"{expected.table}.{expected.column}: column missing, so no index")
            continue
        leading = ctx.rows(
            """
            SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = to_regclass(%s) AND i.indisvalid AND i.indpred IS NULL
               AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                                   WHERE attrelid = to_regclass(%s) AND attname = %s)
             ORDER BY 1
            """,
            [ctx.quote(expected.table), ctx.quote(expected.table), expected.column],
        )
        if leading:
            details.append(f"{expected.table}.{expected.column}: {', '.join(name for (name,) in leading)}")
        else:
            problems.append(f"{expected.table}.{expected.column} has no valid index that leads with it")
    for table, name in expected_named_indexes():
        exists = ctx.value(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND i.indrelid = to_regclass(%s))",
            [name, ctx.quote(table)],
        )
        if not exists:
            problems.append(f"index {name} on {table} is missing")
    invalid = ctx.rows(
        """
        SELECT c.relname, i.indrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE NOT i.indisvalid AND c.relnamespace = %s ORDER BY 1
        """,
        [ctx.namespace],
    )
    for name, table in invalid:
        problems.append(
            f"index {name} on {table} is INVALID (a failed concurrent build): "
            "drop it and re-run manage.py migrate"
        )
    if problems:
        return False, f"{len(problems)} index problem(s)", problems + details
    return True, "every FK column has a valid leading index; the named indexes exist; none INVALID", details


def check_row_counts(ctx, progress=None):
    """6. No table has fewer rows than the rename's snapshot recorded."""
    if not ctx.snapshot_counts:
        # Not an error by itself (a database repaired by hand and faked has none), but say so.
        return (
            False,
            "no snapshot: this database was not renamed by the migration, counts cannot be compared",
            ["the rename records row counts in user_rename_journal before it locks anything"],
            WARNING,
        )
    problems, details = [], []
    for table, before in sorted(ctx.snapshot_counts.items()):
        if progress:
            progress(f"counting {table}")
        if not ctx.value("SELECT to_regclass(%s) IS NOT NULL", [ctx.quote(table)]):
            problems.append(f"table {table} is gone (it had {before:,} rows)")
            continue
        now = ctx.value(f"SELECT count(*) FROM {ctx.quote(table)}")
        line = f"{table}: {before:,} before the rename, {now:,} now"
        (problems if now < before else details).append(line + (" (fewer)" if now < before else ""))
    if problems:
        return False, f"{len(problems)} table(s) lost rows", problems + details
    return True, f"{len(details)} tables hold at least as many rows as before the rename", details


def check_migrations(ctx):
    """7. The rename migrations are applied and none of the project's migrations is pending."""
    recorder = MigrationRecorder(ctx.connection)
    applied = set(recorder.applied_migrations()) if recorder.has_table() else set()
    problems = [
        f"{app}.{name} is not recorded as applied"
        for app, name in RENAME_MIGRATIONS
        if (app, name) not in applied
    ]
    executor = MigrationExecutor(ctx.connection)
    pending = [
        f"{migration.app_label}.{migration.name} is pending"
        for migration, backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
        if not backwards
    ]
    problems += pending
    if problems:
        return False, f"{len(problems)} migration problem(s): run manage.py migrate", problems
    return (
        True,
        "rename migrations applied, nothing pending",
        [f"{app}.{name}" for app, name in RENAME_MIGRATIONS],
    )


def check_comments(ctx):
    """8. The table and column comments of the guide are in place."""
    problems, details = [], []
    for (table, column), wanted in sorted(
        expected_comments().items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if column is None:
            actual = ctx.value("SELECT obj_description(to_regclass(%s), 'pg_class')", [ctx.quote(table)])
            where = f"table {table}"
        else:
            actual = ctx.value(
                "SELECT col_description(to_regclass(%s), (SELECT attnum FROM pg_attribute "
                "WHERE attrelid = to_regclass(%s) AND attname = %s))",
                [ctx.quote(table), ctx.quote(table), column],
            )
            where = f"column {table}.{column}"
        if actual != wanted:
            problems.append(f"{where}: comment is {actual!r}, expected {wanted!r}")
        else:
            details.append(f"{where}: {wanted}")
    if problems:
        return False, f"{len(problems)} comment(s) missing or different", problems + details
    return True, f"{len(details)} comments in place", details


def check_relationship_sample(ctx):
    """9. The guide's relationship sample, read through the new names, with emails masked."""
    user = ctx.quote(ctx.user_table)
    wallet_column = "user_id" if ctx.column_exists("wallet", "user_id") else None
    meter_column = "user_id" if ctx.column_exists("smart_meter", "user_id") else None
    if not (wallet_column and meter_column):
        return False, "wallet.user_id or smart_meter.user_id is missing: the sample cannot be read", []
    rows = ctx.rows(
        f"""
        SELECT u.user_id, u.email,
               (SELECT count(*) FROM wallet w WHERE w.user_id = u.user_id),
               (SELECT count(*) FROM smart_meter m WHERE m.user_id = u.user_id)
          FROM {user} u ORDER BY u.user_id LIMIT %s
        """,
        [SAMPLE_SIZE],
    )
    details = [
        {"user_id": user_id, "email": mask_email(email), "wallets": wallets, "meters": meters}
        for user_id, email, wallets, meters in rows
    ]
    return True, f"{len(details)} users read with their wallets and meters", details


# name, title, severity, function, reads every row
CHECKS = [
    ("user_table", 'table "user" matches the model', ERROR, check_user_table, False),
    ("foreign_keys", "one FK per column, same ON DELETE rule", ERROR, check_foreign_keys, False),
    ("prosumer_names", "no object still named prosumer", ERROR, check_prosumer_names, False),
    ("prosumer_in_code", "views and functions naming prosumer", WARNING, check_prosumer_in_code, False),
    ("orphans", "no orphan rows", ERROR, check_orphans, True),
    ("indexes", "FK columns indexed, no INVALID index", ERROR, check_indexes, False),
    ("row_counts", "row counts against the snapshot", ERROR, check_row_counts, True),
    ("migrations", "migrations applied", ERROR, check_migrations, False),
    ("comments", "table and column comments", ERROR, check_comments, False),
    ("relationship_sample", "relationship sample (PII masked)", WARNING, check_relationship_sample, False),
]
FULL_SCAN_CHECKS = {name for name, *_, full_scan in CHECKS if full_scan}


def _describe_server(connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version')")
        database, version = cursor.fetchone()
    settings_dict = connection.settings_dict
    host = settings_dict.get("HOST") or "local socket"
    if str(host).startswith("/"):
        host = f"socket {host}"
    return database, version, f"{host}:{settings_dict.get('PORT') or 5432}"


def preflight(connection):
    """Refuse, with the reason, when there is nothing to verify or no database to verify it in."""
    try:
        connection.ensure_connection()
    except Exception as error:  # noqa: BLE001 (any driver error means: could not connect)
        raise CannotVerify(
            f"could not connect to the database: {str(error).strip().splitlines()[0]}"
        ) from error
    user_table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regclass('prosumer') IS NOT NULL, to_regclass(%s) IS NOT NULL", [user_table]
        )
        has_prosumer, has_user = cursor.fetchone()
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
    if has_prosumer and not has_user:
        raise NotMigrated(
            f"not migrated: table prosumer still present in database {database!r}, run manage.py migrate"
        )
    if not has_user:
        raise CannotVerify(
            f'wrong database: {database!r} has neither table "user" nor prosumer; '
            "check DATABASE_URL or --database"
        )


def run_verification(using=DEFAULT_DB_ALIAS, fast=False, progress=None):
    """Run every check against the database behind ``using``; return a VerificationReport.

    ``progress(name, description)`` is called before each check and for each table an O(rows)
    check reads. ``fast`` skips the checks that read every row (orphans, row counts).
    Raises NotMigrated or CannotVerify when there is nothing to verify.
    """
    connection = connections[using]
    preflight(connection)
    database, version, host = _describe_server(connection)
    report = VerificationReport(database, version, host, started_at=timezone.now(), fast=fast)
    ctx = Context(connection)
    try:
        for name, title, severity, function, full_scan in CHECKS:
            if fast and full_scan:
                report.checks.append(
                    CheckResult(name, title, severity, True, "skipped (--fast)", skipped=True)
                )
                continue
            if progress:
                progress(name, title)
            started = time.perf_counter()
            if full_scan:
                outcome = function(ctx, (lambda text, n=name: progress(n, text)) if progress else None)
            else:
                outcome = function(ctx)
            # A check may lower its own severity for a result that is doubtful rather than wrong.
            passed, summary, details, severity = (*outcome, severity)[:4]
            report.checks.append(
                CheckResult(
                    name, title, severity, passed, summary, details, seconds=time.perf_counter() - started
                )
            )
    finally:
        ctx.cursor.close()
    report.finished_at = timezone.now()
    return report


def describe_starter(source="manage.py verify_user_migration"):
    """Who or what started a run, for the stored record."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        user = "unknown"
    return f"{source} ({user}@{socket.gethostname()})"


def store_report(report, started_by, using=DEFAULT_DB_ALIAS):
    """Save the report as a VerificationRun in the verified database, when its table exists."""
    connection = connections[using]
    if VerificationRun._meta.db_table not in connection.introspection.table_names():
        return None
    return VerificationRun.objects.using(using).create(
        started_at=report.started_at,
        finished_at=report.finished_at,
        outcome=report.outcome,
        fast=report.fast,
        errors=report.count("fail"),
        warnings=report.count("warn"),
        checks=report.as_dict()["checks"],
        database_name=report.database,
        server_version=report.server_version,
        host=report.host,
        started_by=started_by,
    )
