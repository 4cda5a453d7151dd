"""One key per column of the models, to "user"(user_id), with the whole definition it had before the rename.

A key is more than its ON DELETE rule: what it references, its ON UPDATE rule,
whether it is deferrable, whether its existing rows were ever checked (NOT
VALID), and whether the system triggers that enforce it fire at all. ``ALTER
TABLE ... DISABLE TRIGGER ALL`` (as a superuser) or a trigger left in replica
mode by a hand repair turns the key off while pg_constraint still shows it: rows
whose user does not exist then go in. Each is compared with the definition the
rename journaled, or, for a database renamed by other means, with the legacy
schema (the models' ``on_delete``, NO ACTION on update, not deferrable).

Each problem comes with its fix: SQL that changes the key without a long lock
(a replacement is added NOT VALID, validated while writes go on, then swapped).
"""

from typing import NamedTuple

from accounts.expectations import expected_foreign_keys
from accounts.facts import REFERENTIAL_ACTIONS, canonical_key_name
from accounts.verification.registry import check
from accounts.verification.results import failed, passed

KEYS_ON_COLUMN = """
SELECT c.oid, c.conname, c.confrelid::regclass::text, fa.attname, c.confdeltype, c.confupdtype,
       c.condeferrable, c.condeferred, c.convalidated
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
  LEFT JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
 WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) AND a.attname = %s
   AND cardinality(c.conkey) = 1
 ORDER BY 2
"""

# The triggers that enforce a key: two on the referencing table, two on the referenced one.
# 'O' (origin) and 'A' (always) fire in ordinary sessions; 'D' (disabled) and 'R' (replica only) do not.
SILENT_TRIGGERS = """
SELECT t.tgrelid::regclass::text, t.tgname, t.tgenabled
  FROM pg_trigger t WHERE t.tgconstraint = %s AND t.tgenabled NOT IN ('O', 'A')
 ORDER BY 1, 2
"""

TRIGGER_STATES = {"D": "disabled", "R": "enabled for replication sessions only"}


class Key(NamedTuple):
    """A foreign key on a column, as KEYS_ON_COLUMN reads it."""

    oid: int
    name: str
    target: str
    target_column: str
    on_delete: str
    on_update: str
    deferrable: bool
    deferred: bool
    validated: bool


def rule_name(code):
    return REFERENTIAL_ACTIONS.get(code, code)


def deferral(deferrable, deferred):
    if not deferrable:
        return "NOT DEFERRABLE"
    return f"DEFERRABLE INITIALLY {'DEFERRED' if deferred else 'IMMEDIATE'}"


def key_sql(ctx, column, wanted):
    """The FOREIGN KEY clause the key should have."""
    return (
        f"FOREIGN KEY ({ctx.quote(column)}) REFERENCES {ctx.quote(ctx.user_table)}(user_id) "
        f"ON UPDATE {rule_name(wanted.on_update)} ON DELETE {rule_name(wanted.on_delete)} "
        f"{deferral(wanted.deferrable, wanted.deferred)}"
    )


def add_key_fixes(ctx, table, name, column, wanted):
    """Add the key without blocking writes: NOT VALID first (brief lock), then validated alongside them."""
    return [
        f"ALTER TABLE {table} ADD CONSTRAINT {ctx.quote(name)} {key_sql(ctx, column, wanted)} NOT VALID;",
        f"ALTER TABLE {table} VALIDATE CONSTRAINT {ctx.quote(name)};",
    ]


def replace_key_fixes(ctx, table, name, column, wanted):
    """A key's rules cannot be altered in place: add the right key, drop the wrong one, take its name."""
    temporary = f"{name[:55]}_new"
    return [
        *add_key_fixes(ctx, table, temporary, column, wanted),
        f"ALTER TABLE {table} DROP CONSTRAINT {ctx.quote(name)};",
        f"ALTER TABLE {table} RENAME CONSTRAINT {ctx.quote(temporary)} TO {ctx.quote(name)};",
    ]


