"""Platform users, the rename's journal and the verification runs in the staff admin.

``password_hash`` never reaches a page. Platform users can't be added or
deleted here: they sign up through the platform, and deleting one would
either fail on the ledger's keys or cascade through the token blacklist.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from accounts import services, verification
from accounts.models import RenameJournalEntry, User, VerificationRun
from accounts.verification.results import OUTCOME_COLOURS, STATUS_COLOURS
from energy.models import SmartMeter, Wallet
from enerlink.admin_base import LargeTableAdmin


class WalletInline(admin.TabularInline):
    model = Wallet
    fields = ["wallet_address", "wallet_name", "import_method", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]
    extra = 0
    show_change_link = True


class SmartMeterInline(admin.TabularInline):
    model = SmartMeter
    fields = [
        "meter_id",
        "status",
        "location",
        "firmware_version",
        "settlement_interval_minutes",
        "last_seen",
    ]
    readonly_fields = ["last_seen"]
    extra = 0
    show_change_link = True


@admin.register(User)
class UserAdmin(LargeTableAdmin):
    list_display = ["user_id", "email", "name", "primary_wallet_address", "created_at"]
    search_fields = ["user_id", "email"]
    fields = ["user_id", "email", "name", "primary_wallet_address", "created_at", "updated_at"]
    readonly_fields = ["user_id", "created_at", "updated_at"]
    inlines = [WalletInline, SmartMeterInline]
    ordering = ["user_id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RenameJournalEntry)
class RenameJournalEntryAdmin(admin.ModelAdmin):
    list_display = ["step", "kind", "object_type", "table_name", "old_name", "new_name", "recorded_at"]
    list_filter = ["kind", "object_type"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VerificationRun)
class VerificationRunAdmin(admin.ModelAdmin):
    list_display = [
        "started_at",
        "outcome_badge",
        "errors",
        "warnings",
        "fast",
        "database_name",
        "started_by",
    ]
    list_filter = ["outcome", "fast", "database_name"]
    date_hierarchy = "started_at"
    fieldsets = [
        (None, {"fields": ["outcome_badge", "errors", "warnings", "check_table"]}),
        (
            "Run",
            {
                "fields": [
                    "started_at",
                    "finished_at",
                    "fast",
                    "database_name",
                    "server_version",
                    "host",
                    "started_by",
                ]
            },
        ),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="outcome", ordering="outcome")
    def outcome_badge(self, run):
        return format_html(
            '<strong class="outcome-{}" style="color: {}">{}</strong>',
            run.outcome,
            OUTCOME_COLOURS.get(run.outcome, "inherit"),
            run.get_outcome_display(),
        )

    @admin.display(description="checks")
    def check_table(self, run):
        rows = format_html_join(
            "\n",
            '<tr class="check-{}"><td><strong>{} {}</strong><br>{}</td><td>{}</td>'
            '<td style="color: {}; font-weight: bold">{}</td>'
            '<td>{}<ul style="margin: 4px 0 0 1em; padding: 0">{}</ul></td></tr>',
            (
                (
                    check["name"],
                    check.get("id", ""),  # runs stored before checks had IDs have none
                    check["name"],
                    check["title"],
                    check["severity"],
                    STATUS_COLOURS.get(check["status"], "inherit"),
                    check["status"].upper(),
                    check["summary"],
                    format_html_join(
                        "",
                        "<li>{}</li>",
                        (
                            (verification.format_detail(line),)
                            for line in [
                                *check["details"],
                                *(f"fix: {fix}" for fix in check.get("fixes", [])),
                            ]
                        ),
                    ),
                )
                for check in run.checks
            ),
        )
        return format_html(
            '<table id="verification-checks"><thead><tr><th>check</th><th>severity</th><th>result</th>'
            "<th>what was found</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    def get_urls(self):
        return [
            path("run/", self.admin_site.admin_view(self.run_view), name="accounts_verificationrun_run"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_run_verification": can_run_verification(request.user)}
        return super().changelist_view(request, extra_context)

    def run_view(self, request):
        """Run the fast checks now, under a statement timeout, and show the stored run.

        The checks that read rows are left to ``verify_user_migration`` (run after each deploy):
        a web request must not hold a worker for seconds on a ledger of millions of rows.
        """
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not can_run_verification(request.user):
            raise PermissionDenied
        try:
            result = services.verify_and_store(
                started_by=f"admin: {request.user.get_username()}",
                fast=True,
                statement_timeout=settings.ENERLINK_ADMIN_VERIFY_STATEMENT_TIMEOUT,
            )
        except (verification.NotMigrated, verification.CannotVerify) as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_verificationrun_changelist"))
        report = result.report
        level = messages.SUCCESS if report.passed else messages.WARNING
        summary = (
            f"Verification {report.outcome} (fast checks): "
            f"{report.count(verification.FAIL)} failed check(s), "
            f"{report.count(verification.SKIPPED)} skipped."
        )
        if result.run is None:
            self.message_user(request, f"{summary} {result.not_stored}".strip(), level)
            return HttpResponseRedirect(reverse("admin:accounts_verificationrun_changelist"))
        self.message_user(request, summary, level)
        return HttpResponseRedirect(reverse("admin:accounts_verificationrun_change", args=[result.run.pk]))


def can_run_verification(staff_user):
    return staff_user.has_perm("accounts.run_verification")
