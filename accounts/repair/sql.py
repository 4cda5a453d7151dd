"""The statements the repair runs, each with the lock it takes and the table it scans.

Every statement is rendered here, as text a person can read in the plan and as
exactly what runs. Lock modes are PostgreSQL's (the "Explicit Locking" chapter;
``tests/test_repair.py`` reads them back from ``pg_locks``). Three of them
matter to a live application:

* ACCESS EXCLUSIVE blocks every read and write of the table. The repair takes it
  only for catalog changes (renames, dropping a key), which last milliseconds.
* SHARE ROW EXCLUSIVE (adding a key NOT VALID) blocks writes, not reads, and
  also only for a catalog change.
* SHARE UPDATE EXCLUSIVE (VALIDATE CONSTRAINT, CREATE/DROP INDEX CONCURRENTLY,
  COMMENT, renaming an index) blocks neither: those are the steps that scan.
"""

import re
from dataclasses import dataclass

from accounts.facts import REFERENTIAL_ACTIONS, truncate

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"

# What each mode means for the application's reads and writes of the locked table, strongest first.
BLOCKS = {
    ACCESS_EXCLUSIVE: "blocks reads and writes",
    SHARE_ROW_EXCLUSIVE: "blocks writes, not reads",
    SHARE_UPDATE_EXCLUSIVE: "blocks neither reads nor writes",
    ROW_EXCLUSIVE: "blocks neither reads nor writes",
}

SIMPLE_NAME = re.compile(r"^[a-z_][a-z0-9_$]*$")


@dataclass(frozen=True)
class Statement:
    sql: str
    locks: tuple = ()  # (mode, relation as shown)
    scans: str | None = None  # the table it reads in full, if any
    concurrent: bool = False  # CONCURRENTLY: cannot run inside a transaction

    @property
    def relations(self):
        """The relations it locks, as regclass reads them (to name who holds a lock it waited for)."""
        return tuple(relation.split(" ")[-1] for _, relation in self.locks)


class Quoter:
    """Identifiers quoted as PostgreSQL's quote_ident() quotes them, with the server's own keyword list."""

    def __init__(self, keywords):
        self.keywords = keywords

    def __call__(self, name):
        if SIMPLE_NAME.match(name) and name not in self.keywords:
            return name
        return '"' + name.replace('"', '""') + '"'


