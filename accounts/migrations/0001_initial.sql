-- accounts 0001: the legacy table prosumer, created on an empty database or adopted as it is.
--
-- The DDL is what the NestJS/TypeORM backend produced (hash-named constraints,
-- timestamp columns, the set_timestamp_prosumers trigger). Where the table exists
-- (a production copy being adopted), only its columns are checked and nothing is
-- changed: hash names, missing indexes, triggers and hand-made objects stay as they are.
-- `manage.py sqlmigrate accounts 0001` prints this file after the guard (.guard.sql beside it).

DO $adopt$
DECLARE
    missing text[];
BEGIN
    IF to_regclass('prosumer') IS NULL THEN
        CREATE TABLE prosumer (
            prosumer_id varchar NOT NULL,
            email varchar NOT NULL,
            password_hash varchar NOT NULL,
            name varchar,
            created_at timestamp NOT NULL DEFAULT now(),
            updated_at timestamp NOT NULL DEFAULT now(),
            primary_wallet_address varchar,
            CONSTRAINT "UQ_67c9d0febbffb0f6eff2ebae084" UNIQUE (email),
            CONSTRAINT "PK_3ae412f5b4dcb9072bc6fe6815d" PRIMARY KEY (prosumer_id)
        );

        IF to_regprocedure('trigger_set_timestamp()') IS NULL THEN
            CREATE FUNCTION trigger_set_timestamp() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                NEW.updated_at = now();
                RETURN NEW;
            END
            $fn$;
        END IF;

        CREATE TRIGGER set_timestamp_prosumers BEFORE UPDATE ON prosumer
            FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
    ELSE
        SELECT array_agg(expected ORDER BY expected) INTO missing
          FROM unnest(ARRAY['prosumer_id', 'email', 'password_hash', 'name', 'created_at', 'updated_at', 'primary_wallet_address']) AS expected
         WHERE NOT EXISTS (
               SELECT 1 FROM pg_attribute
                WHERE attrelid = to_regclass('prosumer') AND attname = expected
                  AND attnum > 0 AND NOT attisdropped);
        IF missing IS NOT NULL THEN
            RAISE EXCEPTION '%table prosumer exists but lacks column(s) %: it is not the legacy EnerLink table',
                    'enerlink adopt: ', missing
                USING HINT = 'Nothing was changed. Compare it with docs/adoption.md.';
        END IF;
        RAISE NOTICE 'adopting existing table prosumer unchanged';
    END IF;
END
$adopt$;
