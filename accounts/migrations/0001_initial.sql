-- accounts 0001: the legacy table prosumer, created on an empty database or adopted as it is.
--
-- The DDL is what the old backend's own TypeORM migrations leave (docs/reference/legacy-schema.md:
-- hash-named constraints, timestamp columns without defaults, no unique email, the
-- set_timestamp_prosumers trigger). Where the table exists (a production copy being adopted),
-- nothing is changed: the guard before this file (.guard.sql) has compared its columns with the
-- model's, and hash names, missing indexes, triggers and hand-made objects stay as they are.
-- `manage.py sqlmigrate accounts 0001` prints this file after the guard.

DO $adopt$
BEGIN
    IF to_regclass('prosumer') IS NULL THEN
        CREATE TABLE prosumer (
            prosumer_id varchar NOT NULL,
            email varchar NOT NULL,
            password_hash varchar NOT NULL,
            name varchar,
            created_at timestamp NOT NULL,
            updated_at timestamp NOT NULL,
            primary_wallet_address varchar,
            CONSTRAINT "PK_3ae412f5b4dcb9072bc6fe6815d" PRIMARY KEY (prosumer_id)
        );

        IF to_regprocedure('trigger_set_timestamp()') IS NULL THEN
            CREATE FUNCTION trigger_set_timestamp() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
              NEW.updated_at = NOW();
              RETURN NEW;
            END;
            $fn$;
        END IF;

        CREATE TRIGGER set_timestamp_prosumers BEFORE UPDATE ON prosumer
            FOR EACH ROW EXECUTE FUNCTION trigger_set_timestamp();
    ELSE
        RAISE NOTICE 'adopting existing table prosumer unchanged';
    END IF;
END
$adopt$;
