"""Foreign keys to the user: one per column, with the right rule, validated, named as the rename names it.

The right rule is the legacy database's. Where the legacy key survived (the
guide's ``DROP CONSTRAINT IF EXISTS`` guessed a name that a hash-named copy does
not have, so it added a second key beside it), that key's rule is the legacy
rule. Where the guide's guess matched and it replaced the key, the legacy rule is
gone from the database and the models' rule stands in for it (PROTECT: NO ACTION,
and CASCADE for the token blacklist, the legacy rules). Once chosen, the rule is
recorded in the journal before anything changes, so a repair that is interrupted
and run again keeps to it.

A key that must change is never dropped first: the right one is added NOT VALID
(a catalog change under a brief lock), validated in a transaction of its own
(which blocks no read or write), and only then are the wrong ones dropped.
"""

import json

from accounts.facts import JOURNAL_TABLE, truncate
from accounts.repair.sql import Rule, literal

GUIDE = "added by the guide's script"
DJANGO = "added by Django's migrations"


def made_by(key, column):
    """Who added ``key`` beside or instead of the legacy one, or None for a key that looks original.

    The guide names its keys ``<table>_<column>_fkey`` and makes them ON DELETE CASCADE;
    Django's stock rename names them ``..._fk_<table>_<column>`` and makes them DEFERRABLE
    INITIALLY DEFERRED. A key with another name or shape is taken for the legacy one.
    """
    if key.name == column.key_name and key.on_delete == "c" and not key.deferrable:
        return GUIDE
    if "_fk_" in key.name and key.deferrable and key.deferred:
        return DJANGO
    return None


def describe_key(key, column):
    origin = made_by(key, column) or "the legacy key"
    validity = "" if key.validated else ", NOT VALID"
    return f"{key.name} ({Rule.of(key).describe()}{validity}, {origin})"


def choose_rule(planner, column, found):
    """(rule, why) for ``column``, or (None, why) when nothing says which rule is right."""
    recorded = planner.state.recorded_rules.get((column.table, column.column))
    if recorded:
        source = recorded.get("source", "rename")
        return Rule.from_record(recorded), f"the rule the {source} recorded in the journal"
    originals = [key for key in found if made_by(key, column) is None]
    rules = {Rule.of(key) for key in originals}
    if len(rules) == 1:
        return rules.pop(), f"the rule of the legacy key {originals[0].name}"
    if rules:
        modelled = [rule for rule in rules if rule.on_delete == column.model_rule]
        if len(modelled) == 1:
            return modelled[0], "the models' rule (the legacy-looking keys disagree)"
        return None, "keys " + ", ".join(describe_key(key, column) for key in originals) + " disagree"
    replaced = [key for key in found if made_by(key, column)]
    if replaced:
        why = f"the models' rule: the legacy key was replaced by {', '.join(k.name for k in replaced)}"
    else:
        why = "the models' rule: the column has no key"
    return Rule(column.model_rule), why


def plan_snapshot_and_keys(planner):
    decisions = []
    for column in planner.columns:
        current = planner.current_column(column)
        if current is None:
            continue
        found = planner.state.keys_on(column.table, current)
        rule, why = choose_rule(planner, column, found)
        if rule is None:
            planner.block(
                "ambiguous_rule",
                column.where,
                f"{column.where}: {why}, and none has the models' rule: drop the wrong one by hand",
            )
            continue
        if (column.table, column.column) not in planner.state.recorded_rules:
            decisions.append((column, current, rule, why, found))
        plan_column(planner, column, found, rule, why)
    plan_snapshot(planner, decisions)


