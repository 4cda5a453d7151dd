"""Generated legacy schemas (hypothesis): the rename, its report and its reverse on schemas no one wrote.

Production copies grow tables of their own that reference prosumer: other ORMs' names (TypeORM hashes,
Django's, PostgreSQL's defaults, quoted camelCase), every ON DELETE / ON UPDATE rule, deferrable and
NOT VALID keys, one- and multi-column indexes or none, unique keys, columns called prosumer_id or
<prefix>_prosumer_id, views, functions (plain and BEGIN ATOMIC) and triggers over them. For each
generated schema, on top of the production-style fixture:

* ``manage.py migrate`` renames every such key and column and keeps each key's rule, deferrability
  and validated state;
* ``verify_user_migration`` passes, or fails only on what the generated schema itself brings (every
  failing check names a generated object, and each generated key is named);
* ``manage.py migrate accounts 0002`` restores the catalog exactly (``pg_dump --schema-only`` equal)
  and no row changed.

CI runs a few examples per server (ENERLINK_GENERATED_SCHEMAS, default 4, without shrinking); a larger
run is documented in docs/reliability.md.
"""

import json
import os

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from enerlink.devtools import scratch
from tests.test_rename import REFERENCING_COLUMNS, user_foreign_keys

EXAMPLES = int(os.environ.get("ENERLINK_GENERATED_SCHEMAS", "4"))
WORDS = ["referral", "bonus", "badge", "invoice", "payout", "device", "consent", "review", "audit", "quota"]
APPS = ["billing", "rewards", "crm", "support", "metering"]
PREFIXES = ["buyer", "seller", "owner", "referrer", "created_by", "approved_by"]
USERS = ["p-alice", "p-bob"]
ON_DELETE = ["NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"]
ON_UPDATE = ["NO ACTION", "RESTRICT", "CASCADE"]
DEFERRABLE = ["", "DEFERRABLE INITIALLY IMMEDIATE", "DEFERRABLE INITIALLY DEFERRED"]
RULE_CODES = {"NO ACTION": "a", "RESTRICT": "r", "CASCADE": "c", "SET NULL": "n", "SET DEFAULT": "d"}


def ident(name):
    return '"' + name.replace('"', '""') + '"'


def hexes(draw, length):
    return draw(st.text(alphabet="0123456789abcdef", min_size=length, max_size=length))


@st.composite
def table_names(draw):
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True))
    if draw(st.booleans()) and draw(st.booleans()):
        words = ["prosumer", *words]  # a table of its own named after prosumer: the rename keeps its name
    style = draw(st.sampled_from(["snake", "django", "camel"]))
    if style == "django":
        return f"{draw(st.sampled_from(APPS))}_{''.join(words)}"
    if style == "camel":
        return "".join(word.title() for word in words)
    return "_".join(words)


@st.composite
def foreign_keys(draw, table, column):
    nullable = draw(st.booleans())
    rules = ON_DELETE if nullable else ON_DELETE[:3]
    style = draw(st.sampled_from(["typeorm", "django", "default", "hand"]))
    name = {
        "typeorm": f"FK_{hexes(draw, 27)}",
        "django": f"{table}_{column}_{hexes(draw, 8)}_fk_prosumer_prosumer_id"[:63],
        "default": None,
        "hand": f"fk_{table}_{column}"[:63],
    }[style]
    return {
        "column": column,
        "type": draw(st.sampled_from(["varchar", "varchar(255)", "text"])),
        "nullable": nullable,
        "name": name,
        "on_delete": draw(st.sampled_from(rules)),
        "on_update": draw(st.sampled_from(ON_UPDATE)),
        "deferrable": draw(st.sampled_from(DEFERRABLE)),
        "not_valid": draw(st.booleans()),
        "index": draw(
            st.sampled_from(["none", "typeorm", "hand", "django", "multi_first", "multi_last", "unique"])
        ),
        "index_hash": hexes(draw, 26),
    }


@st.composite
def extra_tables(draw):
    table = draw(table_names())
    prefixes = draw(st.lists(st.sampled_from(PREFIXES), min_size=0, max_size=2, unique=True))
    columns = ([] if prefixes and draw(st.booleans()) else ["prosumer_id"]) + [
        f"{p}_prosumer_id" for p in prefixes
    ]
    return {
        "name": table,
        "primary_key": draw(st.sampled_from(["serial", "identity", "varchar"])),
        "keys": [draw(foreign_keys(table, column)) for column in columns],
        "copy_column": draw(st.booleans()) and draw(st.booleans()),  # legacy_prosumer_id, no key: left as is
        "rows": draw(st.integers(min_value=0, max_value=3)),
        "view": draw(st.sampled_from(["none", "per_key", "join_prosumer"])),
        "function": draw(st.sampled_from(["none", "sql", "atomic"])),
        "function_named_prosumer": draw(st.booleans()),
        "trigger": draw(st.booleans()),
        "comment": draw(st.booleans()),
        "seed": draw(st.integers(min_value=0, max_value=2**16)),
    }


