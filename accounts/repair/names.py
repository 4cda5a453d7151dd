"""Names and comments, as the rename gives them: catalog only, one short transaction per table.

The rename (``accounts/migrations/0003_*.forward.sql``) renames each referencing
column (``prosumer`` becomes ``user``), gives the primary key of the user table the
name ``user_pkey``, and replaces prosumer by user in every other constraint,
index, trigger and sequence name and in the column names indexes keep. The
repair does the same for whatever a rename by other means left behind, and sets
the comments the models declare.
"""

import re

from accounts import catalog
from accounts.repair import expected
from accounts.repair.sql import renamed

PROSUMER = re.compile("prosumer", re.IGNORECASE)
USER_PKEY = "user_pkey"


def check_columns(planner):
    """Forgotten key columns are renamed; a column missing under both names, or present under both, blocks."""
    state, render = planner.state, planner.render
    for column in planner.columns:
        if column.table not in state.tables:
            planner.block(
                "missing_table",
                column.table,
                f"table {column.table} is missing: this is not the EnerLink database the models describe",
            )
            continue
        new, old = (
            state.has_column(column.table, column.column),
            state.has_column(column.table, column.legacy),
        )
        if new and old:
            planner.block(
                "both_columns",
                column.where,
                f"table {column.table} has both columns {column.legacy} and {column.column}: it looks half "
                "renamed by hand; drop the stray one (after checking it holds nothing), then run it again",
            )
        elif not new and not old:
            planner.block(
                "missing_column",
                column.where,
                f"column {column.where} is missing (nor is there {column.legacy}): this is not the EnerLink "
                "database the models describe",
            )
        elif old:
            finding = planner.find(
                "column",
                column.where,
                f"column {column.table}.{column.legacy} was not renamed (the guide's script forgets it)",
            )
            planner.rename_on_table(
                column.table,
                render.rename_column(column.table, column.legacy, column.column),
                render.rename_column(column.table, column.column, column.legacy).sql,
                finding,
            )


def plan_names(planner):
    state, render, user = planner.state, planner.render, planner.user
    if state.user.key != "user_id":
        finding = planner.find(
            "column", f"{user}.{state.user.key}", f'column "user".{state.user.key} was not renamed'
        )
        planner.rename_on_table(
            user,
            render.rename_column(user, state.user.key, "user_id"),
            render.rename_column(user, "user_id", state.user.key).sql,
            finding,
        )
    key_oids = {key.oid for key in state.keys}
    renames = {}  # table -> [(constraint, new name)]
    for constraint in state.constraints:
        if constraint.oid in key_oids:
            continue  # keys to the user: keys.py names them
        if constraint.table == user and constraint.kind == "p":
            new = USER_PKEY
        elif PROSUMER.search(constraint.name):
            new = renamed(constraint.name)
        else:
            continue
        if new == constraint.name:
            continue
        if new in state.constraint_names(constraint.table) or (
            constraint.kind in "pux" and new in planner.names_in_use
        ):
            planner.plan.left.append(
                f"constraint {constraint.name} on {constraint.table}: {new} is taken, left as is"
            )
            continue
        renames.setdefault(constraint.table, []).append((constraint, new))
    for table, found in renames.items():
        listed = ", ".join(f"{constraint.name} (to {new})" for constraint, new in found)
        finding = planner.find(
            "constraint_name", table, f"constraint(s) on {table} not named as the rename names them: {listed}"
        )
        for constraint, new in found:
            indexed = constraint.kind in "pux"  # its index takes the new name too
            planner.rename_on_table(
                table,
                render.rename_constraint(table, constraint.name, new, indexed),
                render.rename_constraint(table, new, constraint.name).sql,
                finding,
            )
            if indexed:
                planner.names_in_use.discard(constraint.name)
                planner.names_in_use.add(new)
    for trigger in state.triggers:
        new = renamed(trigger.name)
        finding = planner.find(
            "trigger_name", trigger.name, f"trigger {trigger.name} on {trigger.table} is still named prosumer"
        )
        planner.rename_on_table(
            trigger.table,
            render.rename_trigger(trigger.table, trigger.name, new),
            render.rename_trigger(trigger.table, new, trigger.name).sql,
            finding,
        )
    statements, undo, findings = [], [], []
    for sequence in state.sequences:
        new = renamed(sequence)
        if new in planner.names_in_use:
            planner.plan.left.append(f"sequence {sequence}: {new} is taken, left as is")
            continue
        findings.append(
            planner.find("sequence_name", sequence, f"sequence {sequence} is still named prosumer")
        )
        statements.append(render.rename_sequence(sequence, new))
        undo.insert(0, render.rename_sequence(new, sequence).sql)
    if statements:
        planner.add_step(
            "names", "sequence names: catalog only", statements, findings, undo, object_type="sequence"
        )


def plan_comments(planner):
    state, render = planner.state, planner.render
    statements, undo, places = [], [], []
    for (table, column), comment in sorted(
        expected.comments().items(), key=lambda item: (item[0][0], item[0][1] or "")
    ):
        if table not in state.tables:
            continue
        if column is None:
            current = state.tables[table].comment
            statements.append(render.comment_on_table(table, comment))
            undo.insert(0, render.comment_on_table(table, current).sql)
            where = f"table {table}"
        else:
            now = column if state.has_column(table, column) else catalog.legacy_column(column)
            if not state.has_column(table, now):
                continue
            current = state.column_comments.get((table, now))
            statements.append(render.comment_on_column(table, column, comment))
            undo.insert(0, render.comment_on_column(table, column, current).sql)
            where = f"{table}.{column}"
        if current == comment:
            statements.pop()
            undo.pop(0)
        else:
            places.append(where)
    if statements:
        finding = planner.find(
            "comments", "comments", f"{len(places)} comment(s) missing or different: {', '.join(places)}"
        )
        planner.add_step(
            "comments", "comments the models declare", statements, [finding], undo, object_type="comment"
        )


def note_left(planner):
    """What the repair leaves to people: the report lists these too."""
    state = planner.state
    known = {(column.table, column.column) for column in planner.columns} | {
        (column.table, column.legacy) for column in planner.columns
    }
    for key in state.keys:
        if (key.table_name, key.column) not in known:
            planner.plan.left.append(
                f"key {key.name} on {key.table_name}.{key.column} references "
                '"user" but no model knows that column'
            )
    for table in planner.tables:
        for column in sorted(state.columns.get(table, ())):
            if PROSUMER.search(column) and (table, column) not in known and column != state.user.key:
                planner.plan.left.append(f"column {table}.{column} is named prosumer but references no user")
    planner.plan.left += [
        f"{item} names prosumer in its name or text: review it" for item in state.code_with_prosumer
    ]
