"""Two deploy pods run ``manage.py migrate`` on one database at once: one applies, the other waits for it
(the migrate lock), says whom for, and then has nothing to do. Run several times, with the second pod
starting at different moments of the first one's run (before the rename, during it, during the
concurrent index builds)."""

import time

from tests.faults import start_manage

WAITED = "No migrations to apply: the migrate this one waited for applied them meanwhile."
STAGGERS = [0.0, 0.3, 0.8, 1.5]


def test_two_migrates_at_once_apply_everything_exactly_once(scratch_db, templates):
    waited_rounds = 0
    for stagger in STAGGERS:
        database = scratch_db(template=templates.get("ready"))
        first = start_manage(database, "migrate")
        time.sleep(stagger)
        second = start_manage(database, "migrate")
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