def unique_names(tables):
    """Give each table a distinct name, and each hash-named object a distinct hash (hypothesis repeats)."""
    seen = set()
    for position, table in enumerate(tables):
        name, n = table["name"], 2
        while name.lower() in seen:
            name, n = f"{table['name']}{n}", n + 1
        seen.add(name.lower())
        table["name"] = name
        for number, key in enumerate(table["keys"]):
            tag = f"{position}{number}"
            key["index_hash"] = key["index_hash"][: -len(tag)] + tag
            if key["name"] and key["name"].startswith("FK_"):
                key["name"] = key["name"][: -len(tag)] + tag
    return tables


def table_ddl(table):
    """The DDL and the rows of one generated table, as the owner role runs them."""
    name, q = table["name"], ident(table["name"])
    pk = {
        "serial": "id serial PRIMARY KEY",
        "identity": "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "varchar": "id varchar PRIMARY KEY",
    }[table["primary_key"]]
    columns = [
        pk,
        "created_at timestamp NOT NULL DEFAULT now()",
        "updated_at timestamp NOT NULL DEFAULT now()",
    ]
    for key in table["keys"]:
        columns.append(f"{ident(key['column'])} {key['type']}{'' if key['nullable'] else ' NOT NULL'}")
    if table["copy_column"]:
        columns.append("legacy_prosumer_id varchar")
    statements = [f"CREATE TABLE {q} ({', '.join(columns)})"]
    for key in table["keys"]:
        column = ident(key["column"])
        constraint = f"CONSTRAINT {ident(key['name'])} " if key["name"] else ""
        definition = (
            f"{constraint}FOREIGN KEY ({column}) REFERENCES prosumer (prosumer_id) "
            f"ON DELETE {key['on_delete']} ON UPDATE {key['on_update']} {key['deferrable']}"
        )
        statements.append(f"ALTER TABLE {q} ADD {definition}{' NOT VALID' if key['not_valid'] else ''}")
        index = key["index"]
        if index == "unique":
            statements.append(
                f"ALTER TABLE {q} ADD CONSTRAINT {ident('REL_' + key['index_hash'][-23:])} UNIQUE ({column})"
            )
        elif index != "none":
            index_name = {
                "typeorm": f"IDX_{key['index_hash']}",
                "hand": f"idx_{name}_{key['column']}"[:63],
                "django": f"{name}_{key['column']}_{key['index_hash'][:8]}"[:63],
                "multi_first": f"idx_{name}_{key['column']}_created"[:63],
                "multi_last": f"IDX_{key['index_hash']}_c"[:63],
            }[index]
            indexed = {"multi_first": f"{column}, created_at", "multi_last": f"created_at, {column}"}.get(
                index, column
            )
            statements.append(f"CREATE INDEX {ident(index_name)} ON {q} ({indexed})")
    unique = any(key["index"] == "unique" for key in table["keys"])
    for n in range(min(table["rows"], len(USERS)) if unique else table["rows"]):
        values = {}
        for k, key in enumerate(table["keys"]):
            choices = USERS + [None] * key["nullable"]
            values[key["column"]] = (
                USERS[n] if key["index"] == "unique" else choices[(table["seed"] + n + k) % len(choices)]
            )
        row_columns = [*values] + (["id"] if table["primary_key"] == "varchar" else [])
        row_values = [*values.values()] + ([f"{name}-{n}"] if table["primary_key"] == "varchar" else [])
        literal = ", ".join("NULL" if v is None else "'" + v + "'" for v in row_values)
        statements.append(
            f"INSERT INTO {q} ({', '.join(ident(c) for c in row_columns)}) VALUES ({literal})"
            if row_columns
            else f"INSERT INTO {q} DEFAULT VALUES"
        )
    first = table["keys"][0]["column"] if table["keys"] else None
    if first and table["view"] == "per_key":
        statements.append(
            f"CREATE VIEW {ident(name + '_per_key')} AS SELECT {ident(first)}, count(*) AS n FROM {q} "
            f"GROUP BY {ident(first)}"
        )
    elif first and table["view"] == "join_prosumer":
        statements.append(
            f"CREATE VIEW {ident('prosumer_' + name)} AS SELECT p.email, t.created_at FROM {q} t "
            f"JOIN prosumer p ON p.prosumer_id = t.{ident(first)}"
        )
    if first and table["function"] != "none":
        function = ident(("prosumer_" if table["function_named_prosumer"] else "") + f"count_{name}")
        query = f"SELECT count(*) FROM {q} WHERE {ident(first)} = $1"
        if table["function"] == "sql":
            statements.append(
                f"CREATE FUNCTION {function}(varchar) RETURNS bigint LANGUAGE sql STABLE AS $f${query}$f$"
            )
        else:
            statements.append(
                f"CREATE FUNCTION {function}(varchar) RETURNS bigint LANGUAGE sql STABLE "
                f"BEGIN ATOMIC {query}; END"
            )
    if table["trigger"]:
        statements.append(
            f"CREATE TRIGGER {ident('set_timestamp_prosumer_' + name)} BEFORE UPDATE ON {q} "
            "FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp()"
        )
    if first and table["comment"]:
        statements.append(f"COMMENT ON COLUMN {q}.{ident(first)} IS 'the prosumer this row belongs to'")
    return statements


