"""One validated foreign key per column, to "user"(user_id), with the ON DELETE rule it had before."""

from accounts.verification.expectations import RULE_NAMES, expected_foreign_keys
from accounts.verification.registry import check
from accounts.verification.results import failed, passed

KEYS_ON_COLUMN = """
SELECT c.conname, c.confrelid::regclass::text, fa.attname, c.confdeltype, c.convalidated
  FROM pg_constraint c
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
  LEFT JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
 WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s) AND a.attname = %s
   AND cardinality(c.conkey) = 1
 ORDER BY 1
"""

KEYS_TO_USER = """
SELECT c.conrelid::regclass::text || '.' || a.attname, c.conname
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = to_regclass(%s)
"""


def rule_name(code):
    return RULE_NAMES.get(code, code)


@check("foreign_keys", "one FK per column, same ON DELETE rule")
def check_foreign_keys(ctx):
    problems, details = [], []
    user_regclass = ctx.quote(ctx.user_table)
    expected_keys = expected_foreign_keys()
    for expected in expected_keys:
        where = expected.where
        if not ctx.column_exists(expected.table, expected.column):
            problems.append(f"column {where} is missing")
            continue
        keys = ctx.rows(KEYS_ON_COLUMN, [ctx.quote(expected.table), expected.column])
        if not keys:
            problems.append(f"column {where} has no foreign key")
            continue
        if len(keys) > 1:
            problems.append(f"column {where} has {len(keys)} foreign keys: {', '.join(k[0] for k in keys)}")
        recorded = (expected.table, expected.column) in ctx.recorded_rules
        wanted_rule = ctx.recorded_rules.get((expected.table, expected.column), expected.model_rule)
        source = "recorded before the rename" if recorded else "of the legacy schema"
        for name, target, target_column, rule, validated in keys:
            if target != user_regclass or target_column != "user_id":
                problems.append(
                    f'{name} on {where} references {target}({target_column}), not "user"(user_id)'
                )
            if rule != wanted_rule:
                problems.append(
                    f"{name} on {where} is ON DELETE {rule_name(rule)}; the rule {source} "
                    f"was {rule_name(wanted_rule)}"
                )
            if not validated:
                problems.append(f"{name} on {where} is NOT VALID: existing rows were never checked")
        details.append(f"{where}: {', '.join(k[0] for k in keys)} ON DELETE {rule_name(keys[0][3])}")
    known = {key.where for key in expected_keys}
    for column, name in ctx.rows(KEYS_TO_USER, [user_regclass]):
        if column.replace('"', "") not in known:
            problems.append(f'{name} on {column} references "user" but no model knows that column')
    if problems:
        return failed(f"{len(problems)} foreign-key problem(s)", problems + details)
    return passed(f"{len(known)} columns, one valid foreign key each, rules as before the rename", details)
