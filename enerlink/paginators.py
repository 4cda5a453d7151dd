"""A paginator for changelists of tables with millions of rows.

The admin counts the changelist on every page (``SELECT count(*)``), which
reads the whole table: seconds at a million rows. Unfiltered, the planner's
estimate in ``pg_class.reltuples`` is good enough to number the pages; a
filtered or searched list is usually small and keeps the exact count.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this estimate an exact count is cheap, and exact is nicer.
EXACT_COUNT_BELOW = 100_000


class EstimatedCountPaginator(Paginator):
    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is None or query.where or query.distinct:
            return super().count
        model = self.object_list.model
        connection = connections[self.object_list.db]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
                [connection.ops.quote_name(model._meta.db_table)],
            )
            row = cursor.fetchone()
        estimate = row[0] if row else -1
        if estimate < EXACT_COUNT_BELOW:  # -1: never analysed
            return super().count
        return estimate
