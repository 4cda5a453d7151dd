-- The older shape of the EnerLink database, brought to the real one before it is adopted.
--
-- Some copies are older than the upstream backend's last migrations (docs/adoption.md, "The older
-- shape"): kWh columns, trade_orders_cache and system_config, fewer columns per table. This does
-- what those migrations did, minus their data loss, in one transaction (`manage.py
-- upgrade_older_shape --apply`), and nothing where it was already done, so a second run changes
-- nothing. Every change is decided from the catalog first, then run in order; with the setting
-- enerlink.older_shape_plan = 'on' (`upgrade_older_shape` without --apply) each is only said:
-- * net_kwh_from_grid is renamed net_wh_from_grid, values unchanged (the upstream's own
--   1761992645604 renamed it the same way), with the upstream's comment;
-- * the defaults the older tables have and the real ones lack are dropped (the upstream's backend
--   writes those values itself; so do this project's models);
-- * every column the real tables have and these lack is added: nullable, except
--   energy_settlement.settlement_trigger, whose existing rows read 'LEGACY' (a constant
--   default, so no row is rewritten; the default is then dropped, as on the real table);
-- * the upstream dropped trade_orders_cache and system_config (DROP TABLE ... CASCADE, which also
--   dropped the keys to and from trade_orders_cache); here they move, rows and all, to schema
--   enerlink_retired, and only those keys are dropped: nothing is lost, and the rename and the
--   models see the real shape. Drop the schema once nobody needs its rows.
-- Catalog changes only (ADD COLUMN without a volatile default, RENAME, SET SCHEMA, DROP
-- CONSTRAINT): no table is rewritten or scanned. lock_timeout is set by the caller.

DO $older$
DECLARE
    added constant jsonb := '{
        "smart_meter": {"mqtt_topic_realtime": "varchar", "mqtt_topic_settlement": "varchar",
                        "firmware_version": "varchar", "last_settlement_at": "timestamp",
                        "device_configuration": "varchar", "last_heartbeat_at": "timestamp",
                        "device_model": "varchar", "device_version": "varchar", "capabilities": "varchar"},
        "energy_settlement": {"raw_export_wh": "numeric", "raw_import_wh": "numeric",
                              "confirmed_at_on_chain": "timestamp", "validation_status": "varchar",
                              "settlement_data_source": "varchar", "detailed_energy_breakdown": "varchar",
                              "mqtt_message_id": "varchar"},
        "transaction_log": {"amount_secondary": "numeric", "currency_secondary": "varchar"},
        "market_trade": {"gas_fee_wei": "numeric", "blockchain_tx_hash": "varchar"},
        "idrs_conversion": {"blockchain_tx_hash": "varchar", "simulation_note": "varchar",
                            "confirmed_at": "timestamp"},
        "token_blacklist": {"ip_address": "inet", "user_agent": "text", "created_by": "varchar(255)",
                            "notes": "text"}
    }';
    -- Defaults the older tables have and the real ones do not (the backend sets these values itself).
    no_default constant jsonb := '{
        "prosumer": ["created_at", "updated_at"],
        "wallet": ["created_at", "import_method", "is_active"],
        "smart_meter": ["created_at", "updated_at"],
        "energy_settlement": ["status", "created_at_backend"],
        "transaction_log": ["transaction_timestamp"],
        "market_trade": ["trade_timestamp", "created_at"],
        "idrs_conversion": ["status", "created_at"]
    }';
    -- Plan mode (set by upgrade_older_shape without --apply): say each change, make none.
    plan_only constant boolean := coalesce(current_setting('enerlink.older_shape_plan', true), '') = 'on';
    todo text[] := '{}';  -- the statements, decided from the catalog before any of them runs
    why text[] := '{}';   -- what each one does, for the plan
    tbl record;
    col record;
    fk record;
    i integer;
