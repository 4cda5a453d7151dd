"""One line and an exit code, never a traceback, for what goes wrong around a management command.

A deploy log must say in one line what happened and what to do, and a deploy script
must be able to branch on the exit code. Every command of the project goes through
``OneLineErrors`` (a mixin for ``BaseCommand``, as Django's ``run_from_argv`` is for
``CommandError``), and every exit code means the same thing in each of them:

====  ======================================================================================
0     done, passed, or nothing to do
1     the command ran and the answer is no: a check failed, the database's state refused
      it, it is blocked, a lock was busy, a step stopped midway (what it left is said)
2     it could not run here: bad usage or option, an invalid setting, no connection,
      the wrong database, a role or session that cannot do it; nothing was attempted
====  ======================================================================================

The mixin turns into that one line:

* an unknown option or a bad argument (exit 2, as argparse does, but one line);
* an invalid setting of the project, found before anything is done (exit 2);
* a database that cannot be reached: wrong host, port, name, role or password (exit 2);
* the command's own outcomes, the exceptions of its service named in ``outcomes``
  with their exit code;
* an error of the database while the command works (exit 1): a role without a
  privilege, a read-only connection, a backend terminated or a connection lost,
  or anything else PostgreSQL refuses, with its SQLSTATE;
* anything else, however deep its cause (exit 1), unless ``--traceback`` asks for it.

The refusals of the project's own SQL (messages that start with ``enerlink <step>: ``)
are shown with their hint, without that prefix.
"""

import re
import sys

import psycopg
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.connection import ConnectionDoesNotExist

EXIT_DONE = 0
EXIT_STOPPED = 1
EXIT_CANNOT_RUN = 2

# Every refusal of the project's migration SQL starts with this ("enerlink rename: ...").
REFUSAL = re.compile(r"^enerlink [a-z_]+: ")
LOST_CONNECTION_STATES = ("57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004")


def sqlstate(error):
    """The SQLSTATE of a psycopg error, or of the one a Django error wraps; None if there is none."""
    for cause in causes(error):
        if getattr(cause, "sqlstate", None):
            return cause.sqlstate
    return None


def causes(error):
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def first_line(error, empty=None):
    """The first line of an error's text; ``empty`` (by default the error's class) when it has none."""
    return (str(error).strip().splitlines() or [empty or type(error).__name__])[0]


def primary_message(error):
    """The server's message, or the driver's, as one line."""
    for cause in causes(error):
        diag = getattr(cause, "diag", None)
        if diag is not None and diag.message_primary:
            return " ".join(diag.message_primary.split())
    return " ".join(first_line(error).split())


def refusal(error):
    """``(message, hint, sqlstate)`` of a refusal raised by the project's SQL, or None."""
    for cause in causes(error):
        diag = getattr(cause, "diag", None)
        primary = getattr(diag, "message_primary", None) or ""
        if REFUSAL.match(primary):
            return REFUSAL.sub("", primary), diag.message_hint, getattr(cause, "sqlstate", None)
    return None


def connection_lost(error):
    state = sqlstate(error)
    if state in LOST_CONNECTION_STATES:
        return True
    text = str(error)
    return state is None and (
        "server closed the connection" in text
        or "connection is closed" in text
        or "consuming input failed" in text
        or "terminating connection" in text
    )


def describe_database_error(error, during="", consequence=""):
    """``(one line, exit code)`` for an error of the database met while the command worked.

    ``during`` says what the command was doing ("while applying x"), ``consequence`` what that
    left behind, as a sentence ("That migration was rolled back.").
    """
    found = refusal(error)
    if found:
        message, hint, state = found
        line = message.rstrip(".") + "." + (f" {hint}" if hint else "")
        return line, EXIT_CANNOT_RUN if state == "3D000" else EXIT_STOPPED
    reason = primary_message(error).rstrip(".")
    state = sqlstate(error)
    where = f" {during}" if during else ""
    then = f" {consequence}" if consequence else ""
    if connection_lost(error):
        return (
            f"lost the connection to the database{where}: {reason}.{then} Run the same command again once "
            "the database is reachable.",
            EXIT_STOPPED,
        )
    if state == "42501":  # insufficient_privilege
        return (
            f"the database role lacks a privilege{where}: {reason}.{then} Run it as the role that owns the "
            "EnerLink tables (docs/adoption.md).",
            EXIT_STOPPED,
        )
    if state == "25006":  # read_only_sql_transaction
        return (
            f"the database connection is read-only{where}: {reason}.{then} Point DATABASE_URL at the "
            "primary server (not a standby), with default_transaction_read_only off.",
            EXIT_STOPPED,
        )
    suffix = f" (SQLSTATE {state})" if state else ""
    return f"the database refused{where}: {reason}{suffix}.{then}", EXIT_STOPPED


