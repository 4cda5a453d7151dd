"""How long the staff admin's busiest pages take on the database behind the settings.

Run it against a large database, e.g. one built by ``manage.py build_legacy_data
--users 1000000`` and migrated::

    ENERLINK_DATABASE=enerlink_big python -m benchmarks.admin_pages

It signs in a throw-away staff user through Django's test client, fetches each page
five times, and prints the median time, the number of queries, and whether any query
counted a whole table (what the estimated-count paginator is there to avoid).
"""

import os
import statistics
import sys
import time

PAGES = [
    "/admin/accounts/user/",
    "/admin/accounts/user/?q={user_id}",
    "/admin/accounts/user/?q={email}",
    "/admin/accounts/user/{user_id}/change/",
    "/admin/energy/wallet/",
    "/admin/energy/smartmeter/",
    "/admin/energy/transactionlog/",
    "/admin/energy/transactionlog/?q={user_id}",
    "/admin/energy/transactionlog/?p=100",
    "/admin/energy/markettrade/",
    "/admin/energy/idrsconversion/",
    "/admin/energy/energysettlement/",
    "/admin/energy/tokenblacklist/",
]
REPEAT = 5


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "enerlink.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User as Staff
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    sample = User.objects.order_by("pk").first()
    if sample is None:
        sys.exit("the database has no platform users: build some with manage.py build_legacy_data")
    staff, _ = Staff.objects.get_or_create(username="admin-pages-bench", defaults={"is_staff": True})
    staff.is_superuser = True
    staff.save()
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    database = connection.settings_dict["NAME"]
    print(f"| page (database {database}) | queries | median |")
    print("|---|---:|---:|")
    try:
        for page in PAGES:
            url = page.format(user_id=sample.pk, email=sample.email)
            seconds = []
            for _ in range(REPEAT):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    seconds.append(time.perf_counter() - started)
                if response.status_code != 200:
                    sys.exit(f"{url} answered {response.status_code}")
            full_counts = [
                q["sql"]
                for q in queries.captured_queries
                if "COUNT(" in q["sql"].upper() and "WHERE" not in q["sql"]
            ]
            flag = " (counts a whole table)" if full_counts else ""
            shown = page.replace("{user_id}", "<id>").replace("{email}", "<email>")
            median_ms = statistics.median(seconds) * 1000
            print(f"| `{shown}`{flag} | {len(queries.captured_queries)} | {median_ms:.0f} ms |")
    finally:
        staff.delete()


if __name__ == "__main__":
    main()
