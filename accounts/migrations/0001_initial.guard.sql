-- accounts 0001 and energy 0001, first: refuse a database that is not the EnerLink legacy database (or an
-- empty one), or that the models cannot read.
--
-- Reads the catalog only. `manage.py migrate` also runs this file before it creates
-- django_migrations, so that a refusal leaves such a database exactly as it was.
-- * Table "user" without table prosumer: the database was already renamed (by hand, or by the
--   guide's script); adopting it would create a second, empty user table.
-- * No table prosumer, and the schema holds tables that are neither EnerLink's nor Django's own:
--   DATABASE_URL points at another application's database. (An empty database, or one with only
--   Django's tables, is fine: 0001 creates the legacy schema there, for development.)
-- * A legacy table that lacks a column the models read: adopting it would leave an ORM that fails
--   on its first query. Every such column of every table is named at once. Columns the models do
--   not know, extra tables, indexes, triggers and constraints are the team's and never refused.
--   The list below is the models' (tests/test_migration_files.py compares the two).
DO $guard$
DECLARE
    enerlink_tables constant text[] := ARRAY['prosumer', 'user', 'wallet', 'smart_meter', 'energy_settlement',
        'trade_orders_cache', 'transaction_log', 'market_trade', 'idrs_conversion', 'token_blacklist',
        'system_config', 'telemetry_aggregate', 'migrations', 'user_rename_journal', 'user_verification_run'];
    model_columns constant jsonb := '{
        "prosumer": ["prosumer_id", "email", "password_hash", "name", "created_at", "updated_at",
                     "primary_wallet_address"],
        "wallet": ["wallet_address", "prosumer_id", "wallet_name", "encrypted_private_key", "created_at",
                   "import_method", "is_active", "last_used_at"],
        "smart_meter": ["meter_id", "prosumer_id", "meter_blockchain_address", "location", "status", "created_at",
                        "last_seen", "updated_at", "settlement_interval_minutes", "mqtt_topic_realtime",
                        "mqtt_topic_settlement", "firmware_version", "last_settlement_at", "device_configuration",
                        "last_heartbeat_at", "device_model", "device_version", "capabilities"],
        "energy_settlement": ["settlement_id", "meter_id", "period_start_time", "period_end_time", "net_wh_from_grid",
                              "etk_amount_credited", "raw_export_wh", "raw_import_wh", "blockchain_tx_hash", "status",
                              "created_at_backend", "confirmed_at_on_chain", "settlement_trigger", "validation_status",
                              "settlement_data_source", "detailed_energy_breakdown", "mqtt_message_id"],
        "transaction_log": ["log_id", "prosumer_id", "related_order_id", "related_settlement_id", "transaction_type",
                            "description", "amount_primary", "currency_primary", "amount_secondary",
                            "currency_secondary", "blockchain_tx_hash", "transaction_timestamp"],
        "market_trade": ["trade_id", "buyer_order_id", "seller_order_id", "buyer_prosumer_id", "seller_prosumer_id",
                         "buyer_wallet_address", "seller_wallet_address", "traded_etk_amount", "price_idrs_per_etk",
                         "total_idrs_value", "gas_fee_wei", "blockchain_tx_hash", "trade_timestamp", "created_at"],
        "idrs_conversion": ["conversion_id", "prosumer_id", "wallet_address", "conversion_type", "idr_amount",
                            "idrs_amount", "exchange_rate", "blockchain_tx_hash", "status", "simulation_note",
                            "created_at", "confirmed_at"],
        "token_blacklist": ["blacklist_id", "blacklist_type", "prosumer_id", "token_hash", "reason", "ip_address",
                            "user_agent", "expires_at", "is_active", "created_by", "notes", "created_at"],
        "telemetry_aggregate": ["id", "meterId", "hourStart", "dataPointsCount", "batteryVoltageAvg",
                                "batteryVoltageMin", "batteryVoltageMax", "batterySocAvg", "batterySocMin",
                                "batterySocMax", "batteryChargeRateAvg", "exportPowerAvg", "exportPowerMax",
                                "exportEnergyTotal", "importPowerAvg", "importPowerMax", "importEnergyTotal",
                                "loadSmartPowerAvg", "loadSmartPowerMax", "loadSmartEnergyTotal", "loadHomePowerAvg",
                                "loadHomePowerMax", "loadHomeEnergyTotal", "solarInputPowerAvg", "solarInputPowerMax",
                                "solarInputEnergyTotal", "solarOutputPowerAvg", "solarOutputPowerMax",
                                "solarOutputEnergyTotal", "netSolarPowerAvg", "netSolarEnergyTotal",
                                "netGridPowerAvg", "netGridEnergyTotal", "wifiRssiAvg", "mqttDisconnections",
                                "freeHeapAvg", "createdAt"]
    }';
    others text[];
    lacking text;
BEGIN
    IF to_regclass('prosumer') IS NULL AND to_regclass('"user"') IS NOT NULL THEN
        RAISE EXCEPTION '%this database was already renamed: table "user" exists and table prosumer does not',
                'enerlink adopt: '
            USING HINT = 'Nothing was changed. See "Databases renamed by hand" in docs/adoption.md.';
    END IF;
    IF to_regclass('prosumer') IS NOT NULL THEN
        SELECT string_agg(format('table %s lacks %s', t.key, m.columns), '; ' ORDER BY t.key) INTO lacking
          FROM jsonb_each(model_columns) AS t
          CROSS JOIN LATERAL (
                SELECT string_agg(quote_ident(c.name), ', ' ORDER BY c.n) AS columns
                  FROM jsonb_array_elements_text(t.value) WITH ORDINALITY AS c (name, n)
                 WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                                    WHERE a.attrelid = to_regclass(quote_ident(t.key)) AND a.attname = c.name
                                      AND a.attnum > 0 AND NOT a.attisdropped)) AS m
         WHERE to_regclass(quote_ident(t.key)) IS NOT NULL AND m.columns IS NOT NULL;
        IF lacking IS NOT NULL THEN
            RAISE EXCEPTION '%cannot adopt this database: %', 'enerlink adopt: ', lacking
                USING HINT = 'Nothing was changed. The models read these columns. '
                    || CASE WHEN to_regclass('trade_orders_cache') IS NOT NULL
                                 OR EXISTS (SELECT 1 FROM pg_attribute WHERE attname = 'net_kwh_from_grid'
                                               AND attrelid = to_regclass('energy_settlement'))
                            THEN 'This is the older shape (kWh columns, trade_orders_cache): bring it to the '
                                 'real one first, as docs/adoption.md says ("The older shape").'
                            ELSE 'Compare the database with docs/reference/legacy-schema.md and add what it '
                                 'lacks, or restore a backup of the real one (docs/adoption.md).' END;
        END IF;
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
