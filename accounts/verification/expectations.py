"""What the database should look like after the rename, read from the models.

Nothing here is a list of names kept by hand: the foreign keys, the named
indexes and the comments are what the models of ``accounts`` and ``energy``
declare, so a change to a model changes what the report expects.
"""

from dataclasses import dataclass

from django.apps import apps
from django.db import models

PROJECT_APPS = ("accounts", "energy")

# The database rule each on_delete stands for. PROTECT and DO_NOTHING are enforced by Django,
# not the database: there the legacy rule is NO ACTION.
RULE_NAMES = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
MODEL_RULES = {models.CASCADE: "c", models.PROTECT: "a", models.DO_NOTHING: "a", models.RESTRICT: "r"}


@dataclass(frozen=True)
class ExpectedForeignKey:
    table: str
    column: str
    model_rule: str

    @property
    def where(self):
        return f"{self.table}.{self.column}"


def user_model():
    return apps.get_model("accounts", "User")


def project_models():
    return [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]


def expected_foreign_keys():
    """Every FK column of the project's models that points at the platform user."""
    found = []
    for model in project_models():
        for model_field in model._meta.local_fields:
            if (
                model_field.is_relation
                and model_field.many_to_one
                and model_field.related_model is user_model()
            ):
                rule = MODEL_RULES.get(model_field.remote_field.on_delete, "a")
                found.append(ExpectedForeignKey(model._meta.db_table, model_field.column, rule))
    return sorted(found, key=lambda key: (key.table, key.column))


def expected_named_indexes():
    """(table, index) for every index the models name: the guide's single and composite ones."""
    return sorted(
        (model._meta.db_table, index.name) for model in project_models() for index in model._meta.indexes
    )


def expected_comments():
    """(table, column or None) -> comment, from db_table_comment and db_comment."""
    comments = {}
    for model in project_models():
        if model._meta.db_table_comment:
            comments[(model._meta.db_table, None)] = model._meta.db_table_comment
        for model_field in model._meta.local_fields:
            if model_field.db_comment:
                comments[(model._meta.db_table, model_field.column)] = model_field.db_comment
    return comments
