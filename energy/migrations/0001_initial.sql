-- energy 0001: the legacy ledger tables, created on an empty database or adopted as they are.
--
-- The DDL is what the old backend's own TypeORM migrations leave (docs/reference/legacy-schema.md):
-- hash-named constraints, sequences still named after the old plural tables
-- (market_trades_trade_id_seq), NOT DEFERRABLE foreign keys that are ON DELETE NO ACTION except
-- token_blacklist's CASCADE, PostgreSQL enums, no index on most FK columns, timestamps without
-- database defaults, the set_timestamp_smart_meters trigger, and telemetry_aggregate with its
-- uuid key. Two things of the real database are not created on an empty one: the trigger
-- functions that update the table "WALLETS" (renamed wallet by the upstream itself, so every
-- insert into market_trade and idrs_conversion fails where they are attached) and the functions
-- no trigger uses. An existing table is left untouched: the guard before this file
-- (accounts 0001's .guard.sql) compared its columns with the models'.
-- `manage.py sqlmigrate energy 0001` prints this file after the guard.

DO $adopt$
BEGIN
    IF to_regclass('wallet') IS NULL THEN
        CREATE TABLE wallet (
            is_active boolean NOT NULL,
            wallet_address varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_name varchar,
            encrypted_private_key varchar,
            created_at timestamp NOT NULL,
            import_method varchar NOT NULL,
            last_used_at timestamp,
            CONSTRAINT "PK_bca8b30f6524979bf57a2b2c1be" PRIMARY KEY (wallet_address),
            CONSTRAINT "FK_62a1a16628b883318e6b443cf52" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
        );
    ELSE
        RAISE NOTICE 'adopting existing table wallet unchanged';
    END IF;

    IF to_regclass('smart_meter') IS NULL THEN
        CREATE TABLE smart_meter (
            settlement_interval_minutes integer,
            meter_id varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            meter_blockchain_address varchar,
            location varchar,
            status varchar,
            created_at timestamp NOT NULL,
            last_seen timestamp,
            updated_at timestamp NOT NULL,
            mqtt_topic_realtime varchar,
            mqtt_topic_settlement varchar,
            firmware_version varchar,
            last_settlement_at timestamp,
            device_configuration varchar,
            last_heartbeat_at timestamp,
            device_model varchar,
            device_version varchar,
            capabilities varchar,
            CONSTRAINT "PK_8ffed222126a4abb782dbbb98af" PRIMARY KEY (meter_id),
            CONSTRAINT "FK_15c4c55f7a7ac1a93ae9a06a6c4" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
        );
        CREATE TRIGGER set_timestamp_smart_meters BEFORE UPDATE ON smart_meter
            FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
    ELSE
        RAISE NOTICE 'adopting existing table smart_meter unchanged';
    END IF;

    IF to_regclass('energy_settlement') IS NULL THEN
        CREATE SEQUENCE energy_settlements_settlement_id_seq AS integer;
        CREATE TABLE energy_settlement (
            net_wh_from_grid numeric NOT NULL,
            etk_amount_credited numeric,
            raw_export_wh numeric,
            raw_import_wh numeric,
            settlement_id integer NOT NULL DEFAULT nextval('energy_settlements_settlement_id_seq'),
            meter_id varchar NOT NULL,
            period_start_time timestamp NOT NULL,
            period_end_time timestamp NOT NULL,
            blockchain_tx_hash varchar,
            status varchar NOT NULL,
            created_at_backend timestamp NOT NULL,
            confirmed_at_on_chain timestamp,
            settlement_trigger varchar NOT NULL,
            validation_status varchar,
            settlement_data_source varchar,
            detailed_energy_breakdown varchar,
            mqtt_message_id varchar,
            CONSTRAINT "PK_8b9a77f8528eecedcca0002af19" PRIMARY KEY (settlement_id),
            CONSTRAINT "FK_8fb34800a672cd8396fba250d17" FOREIGN KEY (meter_id) REFERENCES smart_meter (meter_id)
        );
        ALTER SEQUENCE energy_settlements_settlement_id_seq OWNED BY energy_settlement.settlement_id;
        COMMENT ON COLUMN energy_settlement.net_wh_from_grid IS 'Net energy from grid in Watt-hours (Wh)';
        COMMENT ON COLUMN energy_settlement.raw_export_wh IS 'Raw export energy in Watt-hours (Wh)';
        COMMENT ON COLUMN energy_settlement.raw_import_wh IS 'Raw import energy in Watt-hours (Wh)';
    ELSE
        RAISE NOTICE 'adopting existing table energy_settlement unchanged';
    END IF;

    IF to_regclass('transaction_log') IS NULL THEN
        CREATE SEQUENCE transaction_logs_log_id_seq AS integer;
        CREATE TABLE transaction_log (
            amount_primary numeric NOT NULL,
            amount_secondary numeric,
            log_id integer NOT NULL DEFAULT nextval('transaction_logs_log_id_seq'),
            prosumer_id varchar NOT NULL,
            related_order_id varchar,
            related_settlement_id integer,
            transaction_type varchar NOT NULL,
            description varchar,
            currency_primary varchar NOT NULL,
            currency_secondary varchar,
            blockchain_tx_hash varchar,
            transaction_timestamp timestamp NOT NULL,
            CONSTRAINT "PK_77d7e09163aa1e895fc3c89546b" PRIMARY KEY (log_id),
            CONSTRAINT "FK_c610529db3b0d2fa571fcb32c0c" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_1421bcc06059512215276a952f1" FOREIGN KEY (related_settlement_id)
                REFERENCES energy_settlement (settlement_id)
        );
        ALTER SEQUENCE transaction_logs_log_id_seq OWNED BY transaction_log.log_id;
    ELSE
        RAISE NOTICE 'adopting existing table transaction_log unchanged';
    END IF;

    IF to_regclass('market_trade') IS NULL THEN
        CREATE SEQUENCE market_trades_trade_id_seq AS integer;
        CREATE TABLE market_trade (
            traded_etk_amount numeric NOT NULL,
            price_idrs_per_etk numeric NOT NULL,
            total_idrs_value numeric NOT NULL,
            gas_fee_wei numeric,
            trade_id integer NOT NULL DEFAULT nextval('market_trades_trade_id_seq'),
            buyer_order_id varchar NOT NULL,
            seller_order_id varchar NOT NULL,
            buyer_prosumer_id varchar NOT NULL,
            seller_prosumer_id varchar NOT NULL,
            buyer_wallet_address varchar NOT NULL,
            seller_wallet_address varchar NOT NULL,
            blockchain_tx_hash varchar,
            trade_timestamp timestamp NOT NULL,
            created_at timestamp NOT NULL,
            CONSTRAINT "PK_5efaa55324c2b39ad84f6e02be4" PRIMARY KEY (trade_id),
            CONSTRAINT "FK_e5d6128781fecd5e123649fd47b" FOREIGN KEY (buyer_prosumer_id)
                REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_028c93bfb292f998635a701742d" FOREIGN KEY (seller_prosumer_id)
                REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_4a8e26f96115599aeb05e2fac3e" FOREIGN KEY (buyer_wallet_address)
                REFERENCES wallet (wallet_address),
            CONSTRAINT "FK_ffe7be81bfeb35561ac25cff6b0" FOREIGN KEY (seller_wallet_address)
                REFERENCES wallet (wallet_address)
        );
        ALTER SEQUENCE market_trades_trade_id_seq OWNED BY market_trade.trade_id;
    ELSE
        RAISE NOTICE 'adopting existing table market_trade unchanged';
    END IF;

    IF to_regclass('idrs_conversion') IS NULL THEN
        CREATE SEQUENCE idrs_conversions_conversion_id_seq AS integer;
        CREATE TABLE idrs_conversion (
            idr_amount numeric,
            idrs_amount numeric NOT NULL,
            exchange_rate numeric,
            conversion_id integer NOT NULL DEFAULT nextval('idrs_conversions_conversion_id_seq'),
            prosumer_id varchar NOT NULL,
            wallet_address varchar NOT NULL,
            conversion_type varchar NOT NULL,
            blockchain_tx_hash varchar,
            status varchar NOT NULL,
            simulation_note varchar,
            created_at timestamp NOT NULL,
            confirmed_at timestamp,
            CONSTRAINT "PK_a606473dc71f7112a70df2592f5" PRIMARY KEY (conversion_id),
            CONSTRAINT "FK_ca221ee5d35d43d27e8e2d0b799" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_0f0a685f411f15927376b85460d" FOREIGN KEY (wallet_address)
                REFERENCES wallet (wallet_address)
        );
        ALTER SEQUENCE idrs_conversions_conversion_id_seq OWNED BY idrs_conversion.conversion_id;
    ELSE
        RAISE NOTICE 'adopting existing table idrs_conversion unchanged';
    END IF;

    IF to_regclass('token_blacklist') IS NULL THEN
        IF to_regtype('token_blacklist_blacklist_type_enum') IS NULL THEN
            CREATE TYPE token_blacklist_blacklist_type_enum AS ENUM ('TOKEN', 'USER');
        END IF;
        IF to_regtype('token_blacklist_reason_enum') IS NULL THEN
            CREATE TYPE token_blacklist_reason_enum AS ENUM (
                'LOGOUT', 'LOGOUT_ALL_DEVICES', 'SECURITY_BREACH', 'ADMIN_ACTION', 'EXPIRED');
        END IF;
        CREATE SEQUENCE token_blacklist_blacklist_id_seq AS integer;
        CREATE TABLE token_blacklist (
            blacklist_type token_blacklist_blacklist_type_enum NOT NULL,
            prosumer_id varchar(255) NOT NULL,
            token_hash varchar(255),
            reason token_blacklist_reason_enum NOT NULL DEFAULT 'LOGOUT',
            ip_address inet,
            user_agent text,
            expires_at timestamptz NOT NULL,
            is_active boolean NOT NULL DEFAULT true,
            created_by varchar(255),
            notes text,
            blacklist_id integer NOT NULL DEFAULT nextval('token_blacklist_blacklist_id_seq'),
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_17b3902baa94df28557059b0ac8" PRIMARY KEY (blacklist_id),
            CONSTRAINT "FK_1a320f4470d1b5517ee5553b66b" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
                ON DELETE CASCADE
        );
        ALTER SEQUENCE token_blacklist_blacklist_id_seq OWNED BY token_blacklist.blacklist_id;
        CREATE INDEX "IDX_1a320f4470d1b5517ee5553b66" ON token_blacklist (prosumer_id);
        CREATE INDEX "IDX_b9a3b934060f946221d5396244" ON token_blacklist (blacklist_type);
        CREATE INDEX "IDX_d8e7e938c9158e8f395442a031" ON token_blacklist (is_active);
        CREATE INDEX "IDX_f843323a807f2db43c4d8ba888" ON token_blacklist (expires_at);
        CREATE INDEX "IDX_fc93690d4ba3c359bfaaa99a7a" ON token_blacklist (token_hash);
    ELSE
        RAISE NOTICE 'adopting existing table token_blacklist unchanged';
    END IF;

    IF to_regclass('telemetry_aggregate') IS NULL THEN
        -- Its key's default is uuid-ossp's uuid_generate_v4(). A server without the contrib
        -- modules (the embedded PostgreSQL's wheel has none) gets a function of that name
        -- that returns the core gen_random_uuid(), so the column is declared the same way.
        IF to_regprocedure('uuid_generate_v4()') IS NULL THEN
            BEGIN
                CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
            EXCEPTION WHEN feature_not_supported OR undefined_file THEN
                CREATE FUNCTION uuid_generate_v4() RETURNS uuid LANGUAGE sql VOLATILE
                    AS 'SELECT gen_random_uuid()';
            END;
        END IF;
        CREATE TABLE telemetry_aggregate (
            id uuid NOT NULL DEFAULT uuid_generate_v4(),
            "meterId" varchar(50) NOT NULL,
            "hourStart" timestamptz NOT NULL,
            "dataPointsCount" integer NOT NULL DEFAULT 0,
            "batteryVoltageAvg" numeric(10,5),
            "batteryVoltageMin" numeric(10,5),
            "batteryVoltageMax" numeric(10,5),
            "batterySocAvg" numeric(10,5),
            "batterySocMin" numeric(10,5),
            "batterySocMax" numeric(10,5),
            "batteryChargeRateAvg" numeric(10,5),
            "exportPowerAvg" numeric(15,5),
            "exportPowerMax" numeric(15,5),
            "exportEnergyTotal" numeric(15,5),
            "importPowerAvg" numeric(15,5),
            "importPowerMax" numeric(15,5),
            "importEnergyTotal" numeric(15,5),
            "loadSmartPowerAvg" numeric(15,5),
            "loadSmartPowerMax" numeric(15,5),
            "loadSmartEnergyTotal" numeric(15,5),
            "loadHomePowerAvg" numeric(15,5),
            "loadHomePowerMax" numeric(15,5),
            "loadHomeEnergyTotal" numeric(15,5),
            "solarInputPowerAvg" numeric(15,5),
            "solarInputPowerMax" numeric(15,5),
            "solarInputEnergyTotal" numeric(15,5),
            "solarOutputPowerAvg" numeric(15,5),
            "solarOutputPowerMax" numeric(15,5),
            "solarOutputEnergyTotal" numeric(15,5),
            "netSolarPowerAvg" numeric(15,5),
            "netSolarEnergyTotal" numeric(15,5),
            "netGridPowerAvg" numeric(15,5),
            "netGridEnergyTotal" numeric(15,5),
            "wifiRssiAvg" integer,
            "mqttDisconnections" integer,
            "freeHeapAvg" bigint,
            "createdAt" timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT "PK_telemetry_aggregates" PRIMARY KEY (id, "hourStart")
        );
        CREATE INDEX "IDX_6f42afcdb47cb7077f4074198d" ON telemetry_aggregate ("meterId", "hourStart");
        CREATE INDEX "IDX_f10a714a7c920cc61aab041d99" ON telemetry_aggregate ("hourStart");
    ELSE
        RAISE NOTICE 'adopting existing table telemetry_aggregate unchanged';
    END IF;
END
$adopt$;