def differences(ctx, key, wanted, source):
    """What is wrong with one key, each as a sentence."""
    found = []
    if not references_user(ctx, key):
        found.append(f'references {key.target}({key.target_column}), not "user"(user_id)')
    if key.on_delete != wanted.on_delete:
        found.append(
            f"is ON DELETE {rule_name(key.on_delete)}; the rule {source} was {rule_name(wanted.on_delete)}"
        )
    if key.on_update != wanted.on_update:
        found.append(
            f"is ON UPDATE {rule_name(key.on_update)}; the rule {source} was {rule_name(wanted.on_update)}"
        )
    if deferral(key.deferrable, key.deferred) != deferral(wanted.deferrable, wanted.deferred):
        found.append(
            f"is {deferral(key.deferrable, key.deferred)}; "
            f"{source} it was {deferral(wanted.deferrable, wanted.deferred)}"
        )
    return found


def references_user(ctx, key):
    return key.target == ctx.quote(ctx.user_table) and key.target_column == "user_id"


def keep_one(keys, wanted_name, matches):
    """Of several keys on one column, the one to keep: a right one, preferably under the rename's name."""
    return sorted(keys, key=lambda key: (not matches(key), key.name != wanted_name, key.name))[0]


def check_column(ctx, expected, problems, fixes, details):
    where = expected.where
    if not ctx.column_exists(expected.table, expected.column):
        problems.append(f"column {where} is missing")
        return
    table = ctx.quote(expected.table)
    wanted, source = ctx.expected_key(expected)
    canonical = canonical_key_name(expected.table, expected.column)
    keys = [Key(*row) for row in ctx.rows(KEYS_ON_COLUMN, [table, expected.column])]
    if not keys:
        problems.append(f"column {where} has no foreign key")
        fixes.extend(add_key_fixes(ctx, table, canonical, expected.column, wanted))
        return

    def matches(key):
        return not differences(ctx, key, wanted, source)

    kept = keep_one(keys, canonical, matches)
    if len(keys) > 1:
        problems.append(f"column {where} has {len(keys)} foreign keys: {', '.join(k.name for k in keys)}")
        fixes.extend(
            f"ALTER TABLE {table} DROP CONSTRAINT {ctx.quote(k.name)};" for k in keys if k is not kept
        )
    for key in keys:
        found = differences(ctx, key, wanted, source)
        problems.extend(f"{key.name} on {where} {difference}" for difference in found)
        # The kept key is repaired: replaced when its target or rules are wrong (a new key, validated,
        # so its NOT VALID state and its triggers go with the old one), altered when only deferrability is.
        replaced = key is kept and (
            not references_user(ctx, key)
            or (key.on_delete, key.on_update) != (wanted.on_delete, wanted.on_update)
        )
        if replaced:
            fixes.extend(replace_key_fixes(ctx, table, key.name, expected.column, wanted))
        elif key is kept and found:
            fixes.append(
                f"ALTER TABLE {table} ALTER CONSTRAINT {ctx.quote(key.name)} "
                f"{deferral(wanted.deferrable, wanted.deferred)};"
            )
        if not key.validated:
            problems.append(f"{key.name} on {where} is NOT VALID: existing rows were never checked")
            if key is kept and not replaced:
                fixes.append(f"ALTER TABLE {table} VALIDATE CONSTRAINT {ctx.quote(key.name)};")
        for relation, trigger, state in ctx.rows(SILENT_TRIGGERS, [key.oid]):
            problems.append(
                f"{key.name} on {where} is not enforced: its trigger {trigger} on {relation} is "
                f"{TRIGGER_STATES.get(state, state)}, so rows whose user does not exist can go in "
                "(the orphans check looks for those already in)"
            )
            if key is kept and not replaced:
                fixes.append(f"as a superuser: ALTER TABLE {relation} ENABLE TRIGGER {ctx.quote(trigger)};")
    details.append(
        f"{where}: {', '.join(k.name for k in keys)} ON UPDATE {rule_name(kept.on_update)} "
        f"ON DELETE {rule_name(kept.on_delete)} {deferral(kept.deferrable, kept.deferred)}"
    )


@check("R030", "foreign_keys", "one FK per column, defined as before the rename, enforced")
def check_foreign_keys(ctx):
    problems, fixes, details = [], [], []
    expected_keys = expected_foreign_keys()
    for expected in expected_keys:
        check_column(ctx, expected, problems, fixes, details)
    if problems:
        return failed(f"{len(problems)} foreign-key problem(s)", problems + details, fixes)
    return passed(
        f"{len(expected_keys)} columns, one valid foreign key each, enforced, as defined before the rename",
        details,
    )
