-- accounts 0001, first: refuse a database that is not the EnerLink legacy database (or an empty one).
--
-- Reads the catalog only. `manage.py migrate` also runs this file before it creates
-- django_migrations, so that a refusal leaves such a database exactly as it was.
-- * Table "user" without table prosumer: the database was already renamed (by hand, or by the
--   guide's script); adopting it would create a second, empty user table.
-- * No table prosumer, and the schema holds tables that are neither EnerLink's nor Django's own:
--   DATABASE_URL points at another application's database. (An empty database, or one with only
--   Django's tables, is fine: 0001 creates the legacy schema there, for development.)
DO $guard$
DECLARE
    enerlink_tables constant text[] := ARRAY['prosumer', 'user', 'wallet', 'smart_meter', 'energy_settlement',
        'trade_orders_cache', 'transaction_log', 'market_trade', 'idrs_conversion', 'token_blacklist',
        'system_config', 'user_rename_journal', 'user_verification_run'];
    others text[];
BEGIN
    IF to_regclass('prosumer') IS NULL AND to_regclass('"user"') IS NOT NULL THEN
        RAISE EXCEPTION '%this database was already renamed: table "user" exists and table prosumer does not',
                'enerlink adopt: '
            USING HINT = 'Nothing was changed. See "Databases renamed by hand" in docs/adoption.md.';
    END IF;
    IF to_regclass('prosumer') IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT array_agg(quote_ident(c.relname) ORDER BY c.relname) INTO others
      FROM pg_class c
     WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND c.relname <> ALL (enerlink_tables)
       AND c.relname NOT LIKE 'django\_%' AND c.relname NOT LIKE 'auth\_%';
    IF others IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_class c
                                           WHERE c.relnamespace = to_regnamespace(current_schema())
                                             AND c.relname = ANY (enerlink_tables)) THEN
        RAISE EXCEPTION '%this is not an EnerLink database: schema % holds % table(s) of another application (%) '
                        'and none of EnerLink''s', 'enerlink adopt: ', current_schema(), cardinality(others),
                array_to_string(others[1:5], ', ') || CASE WHEN cardinality(others) > 5 THEN ', ...' ELSE '' END
            USING ERRCODE = 'invalid_catalog_name',
                  HINT = 'Nothing was changed. Check DATABASE_URL: it must name the database of the EnerLink '
                         '(NestJS/TypeORM) backend, or an empty database for development.';
    END IF;
END
$guard$;
