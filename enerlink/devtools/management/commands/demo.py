import sys

from django.core.management.base import BaseCommand, CommandError

from enerlink.commands import OneLineErrors
from enerlink.devtools import demo


class Command(OneLineErrors, BaseCommand):
    connects = False  # it creates its own database on the embedded server

    help = (
        "The main job: on the embedded PostgreSQL, build a legacy EnerLink database of N users, "
        "rename prosumer to user with manage.py migrate, and print the verification report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10_000, help="Number of users (default 10,000).")

    def handle(self, *args, users, **options):
        if users < 1:
            raise CommandError("--users must be a positive whole number.")
        try:
            code = demo.run(users, self.stdout.write)
        except demo.DemoRefused as error:
            raise CommandError(str(error)) from error
        if code:
            sys.exit(code)
