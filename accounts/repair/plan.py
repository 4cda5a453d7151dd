"""The repair plan: what is wrong (findings), what stops the repair (blockers), and the steps that fix it.

``make_plan`` compares the database (``state.read_state``) with what the models
and the rename's naming say it should be (``expected``), and orders the steps so
that each one finds the names the steps before it left:

1. the journal: ``django_migrations`` and ``user_rename_journal`` if missing, and the
   migrations whose tables are already there recorded as applied;
2. the snapshot: each table's identity and the rule chosen for each key, recorded
   before anything changes;
3. INVALID and duplicate indexes dropped, concurrently;
4. names, one short transaction per table: forgotten columns, index names and
   index column names, triggers, constraints (the user table last);
5. keys, one column at a time: the right key added NOT VALID, validated in a
   transaction of its own, then the wrong ones dropped;
6. missing indexes built concurrently; 7. comments; 8. the rename's migrations
   recorded as applied.

Every step is planned from the catalog as it is now, so a plan made after a
repair was interrupted holds only what is left to do.
"""

from dataclasses import dataclass, field

from accounts.repair import expected, history, indexes, keys, names, orphans
from accounts.repair.sql import ACCESS_EXCLUSIVE, BLOCKS, SHARE_ROW_EXCLUSIVE, Quoter, Renderer

BRIEF = {ACCESS_EXCLUSIVE, SHARE_ROW_EXCLUSIVE}

PHASES = ["journal", "snapshot", "drop_indexes", "names", "keys", "build_indexes", "comments", "history"]


@dataclass
class Finding:
    number: int
    kind: str
    where: str
    text: str


@dataclass
class Blocker:
    kind: str
    where: str
    text: str
    count: int | None = None
    query: str | None = None


@dataclass
class Step:
    phase: str
    title: str
    statements: list
    findings: list = field(default_factory=list)  # Finding numbers
    undo: list = field(default_factory=list)  # SQL that undoes the step, in order
    object_type: str = ""
    table: str | None = None
    old_name: str = ""
    new_name: str = ""
    retry_cleanup: list = field(default_factory=list)  # SQL run before another attempt (concurrent steps)
    number: int = 0

    @property
    def concurrent(self):
        return any(statement.concurrent for statement in self.statements)

    @property
    def sql(self):
        return [statement.sql for statement in self.statements]

    @property
    def locks(self):
        """(mode, relation) in the order taken, each relation once, with the strongest mode it gets."""
        strength = list(BLOCKS)
        seen = {}
        for statement in self.statements:
            for mode, relation in statement.locks:
                if relation not in seen or strength.index(mode) < strength.index(seen[relation]):
                    seen[relation] = mode
        return [(mode, relation) for relation, mode in seen.items()]

    @property
    def scans(self):
        return sorted({statement.scans for statement in self.statements if statement.scans})

    def lock_summary(self):
        if not self.locks:
            return "none on the application's tables"
        parts = []
        for mode, effect in BLOCKS.items():
            relations = [relation for taken, relation in self.locks if taken == mode]
            if relations:
                brief = (
                    ", for the milliseconds a catalog change takes"
                    if mode in BRIEF and not self.scans
                    else ""
                )
                parts.append(f"{mode} on {', '.join(relations)} ({effect}{brief})")
        return "; ".join(parts)

    def as_dict(self):
        return {
            "number": self.number,
            "phase": self.phase,
            "title": self.title,
            "sql": self.sql,
            "locks": [{"mode": mode, "relation": relation} for mode, relation in self.locks],
            "scans": self.scans,
            "transaction": not self.concurrent,
            "findings": self.findings,
            "undo": self.undo,
        }


@dataclass
class Plan:
    database: str
    server_version: str
    role: str
    findings: list = field(default_factory=list)
    blockers: list = field(default_factory=list)
    left: list = field(default_factory=list)  # what the repair does not change, for people to review
    steps: list = field(default_factory=list)

    @property
    def empty(self):
        return not self.steps

    def as_dict(self):
        return {
            "database": self.database,
            "server_version": self.server_version,
            "role": self.role,
            "findings": [vars(finding) for finding in self.findings],
            "blockers": [vars(blocker) for blocker in self.blockers],
            "left": self.left,
            "steps": [step.as_dict() for step in self.steps],
        }


