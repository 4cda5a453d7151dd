"""``showmigrations``: Django's, with bad input (options, settings, an unreachable database) as one line."""

from django.core.management.commands.showmigrations import Command as DjangoShowmigrationsCommand

from enerlink.commands import OneLineErrors


class Command(OneLineErrors, DjangoShowmigrationsCommand):
    pass