def connect_or_stop(alias):
    """Connect ``alias`` now, so that an unreachable database is one line before any work starts."""
    if alias not in connections:
        raise CommandError(
            f"unknown database alias {alias!r} (see DATABASES in settings)", returncode=EXIT_CANNOT_RUN
        )
    try:
        connections[alias].ensure_connection()
    except DatabaseError as error:
        raise CommandError(
            f"could not connect to the database: {primary_message(error)}. Check DATABASE_URL "
            "(host, port, database name, user, password).",
            returncode=EXIT_CANNOT_RUN,
        ) from None


def one_line(text):
    """Every line of a message joined into one, so that a deploy log keeps it whole."""
    return "; ".join(line.strip() for line in str(text).strip().splitlines() if line.strip())


class OneLineErrors:
    """Mixin for a BaseCommand: usage, settings, outcomes and database errors as one line and an exit code.

    ``connects`` says whether the command works on the database of its ``--database``
    option (default ``default``): it is then connected before ``handle`` runs.
    ``outcomes`` maps the exceptions of the command's service to their exit code
    (subclasses before their bases); their text is the line.
    """

    connects = True
    outcomes = {}

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        if parser.called_from_command_line:

            def one_line_error(message):
                self.stderr.write(f"manage.py {subcommand}: {message} (see manage.py {subcommand} --help)")
                sys.exit(EXIT_CANNOT_RUN)

            parser.error = one_line_error
        return parser

    def execute(self, *args, **options):
        try:
            return self.execute_checked(*args, **options)
        except CommandError as error:
            line = one_line(error)
            self.stopped(line, error.returncode, options, getattr(error, "outcome", None))
            if line == str(error):
                raise  # as it is: Django prints its class (IndexPhaseStopped: ...)
            raise CommandError(line, returncode=error.returncode) from None
        except Exception as error:
            if options.get("traceback"):
                raise
            line = (
                f"stopped by an unexpected {type(error).__name__}: {one_line(first_line(error))}. "
                "Run it again with --traceback for the details"
            )
            self.stopped(line, EXIT_STOPPED, options, error)
            raise CommandError(line, returncode=EXIT_STOPPED) from None

    def execute_checked(self, *args, **options):
        from accounts.settings_checks import settings_problems

        problems = settings_problems()
        if problems:
            raise CommandError("; ".join(problems) + ". Nothing was changed.", returncode=EXIT_CANNOT_RUN)
        if self.connects:
            connect_or_stop(options.get("database") or DEFAULT_DB_ALIAS)
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except tuple(self.outcomes) as error:
            code = next(code for kind, code in self.outcomes.items() if isinstance(error, kind))
            stop = CommandError(str(error), returncode=code)
            stop.outcome = error
            raise stop from None
        except ConnectionDoesNotExist as error:
            raise CommandError(str(error), returncode=EXIT_CANNOT_RUN) from None
        except (DatabaseError, psycopg.Error) as error:
            line, code = describe_database_error(error, *self.doing())
            raise CommandError(line, returncode=code) from None

    def doing(self):
        """``(during, consequence)`` of a database failure now: what the command was doing, what it left."""
        return "", ""

    def stopped(self, line, code, options, outcome):
        """Called with the one line before the command exits with ``code``: e.g. to print it as JSON too.

        ``outcome`` is the exception of ``outcomes`` (or the unexpected one) that stopped it, if any.
        """