class Planner:
    """The state, the expectations, and the plan being built, shared by the planning modules."""

    def __init__(self, state, connection):
        self.state = state
        self.connection = connection  # Django's, for the SQL Django writes (indexes, its own tables)
        connection.ensure_connection()
        self.schema_editor = connection.schema_editor(collect_sql=True, atomic=False)
        self.quote = Quoter(state.keywords)
        self.render = Renderer(self.quote, state.user.name)
        self.user = state.user.name
        self.columns = expected.key_columns()
        self.plan = Plan(state.database, state.server_version, state.role)
        self.steps = {phase: [] for phase in PHASES}
        # Statements of the names step of each table, with their findings and undo.
        self.table_names = {}
        # Relation names (tables, indexes, sequences) of the schema as the steps leave them.
        self.names_in_use = set(state.relations)

    def find(self, kind, where, text):
        finding = Finding(len(self.plan.findings) + 1, kind, where, text)
        self.plan.findings.append(finding)
        return finding.number

    def block(self, kind, where, text, count=None, query=None):
        self.plan.blockers.append(Blocker(kind, where, text, count, query))

    def add_step(self, phase, title, statements, findings=(), undo=(), **journal):
        step = Step(phase, title, list(statements), list(findings), list(undo), **journal)
        self.steps[phase].append(step)
        return step

    def rename_on_table(self, table, statement, undo, finding=None):
        """A catalog-only change that joins the one names step of ``table``."""
        entry = self.table_names.setdefault(table, {"statements": [], "undo": [], "findings": []})
        entry["statements"].append(statement)
        entry["undo"].insert(0, undo)
        if finding is not None and finding not in entry["findings"]:
            entry["findings"].append(finding)

    def current_column(self, column):
        """The name ``column`` (a KeyColumn) has now: renamed, still legacy, or None when missing."""
        if self.state.has_column(column.table, column.column):
            return column.column
        if self.state.has_column(column.table, column.legacy):
            return column.legacy
        return None

    @property
    def tables(self):
        """The tables the repair works on: the others by name, the user table last (the rename's order)."""
        others = sorted(name for name in self.state.tables if name != self.user)
        return [*others, self.user]

    def finish(self):
        for table in self.tables:
            entry = self.table_names.get(table)
            if entry:
                statements = entry["statements"]
                if any(mode == ACCESS_EXCLUSIVE for s in statements for mode, _ in s.locks):
                    # The table before its indexes, as every query takes them: renaming an index's column
                    # first would hold the index while waiting for the table, and deadlock with a query
                    # that holds the table and waits for the index (an insert's key check on "user").
                    statements = [self.render.lock_table(table, ACCESS_EXCLUSIVE), *statements]
                self.add_step(
                    "names",
                    f"names on {self.quote(table)}: catalog only",
                    statements,
                    entry["findings"],
                    entry["undo"],
                    object_type="names",
                    table=table,
                )
        number = 0
        for phase in PHASES:
            for step in self.steps[phase]:
                number += 1
                step.number = number
                self.plan.steps.append(step)
        return self.plan


def make_plan(state, connection, cursor=None):
    """The plan for the database whose state was read.

    ``connection`` is Django's connection to the same database: Django writes the SQL of the
    indexes the models declare and of its own tables. With a ``cursor`` (psycopg), orphan rows
    are counted, which reads every referencing table; without one they are not looked for.
    """
    planner = Planner(state, connection)
    if cursor is not None:
        for where, count, query in orphans.find_orphans(
            cursor, state, planner.columns, planner.current_column
        ):
            planner.block(
                "orphans", where, f"{where}: {count:,} row(s) whose user does not exist", count, query
            )
    names.check_columns(planner)
    history.plan_journal(planner)
    keys.plan_snapshot_and_keys(planner)
    indexes.plan_indexes(planner)
    names.plan_names(planner)
    names.plan_comments(planner)
    history.plan_history(planner)
    names.note_left(planner)
    return planner.finish()
