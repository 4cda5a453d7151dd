"""``manage.py verify_user_migration``: the post-deploy report, printed and stored.

Exit status: 0 when every check passes (warnings allowed), 1 when a check
fails or the database was not migrated yet, 2 when the report could not run
(no connection, wrong database, a table the role may not read), with a
one-line reason and no traceback. A connection that may not write (a replica,
``default_transaction_read_only``) still gets its report; the run is then not
stored, and the report says so.

``--preflight`` runs the checks of suite before_rename instead, on a database
before the rename (``accounts.verification.preflight``): same exit codes, same
``--json``; its runs are not stored.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accounts import services, verification
from accounts.verification.results import OUTCOME_COLOURS, STATUS_COLOURS
from enerlink.commands import EXIT_CANNOT_RUN, EXIT_STOPPED, OneLineErrors

DETAIL_LINES = 12
ALWAYS_DETAILED = {"R170"}  # the relationship sample
REPORT_WIDTH = 120


class Command(OneLineErrors, BaseCommand):
    printed = False  # the report was printed: a failure after it is only its last line
    outcomes = {verification.NotMigrated: EXIT_STOPPED, verification.CannotVerify: EXIT_CANNOT_RUN}
    help = (
        "Verify that the prosumer -> user rename left the database right: keys, columns, orphans, indexes, "
        "names, code, table identity, comments, migrations. "
        "Exit 0 all passed, 1 a check failed, 2 could not run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="Database alias to verify (default: default)."
        )
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Print the report as one JSON object."
        )
        parser.add_argument(
            "--fast", action="store_true", help="Skip the checks that read every row (orphans)."
        )
        parser.add_argument(
            "--count",
            action="store_true",
            help="Also count every row of the renamed tables exactly (reads them all; compared with the "
            "rename's estimates).",
        )
        parser.add_argument(
            "--no-store", action="store_true", help="Do not save the run as a VerificationRun."
        )
        parser.add_argument(
            "--preflight",
            action="store_true",
            help="Before the rename: is it safe to run now? (never stored; see docs/rollout.md)",
        )
        parser.add_argument(
            "--allow-logical-replication",
            action="store_true",
            help="With --preflight: every subscriber follows docs/logical-replication.md (warn, not stop).",
        )

    def handle(
        self, *args, database, as_json, fast, no_store, count, preflight, allow_logical_replication, **options
    ):
        console = Console(
            file=self.stdout, highlight=False, width=None if self.stdout.isatty() else REPORT_WIDTH
        )
        run = dict(
            using=database,
            fast=fast,
            count=count,
            store=not no_store,
            started_by=verification.describe_starter(),
        )
        if preflight:
            run.update(
                suite=verification.BEFORE_RENAME,
                store=False,
                options={"allow_logical_replication": allow_logical_replication},
            )
        if as_json or not sys.stderr.isatty():
            result = services.verify_and_store(**run)
        else:
            result = self.run_with_progress(run)

        report = result.report
        self.printed = True
        if as_json:
            self.stdout.write(
                _json_dumps(
                    {
                        **report.as_dict(),
                        "run_id": result.run.pk if result.run else None,
                        "not_stored": result.not_stored,
                    }
                )
            )
        else:
            self.print_report(console, report, result)
        if not report.passed:
            raise CommandError(
                f"{'preflight' if preflight else 'verification'} failed: "
                f"{report.count(verification.FAIL)} check(s) failed",
                returncode=EXIT_STOPPED,
            )

    def run_with_progress(self, run):
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("connecting", total=None)

            def show(name, text):
                progress.update(task, description=f"[bold]{name}[/]: {text}")

            return services.verify_and_store(**run, progress=show)

    def print_report(self, console, report, result):
        kind = "preflight" if report.suite == verification.BEFORE_RENAME else "verification"
        table = Table(
            title=f"prosumer -> user {kind}: {report.database} on PostgreSQL {report.server_version} "
            f"({report.host})",
            title_justify="left",
            show_lines=True,
        )
        table.add_column("check", max_width=30)
        table.add_column("severity")
        table.add_column("result", no_wrap=True)
        table.add_column("what was found")
        for check in report.checks:
            style = f"bold {STATUS_COLOURS[check.status]}"
            table.add_row(
                f"{check.id} {check.name}\n[dim]{check.title}[/]",
                check.severity,
                f"[{style}]{check.status.upper()}[/]",
                _describe(check),
            )
        console.print(table)
        outcome_style = f"bold {OUTCOME_COLOURS[report.outcome]}"
        stored = f" Stored as verification run #{result.run.pk}." if result.run else ""
        if result.not_stored:
            stored = f" {result.not_stored[:1].upper()}{result.not_stored[1:]}."
        self.print_fixes(report)
        console.print(
            f"[{outcome_style}]{report.outcome.upper()}[/]: {report.count(verification.FAIL)} failed, "
            f"{report.count(verification.WARN)} warning(s), {report.count(verification.SKIPPED)} skipped, "
            f"in {report.seconds:.2f} s.{escape(stored)}",
            soft_wrap=True,
        )

    def print_fixes(self, report):
        """Every fix, whole and unwrapped so that it can be copied: one left out leaves the report failing."""
        fixes = [(f"{check.id} {check.name}", fix) for check in report.checks for fix in check.fixes]
        if not fixes:
            return
        self.stdout.write(
            "Fixes, in this order (SQL as the owner of the tables unless marked; manage.py as for migrate; "
            "see docs/verification.md):"
        )
        for name, fix in fixes:
            self.stdout.write(f"-- {name}\n{fix}")

    def stopped(self, line, code, options, outcome):
        """With --json, a report that did not run is a JSON object too (a failed one was printed already)."""
        if options.get("as_json") and not self.printed:
            kind = "not_migrated" if isinstance(outcome, verification.NotMigrated) else "error"
            self.stdout.write(_json_dumps({"outcome": kind, "reason": line, "checks": []}))


def _describe(check):
    """Summary, plus the first details of a check that did not pass (problems come first) or of the sample."""
    lines = [check.summary]
    shown = (
        check.details
        if check.status in (verification.FAIL, verification.WARN) or check.id in ALWAYS_DETAILED
        else []
    )
    lines += [f"  - {verification.format_detail(detail)}" for detail in shown[:DETAIL_LINES]]
    if len(shown) > DETAIL_LINES:
        lines.append(f"  ... and {len(shown) - DETAIL_LINES} more (see --json or the admin)")
    if check.fixes:
        lines.append(f"  fixes: {len(check.fixes)}, printed below the table")
    return escape("\n".join(lines))


def _json_dumps(value):
    return json.dumps(value, default=str, indent=2)
