"""``sqlmigrate``: Django's, with bad input (options, settings, an unreachable database) as one line."""

from django.core.management.commands.sqlmigrate import Command as DjangoSqlmigrateCommand

from enerlink.commands import OneLineErrors


class Command(OneLineErrors, DjangoSqlmigrateCommand):
    pass
