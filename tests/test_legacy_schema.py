"""The initial migrations create, or adopt unchanged, the legacy schema of legacy-schema.md."""

import pytest

from enerlink.devtools import scratch

# The authority on the real database: the pg_dump of what the upstream's own migrations leave
# (docs/reference/README.md). It is loaded as it is, but for the owner it names, and, on a server
# without the contrib modules, uuid-ossp's function given by the core gen_random_uuid().
REFERENCE_DUMP = scratch.PROJECT_ROOT / "docs" / "reference" / "upstream-schema-before-rename.sql"
UUID_OSSP = 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;'
UUID_OSSP_OR_CORE = """DO $ext$ BEGIN
    CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA public;
EXCEPTION WHEN feature_not_supported OR undefined_file THEN
    CREATE FUNCTION public.uuid_generate_v4() RETURNS uuid LANGUAGE sql VOLATILE
        AS 'SELECT gen_random_uuid()';
END $ext$;"""

LEGACY_TABLES_ONLY = """
SELECT c.relname FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
   AND c.relname NOT LIKE 'django%%' AND c.relname NOT LIKE 'auth%%'
 ORDER BY 1
"""
COLUMNS = """
SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relname = ANY (%s) AND c.relnamespace = 'public'::regnamespace
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 1, 2
"""
CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, convalidated
  FROM pg_constraint WHERE conrelid = ANY (SELECT oid FROM pg_class WHERE relname = ANY (%s)
                                              AND relnamespace = 'public'::regnamespace)
 ORDER BY 1, 2
"""
INDEXES = """
SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid)
  FROM pg_index WHERE indrelid = ANY (SELECT oid FROM pg_class WHERE relname = ANY (%s)
                                         AND relnamespace = 'public'::regnamespace)
 ORDER BY 1, 2
"""
TRIGGERS = """
SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid), tgenabled
  FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2
"""
SEQUENCES = """
SELECT c.relname, d.refobjid::regclass::text, a.attname
  FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'a' AND d.classid = 'pg_class'::regclass
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE c.relkind = 'S' ORDER BY 1
"""
ENUMS = """
SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY 1 ORDER BY 1
"""

# The upstream's seven keys to prosumer and their rules (legacy-schema.md): written down here, not read.
KEYS_TO_PROSUMER = {
    ("wallet", "prosumer_id"): "a",
    ("smart_meter", "prosumer_id"): "a",
    ("transaction_log", "prosumer_id"): "a",
    ("market_trade", "buyer_prosumer_id"): "a",
    ("market_trade", "seller_prosumer_id"): "a",
    ("idrs_conversion", "prosumer_id"): "a",
    ("token_blacklist", "prosumer_id"): "c",
}
# The same seven keys after the rename, as "table.column": rule.
KEY_RULES_AFTER_RENAME = {
    f"{table}.{column.replace('prosumer', 'user')}": rule
    for (table, column), rule in KEYS_TO_PROSUMER.items()
}
KEYS = """
SELECT c.conrelid::regclass::text, a.attname, c.confdeltype
  FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
 WHERE c.contype = 'f' AND c.confrelid = 'prosumer'::regclass
