"""The migration history: what the repair records so that ``migrate`` goes on normally afterwards.

A database renamed by the guide is in one of two states: adopted (accounts 0001
and energy 0001 recorded, Django's tables there) or never adopted (no
``django_migrations`` at all: the team ran the guide before it had this project).
Either way the migrations before the rename are recorded as applied when their
tables are there, and the journal's own migration (accounts 0002) is applied
for real, first, since the repair writes its record there. The rename's
migrations (accounts 0003, energy 0002) are recorded last, once nothing is left
to repair; ``manage.py migrate`` then applies what follows them as on any other
database. The SQL is Django's own (``sqlmigrate`` prints the same).
"""

from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from accounts.facts import JOURNAL_MIGRATION, MIGRATIONS_TABLE, RENAME_MIGRATIONS
from accounts.repair.sql import literal


def dotted(node):
    return ".".join(node)


def record_sql(node):
    app, name = node
    return (
        f"INSERT INTO {MIGRATIONS_TABLE} (app, name, applied) VALUES ({literal(app)}, {literal(name)}, now())"
    )


def forget_sql(node):
    app, name = node
    return f"DELETE FROM {MIGRATIONS_TABLE} WHERE app = {literal(app)} AND name = {literal(name)}"


def collected(statements):
    """Statements as Django collected them, without its comment lines and final semicolons."""
    return [
        statement.rstrip(";")
        for statement in statements
        if statement.strip() and not statement.lstrip().startswith("--")
    ]


def migrations_table_sql(connection):
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        editor.create_model(MigrationRecorder.Migration)
    return collected(editor.collected_sql)


def journal_table_sql(connection):
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    migration = loader.get_migration(*JOURNAL_MIGRATION)
    return collected(loader.collect_sql([(migration, False)]))


def prerequisites():
    """The migrations the rename's depend on, in order, without the rename's own."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    found = []
    for node in RENAME_MIGRATIONS:
        for dependency in graph.forwards_plan(node):
            if dependency not in RENAME_MIGRATIONS and dependency not in found:
                found.append(dependency)
    return found


def plan_journal(planner):
    state, render, connection = planner.state, planner.render, planner.connection
    statements, undo, problems = [], [], []
    if not state.migrations_table:
        problems.append(f"no {MIGRATIONS_TABLE} table: the project never adopted this database")
        statements += [render.bookkeeping(sql, None) for sql in migrations_table_sql(connection)]
        undo.append(f"DROP TABLE {MIGRATIONS_TABLE}")
    if not state.journal_table:
        problems.append("no user_rename_journal table (accounts.0002 creates it): nothing records the rename")
        statements += [render.bookkeeping(sql, None) for sql in journal_table_sql(connection)]
        undo.insert(0, "DROP TABLE user_rename_journal")
    unrecorded = [node for node in prerequisites() if node not in state.applied]
    reflected = [node for node in unrecorded if node != JOURNAL_MIGRATION]
    if reflected:
        problems.append(
            f"{', '.join(map(dotted, reflected))} not recorded as applied, though their tables are there"
        )
    statements += [render.bookkeeping(record_sql(node), MIGRATIONS_TABLE) for node in unrecorded]
    undo[:0] = [forget_sql(node) for node in reversed(unrecorded)]
    if not statements:
        return
    finding = planner.find("history", MIGRATIONS_TABLE, "; ".join(problems))
    planner.add_step(
        "journal",
        "the journal and the migrations the schema already reflects (accounts.0002 creates the journal)",
        statements,
        [finding],
        undo,
        object_type="migrations",
        new_name=", ".join(map(dotted, unrecorded)),
    )


def plan_history(planner):
    unrecorded = [node for node in RENAME_MIGRATIONS if node not in planner.state.applied]
    if not unrecorded:
        return
    finding = planner.find(
        "history",
        MIGRATIONS_TABLE,
        f"{', '.join(map(dotted, unrecorded))} not recorded as applied: "
        "migrate would refuse the renamed table",
    )
    planner.add_step(
        "history",
        "record the rename's migrations as applied, now that the schema is what they make it",
        [planner.render.bookkeeping(record_sql(node), MIGRATIONS_TABLE) for node in unrecorded],
        [finding],
        [forget_sql(node) for node in reversed(unrecorded)],
        object_type="migrations",
        new_name=", ".join(map(dotted, unrecorded)),
    )
