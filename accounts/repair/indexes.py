"""Indexes: INVALID ones rebuilt, the guide's duplicates dropped, the rest named as the rename names them.

Every build and every drop is CONCURRENTLY, outside any transaction, so reads
and writes go on meanwhile; a build that fails (a lock wait that ran out, the
process killed) leaves an INVALID index, which the next attempt drops first.
The guide builds its indexes under its own name even where the legacy copy
already had one on the column: those duplicates (same columns, same definition)
are dropped and the older index keeps the job, named as the rename would have
named it. An index remembers the column names it was built with, so one whose
own column still says ``prosumer_id`` predates the rename.
"""

import re

from accounts.repair import expected
from accounts.repair.sql import concurrent_index_sql, renamed

PROSUMER = re.compile("prosumer", re.IGNORECASE)


def built_before_the_rename(index):
    return any(PROSUMER.search(name) for name in index.attnames)


def plan_indexes(planner):
    state = planner.state
    models = expected.model_indexes()
    model_names = {(model.table, model.name) for model in models}
    key_columns = {}
    for column in planner.columns:
        current = planner.current_column(column)
        if current is not None:
            key_columns.setdefault(column.table, {})[current] = column
    for table in planner.tables:
        on_table = state.indexes_on(table)
        to_build = plan_invalid(planner, table, on_table, model_names)
        duplicates, model_name_for = plan_duplicates(
            planner, table, on_table, key_columns.get(table, {}), model_names
        )
        remaining = [
            index for index in on_table if index.name not in to_build and index.name not in duplicates
        ]
        present = plan_index_names(planner, table, remaining, key_columns.get(table, {}), model_name_for)
        for model in models:
            if model.table == table and model.name not in present:
                plan_build(planner, model, to_build.get(model.name))


def plan_invalid(planner, table, on_table, model_names):
    """Drop every INVALID index; rebuild at once those the models do not name (the build phase does theirs).

    Returns the INVALID indexes the models name, each with its finding: they are built later.
    """
    render, quote = planner.render, planner.quote
    to_build = {}
    for index in on_table:
        if index.valid or index.constraint:
            continue
        finding = planner.find(
            "invalid_index",
            index.name,
            f"index {index.name} on {table} is INVALID (a failed concurrent build): dropped and built again",
        )
        planner.add_step(
            "drop_indexes",
            f"drop the INVALID index {quote(index.name)} on {quote(table)}, concurrently",
            [render.drop_index_concurrently(table, index.name)],
            [finding],
            [],  # an INVALID index is of no use to anyone: nothing to restore
            object_type="index",
            table=table,
            old_name=index.name,
        )
        if (table, index.name) not in model_names:
            sql = concurrent_index_sql(index.definition)
            planner.add_step(
                "drop_indexes",
                f"build {quote(index.name)} on {quote(table)} again, concurrently",
                [render.create_index_concurrently(table, sql)],
                [finding],
                [render.drop_index_concurrently(table, index.name).sql],
                object_type="index",
                table=table,
                new_name=index.name,
                retry_cleanup=[render.drop_index_concurrently(table, index.name).sql],
            )
        else:
            to_build[index.name] = finding
            planner.names_in_use.discard(index.name)
    return to_build


def plan_duplicates(planner, table, on_table, key_columns, model_names):
    """Drop all but one index of each set of identical indexes on a key column; return the dropped names."""
    render, quote = planner.render, planner.quote
    groups = {}
    for index in on_table:
        if index.valid and not index.constraint and index.leading in key_columns:
            groups.setdefault(index.signature, []).append(index)
    dropped, model_name_for = set(), {}
    for group in groups.values():
        if len(group) < 2:
            continue
        keep = min(
            group,
            key=lambda index: (
                not built_before_the_rename(index),
                (table, index.name) in model_names,
                index.oid,
            ),
        )
        for index in group:
            if index is keep:
                continue
            origin = "the guide's script built it" if (table, index.name) in model_names else "it was built"
            finding = planner.find(
                "duplicate_index",
                index.name,
                f"index {index.name} on {table} duplicates {keep.name} (same columns and definition): "
                f"{origin} beside the existing one",
            )
            planner.add_step(
                "drop_indexes",
                f"drop the duplicate index {quote(index.name)} on {quote(table)}, concurrently",
                [render.drop_index_concurrently(table, index.name)],
                [finding],
                [concurrent_index_sql(index.definition)],
                object_type="index",
                table=table,
                old_name=index.name,
            )
            dropped.add(index.name)
            planner.names_in_use.discard(index.name)
            if (table, index.name) in model_names and (table, keep.name) not in model_names:
                model_name_for[keep.name] = index.name
    return dropped, model_name_for


def plan_index_names(planner, table, remaining, key_columns, model_name_for):
    """Index column names and index names, into the table's names step; return the index names it leaves."""
    render = planner.render
    column_finding = None
    for index in sorted(remaining, key=lambda index: index.name):
        for attname in index.attnames:
            if PROSUMER.search(attname):
                if column_finding is None:
                    stale = [f"{i.name}.{a}" for i in remaining for a in i.attnames if PROSUMER.search(a)]
                    column_finding = planner.find(
                        "index_column",
                        table,
                        f"index columns on {table} still say prosumer: {', '.join(stale)}",
                    )
                new = renamed(attname)
                planner.rename_on_table(
                    table,
                    render.rename_index_column(index.name, attname, new, table),
                    render.rename_index_column(index.name, new, attname, table).sql,
                    column_finding,
                )
    names = {index.name for index in remaining}
    handled = set()

    def rename(index, new, text):
        finding = planner.find("index_name", index.name, text)
        planner.rename_on_table(
            table, render.rename_index(index.name, new), render.rename_index(new, index.name).sql, finding
        )
        planner.names_in_use.discard(index.name)
        planner.names_in_use.add(new)
        names.discard(index.name)
        names.add(new)
        handled.add(index.name)

    for current, column in sorted(key_columns.items()):
        plain = sorted(
            (i for i in remaining if i.plain and i.valid and not i.constraint and i.leading == current),
            key=lambda index: index.name,
        )
        for index in plain:
            if index.name == column.index_name:
                handled.add(index.name)
                continue
            if column.index_name not in planner.names_in_use:
                rename(
                    index,
                    column.index_name,
                    f"index {index.name} on {column.where} is not named {column.index_name}, "
                    "as the rename names it",
                )
            elif PROSUMER.search(index.name):
                rename(index, renamed(index.name), f"index {index.name} on {table} is still named prosumer")
    for index in remaining:
        if index.name in handled or index.constraint:
            continue
        wanted = model_name_for.get(index.name)
        if wanted and wanted not in planner.names_in_use:
            rename(index, wanted, f"index {index.name} on {table} takes the name {wanted} the models give it")
        elif PROSUMER.search(index.name) and renamed(index.name) not in planner.names_in_use:
            rename(index, renamed(index.name), f"index {index.name} on {table} is still named prosumer")
    return names


def plan_build(planner, model, finding=None):
    render, quote = planner.render, planner.quote
    if finding is None:
        finding = planner.find("missing_index", model.name, f"index {model.name} on {model.table} is missing")
    drop = render.drop_index_concurrently(model.table, model.name).sql
    planner.add_step(
        "build_indexes",
        f"build {quote(model.name)} on {quote(model.table)}, concurrently: reads and writes go on",
        [render.create_index_concurrently(model.table, model.create_sql(planner.schema_editor))],
        [finding],
        [drop],
        object_type="index",
        table=model.table,
        new_name=model.name,
        retry_cleanup=[drop],
    )
    planner.names_in_use.add(model.name)