def plan_column(planner, column, found, rule, why):
    render, state = planner.render, planner.state
    good = [key for key in found if Rule.of(key) == rule]
    keep = min(
        good,
        key=lambda key: (
            not key.validated,
            made_by(key, column) is not None,
            key.name != column.key_name,
            key.oid,
        ),
        default=None,
    )
    others = [key for key in found if key is not keep]
    problems = []
    if len(found) > 1:
        problems.append(f"{len(found)} foreign keys: " + ", ".join(describe_key(k, column) for k in found))
    elif not found:
        problems.append('no foreign key to "user"')
    elif keep is None:
        problems.append(f"key {describe_key(found[0], column)}")
    if keep is not None and not keep.validated:
        problems.append(f"{keep.name} is NOT VALID: existing rows were never checked")
    if keep is not None and not others and keep.name != column.key_name:
        problems.append(f"key {keep.name} is not named {column.key_name}")
    if not problems:
        return
    right = f"; the right rule is {rule.describe()}: {why}" if keep is None or others else ""
    finding = planner.find("foreign_key", column.where, f"{column.where}: {'; '.join(problems)}{right}")
    table, user_key = column.table, "user_id"

    if keep is None:
        taken = state.constraint_names(table)
        name = column.key_name if column.key_name not in taken else truncate(column.key_name[:56] + "_repair")
        planner.add_step(
            "keys",
            f"add the right key to {column.where} NOT VALID: catalog only",
            [
                render.lock_table(table, "SHARE ROW EXCLUSIVE"),
                render.lock_table(planner.user, "SHARE ROW EXCLUSIVE"),
                render.add_foreign_key(table, name, column.column, user_key, rule),
            ],
            [finding],
            [render.drop_foreign_key(table, name).sql],
            object_type="constraint",
            table=table,
            new_name=name,
        )
        keep_name, keep_validated = name, False
    else:
        keep_name, keep_validated = keep.name, keep.validated
        if not others and keep_name != column.key_name:
            # Alone on its column: it takes its name with the table's other names, before any key step.
            planner.rename_on_table(
                table,
                render.rename_constraint(table, keep_name, column.key_name),
                render.rename_constraint(table, column.key_name, keep_name).sql,
                finding,
            )
            keep_name = column.key_name
    if not keep_validated:
        planner.add_step(
            "keys",
            f"validate {keep_name} on {column.where}: reads and writes go on",
            [render.validate_constraint(table, keep_name)],
            [finding],
            [],
            object_type="constraint",
            table=table,
            old_name=keep_name,
            new_name=keep_name,
        )
    if not others:
        return
    statements = [
        render.lock_table(table, "ACCESS EXCLUSIVE"),
        render.lock_table(planner.user, "ACCESS EXCLUSIVE"),
    ]
    undo = []
    for key in others:
        statements.append(render.drop_foreign_key(table, key.name))
        undo.append(render.add_foreign_key(table, key.name, column.column, user_key, Rule.of(key)).sql)
        if key.validated:
            undo.append(render.validate_constraint(table, key.name).sql)
    if keep_name != column.key_name:
        statements.append(render.rename_constraint(table, keep_name, column.key_name))
        undo.insert(0, render.rename_constraint(table, column.key_name, keep_name).sql)
    dropped = ", ".join(f"{key.name} ({Rule.of(key).describe()})" for key in others)
    renaming = f"; {keep_name} takes the name {column.key_name}" if keep_name != column.key_name else ""
    planner.add_step(
        "keys",
        f"drop {dropped} on {column.where}{renaming}: catalog only",
        statements,
        [finding],
        undo,
        object_type="constraint",
        table=table,
        old_name=", ".join(key.name for key in others),
        new_name=column.key_name,
    )


def plan_snapshot(planner, decisions):
    """Each table's identity and each key's rule, recorded before the first change."""
    state, render = planner.state, planner.render
    rows = []
    if not state.identities_recorded:
        for name in planner.tables:
            table = state.tables[name]
            details = {
                "oid": table.oid,
                "relfilenode": table.relfilenode,
                "reltuples": table.reltuples,
                "relpages": table.relpages,
                "source": "repair",
            }
            rows.append(("table_identity", "table", planner.quote(name), name, name, details))
    for column, current, rule, why, found in decisions:
        kept = [key.name for key in found if Rule.of(key) == rule]
        details = {
            "column": current,
            "new_column": column.column,
            **rule.as_record(),
            "basis": why,
            "keys_found": [key.name for key in found],
            "source": "repair",
        }
        rows.append(
            ("foreign_key", "constraint", column.table, kept[0] if kept else "", column.key_name, details)
        )
    if not rows:
        return
    values = ",\n  ".join(
        f"(0, {literal(kind)}, {literal(object_type)}, {literal(table)}, {literal(old)}, {literal(new)}, "
        f"{literal(json.dumps(details, sort_keys=True))})"
        for kind, object_type, table, old, new, details in rows
    )
    statement = render.bookkeeping(
        f"INSERT INTO {JOURNAL_TABLE} (step, kind, object_type, table_name, old_name, new_name, details) "
        f"VALUES\n  {values}",
        JOURNAL_TABLE,
    )
    missing = []
    if not state.identities_recorded:
        missing.append("the tables' identities")
    if decisions:
        missing.append(f"the rule of {len(decisions)} key column(s)")
    finding = planner.find(
        "snapshot",
        JOURNAL_TABLE,
        f"the journal does not record {' nor '.join(missing)} (a rename by other means records nothing)",
    )
    planner.add_step(
        "snapshot",
        "record each table's identity and each key's rule, before any change",
        [statement],
        [finding],
        [
            f"DELETE FROM {JOURNAL_TABLE} WHERE kind IN ('table_identity', 'foreign_key') "
            "AND details->>'source' = 'repair'"
        ],
        object_type="snapshot",
    )