"""


def load_reference(database):
    text = REFERENCE_DUMP.read_text()
    assert UUID_OSSP in text
    lines = [
        line for line in text.replace(UUID_OSSP, UUID_OSSP_OR_CORE).splitlines() if " OWNER TO " not in line
    ]
    with database.connect() as conn:
        conn.execute("\n".join(line for line in lines if not line.startswith("COMMENT ON EXTENSION")))


def catalog(database, *, columns_only=False):
    """What the comparison looks at, table by table, as the same reader prints it."""
    with database.connect() as conn:
        conn.execute("SET search_path = public")
        tables = [name for (name,) in conn.execute(LEGACY_TABLES_ONLY)]
        found = {"tables": tables, "columns": conn.execute(COLUMNS, [tables]).fetchall()}
        if columns_only:
            return found
        for name, query in [("constraints", CONSTRAINTS), ("indexes", INDEXES)]:
            found[name] = conn.execute(query, [tables]).fetchall()
        for name, query in [("triggers", TRIGGERS), ("sequences", SEQUENCES), ("enums", ENUMS)]:
            found[name] = conn.execute(query).fetchall()
    return found


@pytest.fixture
def reference(scratch_db):
    database = scratch_db()
    load_reference(database)
    return catalog(database)


# What the fixture adds as a production copy would (its view and function are not tables).
HAND_MADE_INDEXES = {"idx_market_trade_seller_prosumer"}


def test_the_fixture_is_the_upstream_schema(reference, legacy_db):
    """Every table, column (type, nullability, default, comment), key, index, trigger, sequence, enum."""
    fixture = catalog(legacy_db)
    fixture["indexes"] = [row for row in fixture["indexes"] if row[1] not in HAND_MADE_INDEXES]
    for part in reference:
        assert fixture[part] == reference[part], part
    with legacy_db.connect() as conn:
        keys = {(table, column): rule for table, column, rule in conn.execute(KEYS)}
    assert keys == KEYS_TO_PROSUMER


def test_initial_migrations_create_the_upstream_schema(reference, scratch_db):
    """An empty database gets the same tables, less the two triggers that are broken upstream."""
    database = scratch_db()
    database.manage("migrate", "accounts", "0001")
    database.manage("migrate", "energy", "0001")
    created = catalog(database)
    broken = {"trg_update_wallet_last_used_conversions", "trg_update_wallet_last_used_trades"}
    reference["tables"].remove("migrations")  # TypeORM's own, not created for Django
    reference["columns"] = [row for row in reference["columns"] if row[0] != "migrations"]
    for part in ("constraints", "indexes"):
        reference[part] = [row for row in reference[part] if row[0] != "migrations"]
    reference["sequences"] = [row for row in reference["sequences"] if row[1] != "migrations"]
    reference["triggers"] = [row for row in reference["triggers"] if row[1] not in broken]
    reference["enums"] = [row for row in reference["enums"] if row[0].startswith("token_blacklist")]
    for part in reference:
        assert created[part] == reference[part], part
    with database.connect() as conn:
        # The trigger works: updated_at moves on UPDATE.
        conn.execute(
            "INSERT INTO prosumer (prosumer_id, email, password_hash, created_at, updated_at) "
            "VALUES ('p1', 'a@example.org', 'x', '2000-01-01', '2000-01-01')"
        )
        conn.execute("UPDATE prosumer SET name = 'A' WHERE prosumer_id = 'p1'")
        assert conn.execute("SELECT updated_at > '2001-01-01' FROM prosumer").fetchone() == (True,)


def test_adoption_leaves_a_legacy_database_untouched(legacy_db):
    before_schema = scratch.schema_dump(legacy_db)
    before_rows = scratch.table_fingerprints(legacy_db, scratch.LEGACY_TABLES)
    legacy_db.manage("migrate", "accounts", "0001")
    legacy_db.manage("migrate", "energy", "0001")
    before_lines = set(before_schema.splitlines())
    after_lines = scratch.schema_dump(legacy_db).splitlines()
    # Adoption adds Django's own tables and touches nothing of the legacy schema.
    assert before_lines <= set(after_lines)
    added = [line for line in after_lines if line not in before_lines]
    assert [line for line in added if any(table in line for table in scratch.LEGACY_TABLES)] == []
    assert any("django_migrations" in line for line in added)
    assert scratch.table_fingerprints(legacy_db, scratch.LEGACY_TABLES) == before_rows


def test_adoption_refuses_a_table_that_is_not_the_legacy_one(scratch_db):
    database = scratch_db()
    with database.connect() as conn:
        conn.execute("CREATE TABLE prosumer (prosumer_id varchar PRIMARY KEY, email varchar)")
    result = database.manage("migrate", "accounts", "0001", check=False)
    assert result.returncode != 0
    assert (
        "cannot adopt this database: table prosumer lacks password_hash, name, created_at, updated_at, "
        "primary_wallet_address" in result.stderr
    )
    with database.connect() as conn:
        # Refused before Django made its own table: the database is as it was.
        assert conn.execute("SELECT to_regclass('django_migrations') IS NULL").fetchone() == (True,)


FOREIGN_KEY_TARGETS = {
    ("wallet", "prosumer_id"): ("prosumer", "prosumer_id"),
    ("market_trade", "seller_prosumer_id"): ("prosumer", "prosumer_id"),
    ("transaction_log", "related_settlement_id"): ("energy_settlement", "settlement_id"),
}


@pytest.mark.parametrize("users", [7, 120])
def test_data_builder_counts_and_foreign_keys(scratch_db, users):
    database = scratch_db()
    database.manage("migrate", "accounts", "0001")
    database.manage("migrate", "energy", "0001")
    schema_before = scratch.schema_dump(database)
    database.manage("build_legacy_data", "--users", str(users), "--batch-size", "50")
    # The keys dropped for the load are back, with the same names and definitions, validated.
    assert scratch.schema_dump(database) == schema_before
    per_user = {
        "prosumer": 1,
        "wallet": 2,
        "smart_meter": 1,
        "energy_settlement": 2,
        "transaction_log": 5,
        "market_trade": 1,
        "idrs_conversion": 2,
        "token_blacklist": 1,
    }
    with database.connect() as conn:
        for table, n in per_user.items():
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (n * users,), table
        # Every FK was checked on insert; re-validate the links the rename cares about.
        for table, column in [
            ("wallet", "prosumer_id"),
            ("market_trade", "seller_prosumer_id"),
            ("transaction_log", "related_settlement_id"),
        ]:
            target, target_column = FOREIGN_KEY_TARGETS[(table, column)]
            orphans = conn.execute(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.{target_column} = t.{column})"
            ).fetchone()
            assert orphans == (0,)
        # Sequences moved past the explicit keys: an ORM insert gets a fresh key.
        conn.execute(
            "INSERT INTO transaction_log (prosumer_id, transaction_type, amount_primary, currency_primary, "
            "transaction_timestamp) VALUES ('usr_1', 'TEST', 1, 'ETK', now())"
        )
    again = database.manage("build_legacy_data", "--users", "1", check=False)
    assert again.returncode == 1 and "already holds rows" in again.stderr


def test_data_builder_refuses_a_renamed_database(scratch_db):
    database = scratch_db()
    database.manage("migrate")
    result = database.manage("build_legacy_data", "--users", "1", check=False)
    assert result.returncode == 1
    assert 'it was already renamed to "user"' in result.stderr
