-- accounts 0003, reverse: restore prosumer and every original name from user_rename_journal.
--
-- Same lock order as the forward step; every journaled rename and comment is undone in
-- reverse order, and the journal is emptied. `manage.py sqlmigrate accounts 0003 --backwards`
-- prints this file after the line that sets the lock timeout.

CREATE OR REPLACE FUNCTION pg_temp.enerlink_lock(target regclass, lock_mode text) RETURNS void
LANGUAGE plpgsql AS $lock$
DECLARE
    holders text;
BEGIN
    EXECUTE format('LOCK TABLE %s IN %s MODE', target, lock_mode);
EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
    SELECT string_agg(DISTINCT format('pid %s (%s, user %s, application %L, %s since %s)',
                      a.pid, l.mode, a.usename, a.application_name, a.state,
                      to_char(coalesce(a.xact_start, a.backend_start), 'HH24:MI:SS')), '; ')
      INTO holders
      FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.relation = target AND l.granted AND l.pid <> pg_backend_pid();
    RAISE EXCEPTION '%could not lock table % (% mode) within lock_timeout %: held by %',
            'enerlink rename: ', target, lock_mode, current_setting('lock_timeout'),
            coalesce(holders, 'a transaction that ended meanwhile')
        USING ERRCODE = 'lock_not_available',
              HINT = 'Nothing was changed. Re-run "manage.py migrate" once that transaction ends '
                     '(or end it: SELECT pg_cancel_backend(<pid>)). ENERLINK_RENAME_LOCK_TIMEOUT sets the wait.';
END
$lock$;


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
    FOR entry IN
        SELECT (details->>'oid')::oid::regclass AS tbl FROM user_rename_journal
         WHERE kind = 'table_identity' AND new_name <> 'user' ORDER BY table_name
    LOOP
        PERFORM pg_temp.enerlink_lock(entry.tbl, 'ACCESS EXCLUSIVE');
    END LOOP;
    PERFORM pg_temp.enerlink_lock('"user"'::regclass, 'ACCESS EXCLUSIVE');

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
    RAISE NOTICE '%restored table prosumer and its original names', 'enerlink rename: ';
END
$restore$;