def literal(value):
    """A SQL literal: NULL, a number, a boolean or a string (standard_conforming_strings, as since 9.1)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class Rule:
    """What a foreign key does: ON DELETE and ON UPDATE rules (pg_constraint codes), deferrability."""

    on_delete: str
    on_update: str = "a"
    deferrable: bool = False
    deferred: bool = False

    @classmethod
    def of(cls, key):
        return cls(key.on_delete, key.on_update, key.deferrable, key.deferred)

    @classmethod
    def from_record(cls, details):
        return cls(
            details["on_delete"],
            details.get("on_update") or "a",
            bool(details.get("deferrable")),
            bool(details.get("deferred")),
        )

    def clause(self):
        text = f"ON DELETE {REFERENTIAL_ACTIONS[self.on_delete]}"
        if self.on_update != "a":
            text += f" ON UPDATE {REFERENTIAL_ACTIONS[self.on_update]}"
        if self.deferrable:
            text += " DEFERRABLE INITIALLY " + ("DEFERRED" if self.deferred else "IMMEDIATE")
        return text

    def describe(self):
        text = f"ON DELETE {REFERENTIAL_ACTIONS[self.on_delete]}"
        if self.on_update != "a":
            text += f", ON UPDATE {REFERENTIAL_ACTIONS[self.on_update]}"
        if self.deferrable:
            text += ", DEFERRABLE INITIALLY " + ("DEFERRED" if self.deferred else "IMMEDIATE")
        return text

    def as_record(self):
        return {
            "on_delete": self.on_delete,
            "on_update": self.on_update,
            "deferrable": self.deferrable,
            "deferred": self.deferred,
        }


class Renderer:
    """Builds Statements with names quoted for the database at hand."""

    def __init__(self, quote, user_table):
        self.q = quote
        self.user = quote(user_table)

    def lock_table(self, table, mode):
        return Statement(f"LOCK TABLE {self.q(table)} IN {mode} MODE", ((mode, self.q(table)),))

    def rename_column(self, table, old, new):
        return Statement(
            f"ALTER TABLE {self.q(table)} RENAME COLUMN {self.q(old)} TO {self.q(new)}",
            ((ACCESS_EXCLUSIVE, self.q(table)),),
        )

    def rename_constraint(self, table, old, new, indexed=False):
        """``indexed``: a primary-key, unique or exclusion constraint, whose index is renamed with it."""
        locks = ((ACCESS_EXCLUSIVE, self.q(table)),)
        if indexed:
            locks += ((SHARE_UPDATE_EXCLUSIVE, f"index {self.q(old)}"),)
        return Statement(
            f"ALTER TABLE {self.q(table)} RENAME CONSTRAINT {self.q(old)} TO {self.q(new)}", locks
        )

    def rename_index(self, index, new):
        return Statement(
            f"ALTER INDEX {self.q(index)} RENAME TO {self.q(new)}",
            ((SHARE_UPDATE_EXCLUSIVE, f"index {self.q(index)}"),),
        )

    def rename_index_column(self, index, old, new, table):
        # Locks the index only, but every query on the table opens its indexes while planning: they wait.
        return Statement(
            f"ALTER TABLE {self.q(index)} RENAME COLUMN {self.q(old)} TO {self.q(new)}",
            ((ACCESS_EXCLUSIVE, f"index {self.q(index)}"),),
        )

    def rename_trigger(self, table, old, new):
        return Statement(
            f"ALTER TRIGGER {self.q(old)} ON {self.q(table)} RENAME TO {self.q(new)}",
            ((ACCESS_EXCLUSIVE, self.q(table)),),
        )

    def rename_sequence(self, old, new):
        return Statement(
            f"ALTER SEQUENCE {self.q(old)} RENAME TO {self.q(new)}",
            ((ACCESS_EXCLUSIVE, f"sequence {self.q(old)}"),),
        )

    def drop_foreign_key(self, table, name):
        return Statement(
            f"ALTER TABLE {self.q(table)} DROP CONSTRAINT {self.q(name)}",
            ((ACCESS_EXCLUSIVE, self.q(table)), (ACCESS_EXCLUSIVE, self.user)),
        )

    def add_foreign_key(self, table, name, column, key_column, rule, not_valid=True):
        return Statement(
            f"ALTER TABLE {self.q(table)} ADD CONSTRAINT {self.q(name)} FOREIGN KEY ({self.q(column)}) "
            f"REFERENCES {self.user} ({self.q(key_column)}) {rule.clause()}"
            + (" NOT VALID" if not_valid else ""),
            ((SHARE_ROW_EXCLUSIVE, self.q(table)), (SHARE_ROW_EXCLUSIVE, self.user)),
        )

    def validate_constraint(self, table, name):
        return Statement(
            f"ALTER TABLE {self.q(table)} VALIDATE CONSTRAINT {self.q(name)}",
            ((SHARE_UPDATE_EXCLUSIVE, self.q(table)),),
            scans=self.q(table),
        )

    def create_index_concurrently(self, table, sql):
        return Statement(
            sql, ((SHARE_UPDATE_EXCLUSIVE, self.q(table)),), scans=self.q(table), concurrent=True
        )

    def drop_index_concurrently(self, table, index):
        return Statement(
            f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(index)}",
            ((SHARE_UPDATE_EXCLUSIVE, self.q(table)),),
            concurrent=True,
        )

    def comment_on_table(self, table, comment):
        return Statement(
            f"COMMENT ON TABLE {self.q(table)} IS {literal(comment)}",
            ((SHARE_UPDATE_EXCLUSIVE, self.q(table)),),
        )

    def comment_on_column(self, table, column, comment):
        return Statement(
            f"COMMENT ON COLUMN {self.q(table)}.{self.q(column)} IS {literal(comment)}",
            ((SHARE_UPDATE_EXCLUSIVE, self.q(table)),),
        )

    def bookkeeping(self, sql, table):
        """A statement on the project's own tables (django_migrations, the journal): no application table."""
        return Statement(sql.rstrip(";"), ((ROW_EXCLUSIVE, table),) if table else ())


def concurrent_index_sql(definition):
    """``CREATE [UNIQUE] INDEX name ON ...`` (pg_get_indexdef) as a CONCURRENTLY build."""
    return re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX CONCURRENTLY ", definition, count=1)


def renamed(name):
    """A name with prosumer replaced by user, case-insensitively, as the rename's regexp_replace 'gi'."""
    return truncate(re.sub("prosumer", "user", name, flags=re.IGNORECASE))
