"""``manage.py lint_migrations``: squawk on the SQL of every migration (``enerlink.devtools.squawk``)."""

from django.core.management.base import BaseCommand, CommandError

from enerlink.devtools.squawk import PROJECT_APPS, lint_migration, project_migrations


class Command(BaseCommand):
    help = "Lint the SQL of every migration (manage.py sqlmigrate) of the project's apps with squawk."

    def add_arguments(self, parser):
        parser.add_argument(
            "app_labels", nargs="*", default=list(PROJECT_APPS), help="default: accounts energy"
        )

    def handle(self, *args, app_labels, **options):
        failed = []
        for app, name in project_migrations(app_labels):
            status, report, ignored = lint_migration(app, name)
            if status == 0:
                suffix = f" (ignored: {', '.join(sorted(ignored))})" if ignored else ""
                self.stdout.write(f"ok   {app} {name}{suffix}")
            else:
                failed.append(f"{app} {name}")
                self.stdout.write(
                    f"FAIL {app} {name}: squawk on `manage.py sqlmigrate {app} {name}`\n{report}\n"
                )
        if failed:
            raise CommandError(
                f"squawk found problems in {len(failed)} migration(s): {', '.join(failed)}. Make the "
                "migration safe, or ignore the rule for that migration in IGNORED of "
                "enerlink/devtools/squawk.py with the reason (and in docs/quality.md)."
            )
