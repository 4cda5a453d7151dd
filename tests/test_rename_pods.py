"""Two deploy pods run ``manage.py migrate`` on one database at once: one applies, the other waits for it
(the migrate lock), says whom for, and then has nothing to do. Run several times, with the second pod
starting at different moments of the first one's run (before the rename, during it, during the
concurrent index builds).

On a loaded machine the start-up of ``manage.py`` can outlast a whole migrate of a small database, so
that the pods never meet. In the first rounds a report's old snapshot therefore holds the applying pod
in its concurrent index builds until the other pod is seen polling for the migrate lock: those rounds
meet on any machine; the later ones start the second pod at whatever moment its delay gives.
"""

import time

from tests.faults import MIGRATE_APPLICATION, open_snapshot, start_manage, wait_until

WAITED = "No migrations to apply: the migrate this one waited for applied them meanwhile."
STAGGERS = [0.0, 0.3, 0.8, 1.5]
HELD_ROUNDS = 2

# A migrate session that does not hold the migrate lock and sits between two polls for it: its last
# query is one of the lock loop's (accounts/deploy/lock.py, enerlink/sessions.py), not a set-up one.
WAITING_FOR_THE_LOCK = """
SELECT count(*) FROM pg_stat_activity a
 WHERE a.datname = current_database() AND a.application_name = %s AND a.state = 'idle'
   AND (a.query LIKE '%%pg_try_advisory_lock%%' OR a.query LIKE '%%pg_locks%%'
        OR a.query LIKE '%%pg_stat_activity%%')
   AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted)
"""


def start_two_pods(database, stagger, held):
    """Start the pods ``stagger`` seconds apart; when ``held``, keep the applier in its index builds
    until the other one waits for the migrate lock."""
    holder = open_snapshot(database, application="report") if held else None
    try:
        first = start_manage(database, "migrate")
        time.sleep(stagger)
        second = start_manage(database, "migrate")
        if holder is not None:
            with database.connect() as conn:
                wait_until(
                    lambda: conn.execute(WAITING_FOR_THE_LOCK, [MIGRATE_APPLICATION]).fetchone()[0],
                    timeout=120,
                    what="a pod polling for the migrate lock",
                )
    finally:
        if holder is not None:
            holder.rollback()
            holder.close()
    return first, second


def test_two_migrates_at_once_apply_everything_exactly_once(scratch_db, templates):
    waited_rounds = 0
    for round_number, stagger in enumerate(STAGGERS):
        database = scratch_db(template=templates.get("ready"))
        first, second = start_two_pods(database, stagger, held=round_number < HELD_ROUNDS)
        outputs = [pod.communicate(timeout=180) for pod in (first, second)]
        results = [
            (pod.returncode, out, err) for pod, (out, err) in zip((first, second), outputs, strict=True)
        ]
        context = f"stagger {stagger} s: {results}"
        assert [code for code, _, _ in results] == [0, 0], context
        appliers = [out for _, out, _ in results if "Applying accounts.0003_rename_prosumer_to_user" in out]
        assert len(appliers) == 1, context
        (other_out, other_err) = next((out, err) for _, out, err in results if out not in appliers)
        if other_out.strip() == WAITED:
            waited_rounds += 1
            (line,) = other_err.strip().splitlines()
            assert line.startswith("waiting for another migrate of this database to finish: pid "), context
            assert "application 'manage.py migrate'" in line, context
        else:  # it started after the first had finished: Django's own words
            assert "No migrations to apply." in other_out and other_err == "", context
        with database.connect() as conn:
            duplicates = conn.execute(
                "SELECT app, name FROM django_migrations GROUP BY 1, 2 HAVING count(*) > 1"
            ).fetchall()
            assert duplicates == [], context
            assert conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone() == (0,)
        database.manage("verify_user_migration", "--no-store")
    assert waited_rounds >= 2, "the pods never ran at the same time"