KEYS_OF = """
SELECT c.oid, c.conname, a.attname, c.confrelid::regclass::text,
       (c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, c.convalidated)::text
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.conrelid = to_regclass(%s)
"""


def keys_of(conn, table):
    return {oid: rest for oid, *rest in conn.execute(KEYS_OF, [ident(table)]).fetchall()}


def report_of(database):
    result = database.manage("verify_user_migration", "--json", "--no-store", check=False)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode, json.loads(result.stdout)


def check_schema(templates, tables):
    database = scratch.ScratchDatabase(template=templates.get("ready"))
    try:
        statements = [statement for table in tables for statement in table_ddl(table)]
        note("\n".join(statement + ";" for statement in statements))
        with database.connect() as conn:
            for statement in statements:
                conn.execute(statement)
            keys_before = {table["name"]: keys_of(conn, table["name"]) for table in tables}
        names = [*scratch.LEGACY_TABLES, *(table["name"] for table in tables)]
        schema_before = scratch.schema_dump(database)
        rows_before = scratch.table_fingerprints(database, names)

        database.manage("migrate")
        with database.connect() as conn:
            assert_renamed_keeping_the_generated_keys(conn, tables, keys_before)
        code, report = report_of(database)
        assert_report_names_only_what_the_schema_brings(code, report, tables)

        database.manage("migrate", "accounts", "0002")
        assert scratch.schema_dump(database) == schema_before
        assert scratch.table_fingerprints(database, names) == rows_before
    finally:
        database.drop()


def assert_renamed_keeping_the_generated_keys(conn, tables, keys_before):
    # The legacy tables as ever (the generated ones add keys to "user", which assert_renamed does not list).
    legacy = conn.execute(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = '\"user\"'::regclass"
    ).fetchone()[0]
    assert legacy == 7 + sum(len(table["keys"]) for table in tables)
    for table in tables:
        after = keys_of(conn, table["name"])
        assert set(after) == set(keys_before[table["name"]]), table[
            "name"
        ]  # same keys, none dropped or added
        for oid, (name, column, target, rules) in after.items():
            _, old_column, _, old_rules = keys_before[table["name"]][oid]
            if old_column.endswith("prosumer_id"):
                assert column == old_column.replace("prosumer", "user")
                assert target == '"user"' and name == f"{table['name']}_{column}_fkey"[:63]
            assert rules == old_rules, (table["name"], name)
        if table["copy_column"]:
            assert conn.execute(
                "SELECT count(*) FROM pg_attribute "
                "WHERE attrelid = to_regclass(%s) AND attname = 'legacy_prosumer_id'",
                [ident(table["name"])],
            ).fetchone() == (1,)
    assert_renamed_legacy(conn)


def assert_renamed_legacy(conn):
    """The legacy keys renamed as ever (assert_renamed counts every key to "user", the generated ones too)."""
    legacy = [fk for fk in user_foreign_keys(conn) if (fk[0], fk[1]) in REFERENCING_COLUMNS]
    assert {(table, column) for table, column, *_ in legacy} == REFERENCING_COLUMNS
    for table, column, name, target, on_delete, _on_update, deferrable, validated in legacy:
        assert name == f"{table}_{column}_fkey" and target == "user_id"
        assert on_delete == ("c" if table == "token_blacklist" else "a") and not deferrable and validated


def assert_report_names_only_what_the_schema_brings(code, report, tables):
    generated = {table["name"] for table in tables}
    for check in report["checks"]:
        if check["status"] == "fail":
            text = json.dumps(check)
            assert any(name in text for name in generated), check
    everything = json.dumps(report).replace('\\"', "")  # '"ReferralBonus".user_id' as ReferralBonus.user_id
    for table in tables:
        for key in table["keys"]:
            where = f"{table['name']}.{key['column'].replace('prosumer', 'user')}"
            assert where in everything, f"the report does not name the key on {where}"
    assert code == (1 if any(check["status"] == "fail" for check in report["checks"]) else 0)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate] if EXAMPLES <= 10 else list(Phase),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tables=st.lists(extra_tables(), min_size=1, max_size=3).map(unique_names))
def test_generated_legacy_schemas_rename_report_and_restore_exactly(templates, tables):
    check_schema(templates, tables)
