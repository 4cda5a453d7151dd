"""Base classes for the staff admin of tables that hold millions of rows."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q

from enerlink.paginators import EstimatedCountPaginator


class LargeTableAdmin(admin.ModelAdmin):
    """No full COUNT per page, related rows joined in the one query, raw-id widgets for keys.

    Search is exact on the columns in ``search_fields`` (a key, an email): Django's
    default ``icontains`` search cannot use an index and scans the table.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if self.search_fields and self.search_help_text is None:
            names = [str(model._meta.get_field(name).verbose_name) for name in self.search_fields]
            self.search_help_text = f"Exact match on {' or '.join(names)}."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q()
        for name in self.get_search_fields(request):
            model_field = self.model._meta.get_field(name)
            try:
                value = (
                    model_field.target_field.to_python(term)
                    if model_field.is_relation
                    else (model_field.to_python(term))
                )
            except ValidationError:
                continue  # not a valid value for this column (text in an integer key)
            condition |= Q(**{model_field.attname if model_field.is_relation else name: value})
        if not condition:
            return queryset.none(), False
        return queryset.filter(condition), False


class ReadOnlyAdmin(LargeTableAdmin):
    """Ledgers are history: staff may read them, never add, change or delete a row."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
