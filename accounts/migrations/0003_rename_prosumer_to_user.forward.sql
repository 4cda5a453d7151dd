-- accounts 0003, forward: rename prosumer to "user", reading the real names from the catalog.
--
-- One transaction (the migration's), catalog only. See docs/rename.md for why each step is
-- written this way; `manage.py sqlmigrate accounts 0003` prints this file after the line
-- that sets the lock budget from ENERLINK_RENAME_LOCK_TIMEOUT and the lock functions
-- (.locks.sql beside this file).
--
-- * No name is guessed: every foreign key that references prosumer(prosumer_id) is found in
--   pg_constraint, whatever its table or name (ORM hashes, the guide's, Django's).
-- * Keys are renamed, never dropped and re-added: each keeps its ON DELETE / ON UPDATE rule,
--   deferrability and validated state, and no table is scanned or rewritten under a lock.
-- * It runs as the non-superuser owner of the tables: no session_replication_role.
-- * Every rename and comment is written to user_rename_journal with the old value, so that
--   the reverse (the .reverse.sql file beside this one) restores hash names and all.

DO $rename$
DECLARE
    canonical constant jsonb := '{
        "wallet.user_id": "idx_wallet_user_id",
        "smart_meter.user_id": "idx_smartmeter_user_id",
        "transaction_log.user_id": "idx_transactionlog_user_id",
        "idrs_conversion.user_id": "idx_idrsconversion_user_id",
        "market_trade.buyer_user_id": "idx_markettrade_buyer_user",
        "market_trade.seller_user_id": "idx_markettrade_seller_user",
        "token_blacklist.user_id": "idx_tokenblacklist_user_id"
    }';
    comments constant jsonb := '{
        "user.user_id": "Unique identifier for user",
        "wallet.user_id": "Reference to user who owns this wallet",
        "smart_meter.user_id": "Reference to user who owns this meter",
        "transaction_log.user_id": "Reference to user associated with this transaction",
        "market_trade.buyer_user_id": "User ID of the buyer",
        "market_trade.seller_user_id": "User ID of the seller",
        "idrs_conversion.user_id": "Reference to user who performed this conversion",
        "token_blacklist.user_id": "Reference to user whose token is blacklisted"
    }';
    parent regclass;
    fk record;
    idx record;
    obj record;
    step integer := 0;
    new_column name;
    new_name text;
    referencing regclass[];
