"""The demo: a legacy database built from scratch, renamed, and verified.

It is the main job of the README, run on the embedded PostgreSQL, so that
anyone can watch the rename on a database that looks like production.
"""

import os
import time

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from psycopg import sql

DEMO_STAFF_USERNAME = "admin"
DEMO_STAFF_PASSWORD = "enerlink-demo"  # noqa: S105 (embedded demo database only)


class DemoRefused(Exception):
    pass


def uses_embedded_database():
    return not os.environ.get("DATABASE_URL")


def reset_database(alias="default"):
    """Drop and create the database behind ``alias``: only ever the embedded demo one."""
    if not uses_embedded_database():
        raise DemoRefused(
            "The demo resets its database and only does that on the embedded PostgreSQL. "
            "Unset DATABASE_URL to run it there."
        )
    name = settings.DATABASES[alias]["NAME"]
    connections.close_all()
    from enerlink import embedded

    with psycopg.connect(embedded.server_url("postgres"), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def legacy_summary(alias="default"):
    """A few facts of the legacy schema worth seeing before the rename."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname,
                   CASE c.confdeltype WHEN 'c' THEN 'CASCADE' ELSE 'NO ACTION' END
              FROM pg_constraint c WHERE c.contype = 'f' AND c.confrelid = 'prosumer'::regclass ORDER BY 1, 2
            """
        )
        keys = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM prosumer")
        users = cursor.fetchone()[0]
    return users, keys


def ensure_demo_staff():
    from django.contrib.auth import get_user_model

    staff_model = get_user_model()
    staff, _ = staff_model.objects.get_or_create(
        username=DEMO_STAFF_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    staff.set_password(DEMO_STAFF_PASSWORD)
    staff.save()
    return staff


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def run(users, write, verify=True):
    """Build, rename and verify; ``write`` prints one line. Returns the verification exit code."""
    name = reset_database()
    write(f"1. Fresh database {name!r} on the embedded PostgreSQL")
    for app, target in [("accounts", "0001"), ("energy", "0001")]:
        call_command("migrate", app, target, verbosity=0)
    for app in ["contenttypes", "auth", "admin", "sessions"]:
        call_command("migrate", app, verbosity=0)
    write("2. Legacy schema created by the initial migrations (as the NestJS/TypeORM backend left it)")
    call_command("build_legacy_data", users=users, verbosity=1)
    count, keys = legacy_summary()
    write(f"3. Legacy data: {count:,} users; foreign keys to prosumer, as found in the catalog:")
    for table, name, rule in keys:
        write(f"     {table:<20} {name:<32} ON DELETE {rule}")
    seconds = timed(call_command, "migrate", "accounts", "0003", verbosity=0)
    call_command("migrate", "energy", "0002", verbosity=0)
    write(f"4. Rename (accounts.0003, one transaction, catalog only): {seconds * 1000:.0f} ms")
    seconds = timed(call_command, "migrate", verbosity=0)
    write(f"5. Canonical indexes built concurrently and remaining migrations: {seconds:.1f} s")
    ensure_demo_staff()
    code = 0
    if verify:
        write("6. Verification report (manage.py verify_user_migration):")
        try:
            call_command("verify_user_migration")
        except CommandError as error:
            write(str(error))
            code = error.returncode
    write(
        "\nOpen the admin: .venv/bin/python manage.py runserver, then http://127.0.0.1:8000/admin/ "
        f"(user {DEMO_STAFF_USERNAME!r}, password {DEMO_STAFF_PASSWORD!r})."
    )
    return code
