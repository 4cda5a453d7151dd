-- accounts 0003, both directions: how the rename takes its ACCESS EXCLUSIVE locks.
--
-- docs/rename.md ("Locks") says why it is written this way. In short:
-- * One budget (ENERLINK_RENAME_LOCK_TIMEOUT, set just before this file as
--   enerlink.rename_lock_budget) bounds the whole lock phase, not each lock.
-- * An attempt starts the clock at its first lock request. Its first lock, requested while
--   it holds nothing, may wait until the budget is spent; every later one must be granted
--   within 0.8 x deadlock_timeout of that start. So every session that waits for the rename
--   started waiting after the attempt began, and the rename has released everything before
--   that session's deadlock check runs: an application never gets a deadlock error because
--   of the rename, whatever order it locks tables in. No session waits for the rename longer
--   than one attempt, and never longer than the budget.
-- * An attempt that runs out of time rolls back to its start (a PL/pgSQL exception block is
--   a subtransaction: its locks are released) and the next one starts with the table it
--   could not get. When the budget is spent the rename fails with lock_not_available naming
--   who holds that table; manage.py migrate then retries the whole transaction.

-- Who holds a lock on a table, in words: what PostgreSQL shows this role, and how to see the rest.
-- The same words as enerlink/sessions.py (HOLDERS), which the commands use (tests/test_sessions.py).
CREATE OR REPLACE FUNCTION pg_temp.enerlink_holders(target regclass) RETURNS text
LANGUAGE plpgsql AS $holders$
DECLARE
    described text;
    hidden boolean;
BEGIN
    SELECT string_agg(
               CASE WHEN h.pid IS NULL THEN format('a prepared transaction (%s on %s; see pg_prepared_xacts)',
                                                   h.modes, h.relation)
                    ELSE format('pid %s (%s on %s, user %s, application %L%s)', h.pid, h.modes, h.relation,
                                coalesce(h.usename::text, 'none: a background process such as autovacuum'),
                                coalesce(h.application_name, ''),
                                CASE WHEN h.state IS NULL THEN ''
                                     ELSE format(', %s since %s', h.state, to_char(h.since, 'HH24:MI:SS')) END)
               END, '; ' ORDER BY h.pid, h.relation),
           bool_or(h.pid IS NOT NULL AND h.usename IS NOT NULL AND h.state IS NULL)
      INTO described, hidden
      FROM (SELECT l.pid, l.relation::regclass::text AS relation, string_agg(DISTINCT l.mode, '+') AS modes,
                   a.usename, a.application_name, a.state, coalesce(a.xact_start, a.backend_start) AS since
              FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'relation' AND l.relation = target AND l.granted
               AND l.pid IS DISTINCT FROM pg_backend_pid()
             GROUP BY l.pid, l.relation, a.usename, a.application_name, a.state, a.xact_start, a.backend_start) h;
    IF described IS NULL THEN
        RETURN 'a transaction that ended meanwhile';
    END IF;
    IF hidden THEN
        described := described || format('; PostgreSQL hides the state and start time of other roles'' '
                                         'sessions from role %1$I (GRANT pg_read_all_stats TO %1$I shows them)',
                                         current_user);
    END IF;
    RETURN described;
END
$holders$;


-- Lock every table of targets, in that order, within the budget; raise lock_not_available when spent.
CREATE OR REPLACE FUNCTION pg_temp.enerlink_lock_tables(targets regclass[]) RETURNS void
LANGUAGE plpgsql AS $lock$
DECLARE
    budget constant interval := current_setting('enerlink.rename_lock_budget')::interval;
    deadline constant timestamptz := clock_timestamp() + budget;
    attempt_span constant interval := current_setting('deadlock_timeout')::interval * 0.8;
    attempt integer := 0;
    pending regclass[] := targets;
    target regclass;
    attempt_start timestamptz;
    wait interval;
    taken integer;
    out_of_time boolean;
    blocked regclass;
    holders text;
BEGIN
    LOOP
        attempt := attempt + 1;
        attempt_start := clock_timestamp();
        taken := 0;
        out_of_time := false;
        BEGIN
            FOREACH target IN ARRAY pending LOOP
                wait := deadline - clock_timestamp();
                IF taken > 0 THEN
                    wait := least(wait, attempt_start + attempt_span - clock_timestamp());
                END IF;
                IF wait < interval '1 ms' THEN
                    out_of_time := true;
                    RAISE EXCEPTION 'out of time' USING ERRCODE = 'lock_not_available';
                END IF;
                PERFORM set_config('lock_timeout', ceil(extract(epoch FROM wait) * 1000)::bigint || 'ms', true);
                BEGIN
                    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', target);
                EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
                    -- Say who holds it now, while this attempt's locks still keep everyone in place.
                    blocked := target;
                    holders := pg_temp.enerlink_holders(target);
                    RAISE;
                END;
                taken := taken + 1;
            END LOOP;
            -- Whatever the rename waits for from now on (a sequence in use) ends within the attempt too.
            PERFORM set_config('lock_timeout', greatest(1, ceil(extract(epoch FROM
                    least(deadline, attempt_start + attempt_span) - clock_timestamp()) * 1000))::bigint || 'ms', true);
            RETURN;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            -- The subtransaction is rolled back: every lock of this attempt is released.
            IF clock_timestamp() + interval '1 ms' >= deadline THEN
                RAISE EXCEPTION '%could not lock table % (ACCESS EXCLUSIVE mode) within the lock budget % '
                                '(ENERLINK_RENAME_LOCK_TIMEOUT; % attempt(s)): held by %',
                        'enerlink rename: ', coalesce(blocked, target),
                        trim_scale(round(extract(epoch FROM budget)::numeric, 3)) || 's', attempt,
                        coalesce(holders, pg_temp.enerlink_holders(target))
                    USING ERRCODE = 'lock_not_available',
                          HINT = 'Nothing was changed. Re-run "manage.py migrate" once that transaction ends '
                                 '(or end it: SELECT pg_cancel_backend(<pid>)).';
            END IF;
            IF NOT out_of_time THEN
                RAISE NOTICE '%attempt %: table % is held by %; released the % lock(s) taken, trying again',
                        'enerlink rename: ', attempt, target, holders, taken;
            END IF;
            pending := target || array_remove(targets, target);
        END;
    END LOOP;
END
$lock$;
