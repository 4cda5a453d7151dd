-- energy 0001: the legacy ledger tables, created on an empty database or adopted as they are.
--
-- The DDL is what the NestJS/TypeORM backend produced: hash-named constraints,
-- NOT DEFERRABLE foreign keys that are ON DELETE NO ACTION except token_blacklist's
-- CASCADE, PostgreSQL enums, no index on most FK columns, the
-- set_timestamp_smart_meters trigger. An existing table is only checked for its
-- columns and left untouched. `manage.py sqlmigrate energy 0001` prints this file.

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('system_config') IS NULL THEN
        CREATE TABLE system_config (
            config_key varchar NOT NULL,
            config_value varchar NOT NULL,
            updated_by varchar,
            CONSTRAINT "PK_c54d4e3d5a246ef29601e48d751" PRIMARY KEY (config_key)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['config_key', 'config_value', 'updated_by']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('system_config') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table system_config exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table system_config unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('wallet') IS NULL THEN
        CREATE TABLE wallet (
            wallet_address varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_name varchar,
            encrypted_private_key varchar,
            created_at timestamp NOT NULL DEFAULT now(),
            import_method varchar NOT NULL DEFAULT 'GENERATED',
            is_active boolean NOT NULL DEFAULT true,
            last_used_at timestamp,
            CONSTRAINT "PK_476a9a59985bc92d1d91db035d9" PRIMARY KEY (wallet_address),
            CONSTRAINT "FK_62a1a16628b883318e6b443cf52" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['wallet_address', 'prosumer_id', 'wallet_name', 'encrypted_private_key', 'created_at', 'import_method', 'is_active', 'last_used_at']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('wallet') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table wallet exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table wallet unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('smart_meter') IS NULL THEN
        CREATE TABLE smart_meter (
                    meter_id varchar NOT NULL,
                    prosumer_id varchar NOT NULL,
                    meter_blockchain_address varchar,
                    location varchar,
                    status varchar,
                    created_at timestamp NOT NULL DEFAULT now(),
                    last_seen timestamp,
                    updated_at timestamp NOT NULL DEFAULT now(),
                    settlement_interval_minutes integer,
                    firmware_version varchar,
                    CONSTRAINT "PK_ef23e2cef79c540785249cd4544" PRIMARY KEY (meter_id),
                    CONSTRAINT "FK_86268e4e6aeb790533065c265c3" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
                );

        IF to_regprocedure('trigger_set_timestamp()') IS NULL THEN
            CREATE FUNCTION trigger_set_timestamp() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                NEW.updated_at = now();
                RETURN NEW;
            END
            $fn$;
        END IF;

                CREATE TRIGGER set_timestamp_smart_meters BEFORE UPDATE ON smart_meter
                    FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['meter_id', 'prosumer_id', 'meter_blockchain_address', 'location', 'status', 'created_at', 'last_seen', 'updated_at', 'settlement_interval_minutes', 'firmware_version']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('smart_meter') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table smart_meter exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table smart_meter unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('energy_settlement') IS NULL THEN
        CREATE TABLE energy_settlement (
            settlement_id serial NOT NULL,
            meter_id varchar NOT NULL,
            period_start_time timestamp NOT NULL,
            period_end_time timestamp NOT NULL,
            net_kwh_from_grid numeric NOT NULL,
            etk_amount_credited numeric,
            blockchain_tx_hash varchar,
            status varchar NOT NULL DEFAULT 'PENDING',
            created_at_backend timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_d28f403451eab2cc9461c8957ad" PRIMARY KEY (settlement_id),
            CONSTRAINT "FK_5df18b4a8c9941904226c315907" FOREIGN KEY (meter_id) REFERENCES smart_meter (meter_id)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['settlement_id', 'meter_id', 'period_start_time', 'period_end_time', 'net_kwh_from_grid', 'etk_amount_credited', 'blockchain_tx_hash', 'status', 'created_at_backend']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('energy_settlement') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table energy_settlement exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table energy_settlement unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('trade_orders_cache') IS NULL THEN
        CREATE TABLE trade_orders_cache (
            order_id varchar NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_address varchar NOT NULL,
            order_type varchar NOT NULL,
            pair varchar NOT NULL DEFAULT 'ETK/IDRS',
            amount_etk numeric NOT NULL,
            price_idrs_per_etk numeric NOT NULL,
            status_on_chain varchar NOT NULL DEFAULT 'OPEN',
            created_at_on_chain timestamp NOT NULL DEFAULT now(),
            updated_at_cache timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_e6377a342a2a931eb4fb13e6df3" PRIMARY KEY (order_id),
            CONSTRAINT "FK_ab6d00919aef6145c60332dabdd" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_4465177ddf3dd62d0fec5dd48a9" FOREIGN KEY (wallet_address) REFERENCES wallet (wallet_address)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['order_id', 'prosumer_id', 'wallet_address', 'order_type', 'pair', 'amount_etk', 'price_idrs_per_etk', 'status_on_chain', 'created_at_on_chain', 'updated_at_cache']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('trade_orders_cache') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table trade_orders_cache exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table trade_orders_cache unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('transaction_log') IS NULL THEN
        CREATE TABLE transaction_log (
            log_id serial NOT NULL,
            prosumer_id varchar NOT NULL,
            related_order_id varchar,
            related_settlement_id integer,
            transaction_type varchar NOT NULL,
            description varchar,
            amount_primary numeric NOT NULL,
            currency_primary varchar NOT NULL,
            blockchain_tx_hash varchar,
            transaction_timestamp timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_37757de7935389be3b5f4ead2cd" PRIMARY KEY (log_id),
            CONSTRAINT "FK_c93030fd0ce2a500ff3b3e5e135" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_33af66084149dc74c72f18a62c0" FOREIGN KEY (related_order_id)
                REFERENCES trade_orders_cache (order_id),
            CONSTRAINT "FK_b4e25f645f122a68602f748015f" FOREIGN KEY (related_settlement_id)
                REFERENCES energy_settlement (settlement_id)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['log_id', 'prosumer_id', 'related_order_id', 'related_settlement_id', 'transaction_type', 'description', 'amount_primary', 'currency_primary', 'blockchain_tx_hash', 'transaction_timestamp']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('transaction_log') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table transaction_log exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table transaction_log unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('market_trade') IS NULL THEN
        CREATE TABLE market_trade (
            trade_id serial NOT NULL,
            buyer_order_id varchar NOT NULL,
            seller_order_id varchar NOT NULL,
            buyer_prosumer_id varchar NOT NULL,
            seller_prosumer_id varchar NOT NULL,
            buyer_wallet_address varchar NOT NULL,
            seller_wallet_address varchar NOT NULL,
            traded_etk_amount numeric NOT NULL,
            price_idrs_per_etk numeric NOT NULL,
            total_idrs_value numeric NOT NULL,
            trade_timestamp timestamp NOT NULL DEFAULT now(),
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_aa4b47c97292f0159fffdc06f1a" PRIMARY KEY (trade_id),
            CONSTRAINT "FK_3bd880c31d5404449e0dc6df193" FOREIGN KEY (buyer_prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_f8cc4d6a6ab01c37c844d84266b" FOREIGN KEY (seller_prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_dc929bc95682e0678049f43ddb5" FOREIGN KEY (buyer_wallet_address)
                REFERENCES wallet (wallet_address),
            CONSTRAINT "FK_b591cf3126b7921c204da704ccf" FOREIGN KEY (seller_wallet_address)
                REFERENCES wallet (wallet_address)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['trade_id', 'buyer_order_id', 'seller_order_id', 'buyer_prosumer_id', 'seller_prosumer_id', 'buyer_wallet_address', 'seller_wallet_address', 'traded_etk_amount', 'price_idrs_per_etk', 'total_idrs_value', 'trade_timestamp', 'created_at']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('market_trade') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table market_trade exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table market_trade unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('idrs_conversion') IS NULL THEN
        CREATE TABLE idrs_conversion (
            conversion_id serial NOT NULL,
            prosumer_id varchar NOT NULL,
            wallet_address varchar NOT NULL,
            conversion_type varchar NOT NULL,
            idr_amount numeric,
            idrs_amount numeric NOT NULL,
            exchange_rate numeric,
            status varchar NOT NULL DEFAULT 'PENDING',
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "CHK_f980e0899d916aa70b9afe26624" CHECK (conversion_type IN ('ON_RAMP', 'OFF_RAMP')),
            CONSTRAINT "PK_7622a9b91d317f137206461e8f8" PRIMARY KEY (conversion_id),
            CONSTRAINT "FK_15a7628a4469051961a261fea17" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id),
            CONSTRAINT "FK_5ac7111207f3ab65e6b77e145f8" FOREIGN KEY (wallet_address)
                REFERENCES wallet (wallet_address)
        );
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['conversion_id', 'prosumer_id', 'wallet_address', 'conversion_type', 'idr_amount', 'idrs_amount', 'exchange_rate', 'status', 'created_at']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('idrs_conversion') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table idrs_conversion exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table idrs_conversion unchanged';
    END IF;
END
$adopt$;

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('token_blacklist') IS NULL THEN
        IF to_regtype('token_blacklist_blacklist_type_enum') IS NULL THEN
            CREATE TYPE token_blacklist_blacklist_type_enum AS ENUM ('TOKEN', 'USER');
        END IF;
        IF to_regtype('token_blacklist_reason_enum') IS NULL THEN
            CREATE TYPE token_blacklist_reason_enum AS ENUM (
                'LOGOUT', 'LOGOUT_ALL_DEVICES', 'SECURITY_BREACH', 'ADMIN_ACTION', 'EXPIRED');
        END IF;
        CREATE TABLE token_blacklist (
            blacklist_id serial NOT NULL,
            blacklist_type token_blacklist_blacklist_type_enum NOT NULL,
            prosumer_id varchar(255) NOT NULL,
            token_hash varchar(255),
            reason token_blacklist_reason_enum NOT NULL DEFAULT 'LOGOUT',
            expires_at timestamptz NOT NULL,
            is_active boolean NOT NULL DEFAULT true,
            created_at timestamp NOT NULL DEFAULT now(),
            CONSTRAINT "PK_17b3902baa94df28557059b0ac8" PRIMARY KEY (blacklist_id),
            CONSTRAINT "FK_6ce14a152c155e564458ddbd58f" FOREIGN KEY (prosumer_id) REFERENCES prosumer (prosumer_id)
                ON DELETE CASCADE
        );
        CREATE INDEX "IDX_1a320f4470d1b5517ee5553b66" ON token_blacklist (prosumer_id);
        CREATE INDEX "IDX_fc93690d4ba3c359bfaaa99a7a" ON token_blacklist (token_hash);
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['blacklist_id', 'blacklist_type', 'prosumer_id', 'token_hash', 'reason', 'expires_at', 'is_active', 'created_at']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('token_blacklist') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table token_blacklist exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table token_blacklist unchanged';
    END IF;
END
$adopt$;
