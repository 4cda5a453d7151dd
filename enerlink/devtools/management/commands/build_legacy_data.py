from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from enerlink.commands import OneLineErrors
from enerlink.db import connect
from enerlink.devtools import legacy_data


class Command(OneLineErrors, BaseCommand):
    help = (
        "Fill an empty legacy (pre-rename) database with N realistic users and their wallets, meters, "
        "settlements, orders, transaction logs, trades, conversions and blacklist rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10_000, help="Number of users (default 10,000).")
        parser.add_argument("--batch-size", type=int, default=50_000, help="Users per transaction.")
        parser.add_argument("--database", default="default", help="Database alias (default 'default').")

    def handle(self, *args, users, batch_size, database, **options):
        if users < 1 or batch_size < 1:
            raise CommandError("--users and --batch-size must be positive whole numbers.")
        progress = Progress(
            TextColumn("building legacy data"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=options["verbosity"] == 0,
        )
        try:
            with connect(database, autocommit=True) as conn, progress:
                task = progress.add_task("users", total=users)
                result = legacy_data.build(
                    conn, users, batch_size, on_batch=lambda done: progress.update(task, completed=done)
                )
        except (legacy_data.LegacySchemaMissing, legacy_data.DatabaseNotEmpty) as error:
            raise CommandError(str(error)) from error
        total = sum(result.rows.values())
        self.stdout.write(self.style.SUCCESS(f"Built {result.users:,} users ({total:,} rows):"))
        for table, rows in result.rows.items():
            self.stdout.write(f"  {table:<20} {rows:>12,}")
