-- accounts 0003, reverse: restore prosumer and every original name from user_rename_journal.
--
-- Same locks as the forward step (.locks.sql); the indexes that energy 0003 journaled as
-- built are dropped (a reverse of energy 0003 that was interrupted, or a forward run that
-- stopped in energy 0003, may have left some, valid or INVALID); every journaled rename and
-- comment is undone in reverse order; the journal is emptied; and this migration's own row
-- of django_migrations is deleted here, in the same transaction, so that the rename and its
-- record are undone together (Django would delete it only after this transaction commits).
-- `manage.py sqlmigrate accounts 0003 --backwards` prints this file after the line that sets
-- the lock budget and the lock functions.

DO $restore$
DECLARE
    entry record;
    target text;
BEGIN
    IF to_regclass('"user"') IS NULL OR to_regclass('prosumer') IS NOT NULL THEN
        RAISE EXCEPTION '%cannot restore prosumer: expected table "user" and no table prosumer', 'enerlink rename: '
            USING HINT = 'Nothing was changed.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM user_rename_journal WHERE kind = 'rename' AND object_type = 'table') THEN
        RAISE EXCEPTION '%the rename journal is empty: nothing records the names to restore', 'enerlink rename: '
            USING HINT = 'Nothing was changed. This database was not renamed by this migration '
                         '(it was faked or renamed by hand), so it cannot be restored exactly.';
    END IF;

    -- Same lock order as the forward step: referencing tables by name, the user table last.
    PERFORM pg_temp.enerlink_lock_tables(
        ARRAY(SELECT (details->>'oid')::oid::regclass FROM user_rename_journal
               WHERE kind = 'table_identity' AND new_name <> 'user' ORDER BY table_name)
        || '"user"'::regclass);

    -- Indexes energy 0003 built and did not drop itself (their tables are locked above).
    FOR entry IN SELECT DISTINCT old_name FROM user_rename_journal WHERE kind = 'index_build' ORDER BY 1 LOOP
        EXECUTE format('DROP INDEX IF EXISTS %I', entry.old_name);
    END LOOP;

    FOR entry IN SELECT * FROM user_rename_journal WHERE kind IN ('rename', 'comment') ORDER BY step DESC LOOP
        IF entry.kind = 'comment' AND entry.object_type = 'table' THEN
            EXECUTE format('COMMENT ON TABLE %s IS %L', entry.table_name, entry.old_value);
        ELSIF entry.kind = 'comment' THEN
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', entry.table_name, entry.old_name, entry.old_value);
        ELSIF entry.object_type = 'table' THEN
            EXECUTE format('ALTER TABLE %I RENAME TO %I', entry.new_name, entry.old_name);
        ELSIF entry.object_type IN ('column', 'index_column') THEN
            EXECUTE format('ALTER TABLE %s RENAME COLUMN %I TO %I', entry.table_name, entry.new_name,
                           entry.old_name);
        ELSIF entry.object_type = 'constraint' THEN
            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', entry.table_name, entry.new_name,
                           entry.old_name);
        ELSIF entry.object_type = 'index' THEN
            target := (SELECT c.oid::regclass::text FROM pg_class c
                        WHERE c.relname = entry.new_name AND c.relkind IN ('i', 'I')
                          AND c.relnamespace = (SELECT relnamespace FROM pg_class
                                                 WHERE oid = entry.table_name::regclass));
            EXECUTE format('ALTER INDEX %s RENAME TO %I', target, entry.old_name);
        ELSIF entry.object_type = 'trigger' THEN
            EXECUTE format('ALTER TRIGGER %I ON %s RENAME TO %I', entry.new_name, entry.table_name, entry.old_name);
        ELSIF entry.object_type = 'sequence' THEN
            EXECUTE format('ALTER SEQUENCE %I RENAME TO %I', entry.new_name, entry.old_name);
        END IF;
    END LOOP;
    DELETE FROM user_rename_journal;
    DELETE FROM django_migrations WHERE app = 'accounts' AND name = '0003_rename_prosumer_to_user';
    RAISE NOTICE '%restored table prosumer and its original names', 'enerlink rename: ';
END
$restore$;