BEGIN
    IF to_regclass('prosumer') IS NULL THEN
        IF plan_only THEN
            RETURN;  -- nothing of the older shape to list
        END IF;
        RAISE EXCEPTION '%there is no table prosumer: this is not a legacy EnerLink database, or it was '
                        'already renamed', 'enerlink older_shape: '
            USING HINT = 'Nothing was changed. Check DATABASE_URL; a renamed database needs no upgrade.';
    END IF;
    IF to_regclass('energy_settlement') IS NOT NULL
       AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('energy_settlement')
                      AND attname = 'net_kwh_from_grid' AND NOT attisdropped) THEN
        IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('energy_settlement')
                      AND attname = 'net_wh_from_grid' AND NOT attisdropped) THEN
            RAISE EXCEPTION '%table energy_settlement has both net_kwh_from_grid and net_wh_from_grid',
                    'enerlink older_shape: '
                USING HINT = 'Nothing was changed. Keep the one the backend writes, drop the other, run this again.';
        END IF;
        todo := todo || 'ALTER TABLE energy_settlement RENAME COLUMN net_kwh_from_grid TO net_wh_from_grid'::text
                     || format('COMMENT ON COLUMN energy_settlement.net_wh_from_grid IS %L',
                               'Net energy from grid in Watt-hours (Wh)');
        why := why || 'rename energy_settlement.net_kwh_from_grid to net_wh_from_grid (values unchanged)'::text
                   || 'comment energy_settlement.net_wh_from_grid as the upstream does'::text;
    END IF;
    FOR tbl IN SELECT e.key AS name, e.value AS columns FROM jsonb_each(added) AS e ORDER BY e.key LOOP
        CONTINUE WHEN to_regclass(quote_ident(tbl.name)) IS NULL;  -- energy 0001 creates a missing table
        FOR col IN SELECT e.key AS name, e.value #>> '{}' AS type FROM jsonb_each(tbl.columns) AS e ORDER BY e.key LOOP
            CONTINUE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(quote_ident(tbl.name))
                                     AND attname = col.name AND attnum > 0 AND NOT attisdropped);
            todo := todo || format('ALTER TABLE %I ADD COLUMN %I %s', tbl.name, col.name, col.type);
            why := why || format('add column %s.%s %s (nullable)', tbl.name, col.name, col.type);
        END LOOP;
    END LOOP;
    FOR col IN SELECT t.key AS tbl, c.name
                 FROM jsonb_each(no_default) AS t
                CROSS JOIN LATERAL jsonb_array_elements_text(t.value) AS c (name)
                 JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident(t.key)) AND a.attname = c.name
                WHERE a.atthasdef ORDER BY 1, 2 LOOP
        todo := todo || format('ALTER TABLE %I ALTER COLUMN %I DROP DEFAULT', col.tbl, col.name);
        why := why || format('drop the default of %s.%s (the real table has none)', col.tbl, col.name);
    END LOOP;
    IF to_regclass('energy_settlement') IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('energy_settlement')
                          AND attname = 'settlement_trigger' AND NOT attisdropped) THEN
        todo := todo || format('ALTER TABLE energy_settlement ADD COLUMN settlement_trigger varchar NOT NULL '
                               'DEFAULT %L', 'LEGACY')
                     || 'ALTER TABLE energy_settlement ALTER COLUMN settlement_trigger DROP DEFAULT'::text;
        why := why || 'add column energy_settlement.settlement_trigger varchar NOT NULL, LEGACY in its rows'::text
                   || 'drop that default again (the real table has none)'::text;
    END IF;
    IF to_regclass('energy_settlement') IS NOT NULL THEN
        FOR col IN SELECT * FROM (VALUES ('raw_export_wh', 'Raw export energy in Watt-hours (Wh)'),
                                         ('raw_import_wh', 'Raw import energy in Watt-hours (Wh)')) AS c (name, note)
        LOOP
            CONTINUE WHEN col_description('energy_settlement'::regclass,
                                          (SELECT attnum FROM pg_attribute WHERE attname = col.name
                                              AND attrelid = 'energy_settlement'::regclass)) IS NOT NULL;
            todo := todo || format('COMMENT ON COLUMN energy_settlement.%I IS %L', col.name, col.note);
            why := why || format('comment energy_settlement.%s as the upstream does', col.name);
        END LOOP;
    END IF;
    FOR tbl IN SELECT unnest(ARRAY['trade_orders_cache', 'system_config']) AS name LOOP
        CONTINUE WHEN to_regclass(quote_ident(tbl.name)) IS NULL
                   OR (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(quote_ident(tbl.name)))
                      <> (SELECT relnamespace FROM pg_class WHERE oid = 'prosumer'::regclass);
        IF to_regclass('enerlink_retired.' || quote_ident(tbl.name)) IS NOT NULL THEN
            RAISE EXCEPTION '%enerlink_retired.% exists already beside %', 'enerlink older_shape: ', tbl.name, tbl.name
                USING HINT = 'Nothing was changed. Compare the two, drop the one that is not needed, run this again.';
        END IF;
        FOR fk IN SELECT conrelid::regclass AS on_table, conname FROM pg_constraint
                    WHERE contype = 'f' AND (conrelid = to_regclass(quote_ident(tbl.name))
                                             OR confrelid = to_regclass(quote_ident(tbl.name)))
                      AND conrelid <> confrelid
                    ORDER BY 1, 2 LOOP
            todo := todo || format('ALTER TABLE %s DROP CONSTRAINT %I', fk.on_table, fk.conname);
            why := why || format('drop key %s on %s (the upstream dropped it with the table)', fk.conname, fk.on_table);
        END LOOP;
        todo := todo || 'CREATE SCHEMA IF NOT EXISTS enerlink_retired'::text
                     || format('COMMENT ON SCHEMA enerlink_retired IS %L', 'Tables the upstream EnerLink backend '
                               'dropped, kept with their rows by upgrade_older_shape')
                     || format('ALTER TABLE %I SET SCHEMA enerlink_retired', tbl.name);
        why := why || 'create schema enerlink_retired if it is missing'::text || 'comment that schema'::text
                   || format('move %s, rows and all, to schema enerlink_retired (the upstream dropped it)', tbl.name);
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(todo, 1), 0) LOOP
        IF plan_only THEN
            RAISE NOTICE 'enerlink older_shape plan: %: %;', why[i], todo[i];
        ELSE
            EXECUTE todo[i];
        END IF;
    END LOOP;
    IF NOT plan_only THEN
        RAISE NOTICE '%', CASE WHEN cardinality(todo) = 0
                              THEN 'enerlink older_shape: already the real shape: nothing to change'
                              ELSE format('enerlink older_shape: %s catalog change(s)', cardinality(todo)) END;
    END IF;
END
$older$;