BEGIN
    -- 1. Preconditions: say what was found instead of failing on a raw SQL error.
    IF to_regclass('prosumer') IS NULL THEN
        IF to_regclass('"user"') IS NOT NULL THEN
            RAISE EXCEPTION '%found table "user" and no table prosumer: this database was already renamed, '
                            'by hand or by the guide''s script', 'enerlink rename: '
                USING HINT = 'Nothing was changed. Run "manage.py verify_user_migration" to see what that rename '
                             'got wrong (duplicate or CASCADE foreign keys, forgotten columns, missing indexes); '
                             'repair it or restore the pre-rename backup, then record this step with '
                             '"manage.py migrate accounts 0003 --fake". See docs/adoption.md.';
        END IF;
        RAISE EXCEPTION '%there is no table prosumer to rename', 'enerlink rename: '
            USING HINT = 'Nothing was changed. Is DATABASE_URL pointing at the EnerLink database?';
    END IF;
    IF to_regclass('"user"') IS NOT NULL THEN
        RAISE EXCEPTION '%both tables prosumer and "user" exist; refusing to guess which one holds the users',
                'enerlink rename: '
            USING HINT = 'Nothing was changed. Drop or rename the stray one, then re-run "manage.py migrate".';
    END IF;
    parent := 'prosumer'::regclass;
    -- A journal left by a rename that was undone by other means describes nothing any more.
    DELETE FROM user_rename_journal;

    -- 2. The referencing foreign keys, found by what they reference, not by name.
    CREATE TEMP TABLE enerlink_fk ON COMMIT DROP AS
    SELECT c.oid, c.conname, c.conrelid::regclass AS tbl, c.conrelid::regclass::text AS tbl_text,
           (SELECT relname FROM pg_class WHERE oid = c.conrelid) AS tbl_name,
           a.attname AS col, c.confdeltype, c.confupdtype, c.condeferrable, c.condeferred, c.convalidated,
           pg_get_constraintdef(c.oid) AS definition
      FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     WHERE c.contype = 'f' AND c.confrelid = parent AND cardinality(c.conkey) = 1
       AND c.confkey[1] = (SELECT attnum FROM pg_attribute WHERE attrelid = parent AND attname = 'prosumer_id')
       AND c.conrelid <> parent;

    IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = parent AND cardinality(conkey) > 1)
    THEN
        RAISE EXCEPTION '%a multi-column foreign key references prosumer; this rename handles single-column ones',
                'enerlink rename: ' USING HINT = 'Nothing was changed.';
    END IF;
    FOR obj IN SELECT tbl, col, count(*) AS keys, string_agg(quote_ident(conname), ', ' ORDER BY conname) AS names
                 FROM enerlink_fk GROUP BY tbl, col HAVING count(*) > 1 ORDER BY tbl::text, col LOOP
        RAISE EXCEPTION '%column %.% has % foreign keys to prosumer (%): one per column is expected',
                'enerlink rename: ', obj.tbl, obj.col, obj.keys, obj.names
            USING HINT = 'Nothing was changed. Keep the one with the rule the ledger needs, drop the others '
                         '(manage.py verify_user_migration --preflight lists them), then re-run "manage.py migrate".';
    END LOOP;
    FOR fk IN SELECT * FROM enerlink_fk LOOP
        new_column := replace(fk.col, 'prosumer', 'user');
        IF new_column <> fk.col AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = fk.tbl
                                             AND attname = new_column AND NOT attisdropped) THEN
            RAISE EXCEPTION '%table % has both columns % and %: it looks partly renamed by hand',
                    'enerlink rename: ', fk.tbl, fk.col, new_column
                USING HINT = 'Nothing was changed. Run "manage.py verify_user_migration" and see docs/adoption.md.';
        END IF;
    END LOOP;

    -- 3. Snapshot for the verification report, before any exclusive lock: each table's identity
    --    (OID and data file: a rename keeps both, so the same rows are still there) with the
    --    planner's row estimate for people to read, and each key's definition. Catalog reads
    --    only, so its cost does not grow with the rows.
    SELECT array_agg(DISTINCT tbl ORDER BY tbl) INTO referencing FROM enerlink_fk;
    INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name, details)
    SELECT 0, 'table_identity', 'table', c.oid::regclass::text, c.relname,
           CASE WHEN c.oid = parent THEN 'user' ELSE c.relname END,
           jsonb_build_object('oid', c.oid, 'relfilenode', c.relfilenode,
                              'reltuples', c.reltuples::bigint, 'relpages', c.relpages)
      FROM pg_class c
     WHERE c.oid = ANY (coalesce(referencing, '{}') || parent)
     ORDER BY c.relname;
    INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name, details)
    SELECT 0, 'foreign_key', 'constraint', tbl_text, conname,
           left(tbl_name || '_' || replace(col, 'prosumer', 'user') || '_fkey', 63),
           jsonb_build_object('column', col, 'new_column', replace(col, 'prosumer', 'user'),
                              'on_delete', confdeltype, 'on_update', confupdtype, 'deferrable', condeferrable,
                              'deferred', condeferred, 'validated', convalidated, 'definition', definition)
      FROM enerlink_fk;

    -- 4. Locks: referencing tables in name order, prosumer last, all within one budget
    --    (pg_temp.enerlink_lock_tables, .locks.sql).
    PERFORM pg_temp.enerlink_lock_tables(
        ARRAY(SELECT tbl FROM (SELECT DISTINCT tbl, tbl_text FROM enerlink_fk) t ORDER BY tbl_text) || parent);

    -- 5. Referencing columns, their keys and their single-column indexes.
    FOR fk IN SELECT * FROM enerlink_fk ORDER BY tbl_text, col LOOP
        new_column := replace(fk.col, 'prosumer', 'user');
        IF new_column <> fk.col THEN
            EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', fk.tbl, fk.col, new_column);
            step := step + 1;
            INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
            VALUES (step, 'rename', 'column', fk.tbl_text, fk.col, new_column);
        END IF;
        new_name := left(fk.tbl_name || '_' || new_column || '_fkey', 63);
        IF new_name <> fk.conname THEN
            IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = fk.tbl AND conname = new_name) THEN
                RAISE EXCEPTION '%table % already has a constraint named %: it looks partly renamed by hand',
                        'enerlink rename: ', fk.tbl, new_name
                    USING HINT = 'Nothing was changed. Run "manage.py verify_user_migration" and see docs/adoption.md.';
            END IF;
            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', fk.tbl, fk.conname, new_name);
            step := step + 1;
            INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
            VALUES (step, 'rename', 'constraint', fk.tbl_text, fk.conname, new_name);
        END IF;
        -- Plain single-column indexes on the column take the canonical name; others lose "prosumer".
        FOR idx IN
            SELECT i.indexrelid::regclass::text AS qualified, c.relname AS name,
                   (i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL) AS plain
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = fk.tbl AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                                         AND k.conrelid = i.indrelid)
               AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = fk.tbl AND attname = new_column)
             ORDER BY c.relname
        LOOP
            new_name := NULL;
            IF idx.plain THEN
                new_name := coalesce(canonical ->> (fk.tbl_name || '.' || new_column),
                                     left('idx_' || replace(fk.tbl_name, '_', '') || '_' || new_column, 63));
                IF to_regclass(quote_ident(new_name)) IS NOT NULL THEN
                    new_name := NULL;  -- taken (a second index on the column): fall back below
                END IF;
            END IF;
            IF new_name IS NULL AND idx.name ~* 'prosumer' THEN
                new_name := regexp_replace(idx.name, 'prosumer', 'user', 'gi');
            END IF;
            IF new_name IS NOT NULL AND new_name <> idx.name THEN
                EXECUTE format('ALTER INDEX %s RENAME TO %I', idx.qualified, new_name);
                step := step + 1;
                INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
                VALUES (step, 'rename', 'index', fk.tbl_text, idx.name, new_name);
            END IF;
        END LOOP;
    END LOOP;

    -- 6. Everything else whose name says prosumer, on the tables this rename touches:
    --    other constraints and indexes (the PK becomes user_pkey), triggers.
    FOR obj IN
        SELECT c.conrelid::regclass AS tbl, c.conrelid::regclass::text AS tbl_text, c.conname AS name,
               CASE WHEN c.contype = 'p' AND c.conrelid = parent THEN 'user_pkey'
                    ELSE regexp_replace(c.conname, 'prosumer', 'user', 'gi') END AS new_name
          FROM pg_constraint c
         WHERE c.conrelid = ANY (referencing || parent)
           AND ((c.contype = 'p' AND c.conrelid = parent)
                OR (c.conname ~* 'prosumer' AND c.oid NOT IN (SELECT oid FROM enerlink_fk)))
         ORDER BY 2, 3
    LOOP
        IF obj.new_name <> obj.name THEN
            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', obj.tbl, obj.name, obj.new_name);
            step := step + 1;
            INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
            VALUES (step, 'rename', 'constraint', obj.tbl_text, obj.name, obj.new_name);
        END IF;
    END LOOP;
    FOR obj IN
        SELECT i.indexrelid::regclass::text AS qualified, i.indrelid::regclass::text AS tbl_text, c.relname AS name
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = ANY (referencing || parent) AND c.relname ~* 'prosumer'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
         ORDER BY 2, 3
    LOOP
        new_name := regexp_replace(obj.name, 'prosumer', 'user', 'gi');
        EXECUTE format('ALTER INDEX %s RENAME TO %I', obj.qualified, new_name);
        step := step + 1;
        INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
        VALUES (step, 'rename', 'index', obj.tbl_text, obj.name, new_name);
    END LOOP;
    FOR obj IN
        SELECT t.tgrelid::regclass AS tbl, t.tgrelid::regclass::text AS tbl_text, t.tgname AS name
          FROM pg_trigger t
         WHERE NOT t.tgisinternal AND t.tgrelid = ANY (referencing || parent) AND t.tgname ~* 'prosumer'
         ORDER BY 2, 3
    LOOP
        new_name := regexp_replace(obj.name, 'prosumer', 'user', 'gi');
        EXECUTE format('ALTER TRIGGER %I ON %s RENAME TO %I', obj.name, obj.tbl, new_name);
        step := step + 1;
        INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
        VALUES (step, 'rename', 'trigger', obj.tbl_text, obj.name, new_name);
    END LOOP;
    FOR obj IN
        SELECT c.oid::regclass::text AS qualified, c.relname AS name
          FROM pg_class c
         WHERE c.relkind = 'S' AND c.relname ~* 'prosumer'
           AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = parent)
         ORDER BY 2
    LOOP
        new_name := regexp_replace(obj.name, 'prosumer', 'user', 'gi');
        EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', obj.qualified, new_name);
        step := step + 1;
        INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
        VALUES (step, 'rename', 'sequence', NULL, obj.name, new_name);
    END LOOP;

    -- 7. The primary-key column, then the table itself.
    EXECUTE 'ALTER TABLE prosumer RENAME COLUMN prosumer_id TO user_id';
    step := step + 1;
    INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
    VALUES (step, 'rename', 'column', 'prosumer', 'prosumer_id', 'user_id');
    -- Index columns keep the name their table column had when the index was built
    -- (psql's \d shows it); give them the new one too.
    FOR obj IN
        SELECT i.indexrelid::regclass::text AS qualified, a.attname AS name
          FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indexrelid
         WHERE i.indrelid = ANY (referencing || parent) AND a.attname ~* 'prosumer'
         ORDER BY 1, a.attnum
    LOOP
        new_name := regexp_replace(obj.name, 'prosumer', 'user', 'gi');
        EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', obj.qualified, obj.name, new_name);
        step := step + 1;
        INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
        VALUES (step, 'rename', 'index_column', obj.qualified, obj.name, new_name);
    END LOOP;
    EXECUTE 'ALTER TABLE prosumer RENAME TO "user"';
    step := step + 1;
    INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name)
    VALUES (step, 'rename', 'table', 'prosumer', 'prosumer', 'user');

    -- 8. Comments, journaled with the ones they replace.
    step := step + 1;
    INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name, old_value, new_value)
    VALUES (step, 'comment', 'table', '"user"', 'user', 'user', obj_description(parent, 'pg_class'),
            'User accounts table (formerly prosumer)');
    EXECUTE format('COMMENT ON TABLE "user" IS %L', 'User accounts table (formerly prosumer)');
    FOR obj IN
        SELECT a.attrelid::regclass AS tbl, a.attrelid::regclass::text AS tbl_text, a.attname AS col,
               col_description(a.attrelid, a.attnum) AS old_comment,
               comments ->> (c.relname || '.' || a.attname) AS new_comment
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE a.attrelid = ANY (referencing || parent) AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY 2, 3
    LOOP
        CONTINUE WHEN obj.new_comment IS NULL;
        step := step + 1;
        INSERT INTO user_rename_journal (step, kind, object_type, table_name, old_name, new_name, old_value,
                                         new_value)
        VALUES (step, 'comment', 'column', obj.tbl_text, obj.col, obj.col, obj.old_comment, obj.new_comment);
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', obj.tbl, obj.col, obj.new_comment);
    END LOOP;
    RAISE NOTICE '%renamed prosumer to "user": % catalog changes', 'enerlink rename: ', step;
END
$rename$;
