"""What the database should look like after the rename, read from the models.

Nothing here is a list of names kept by hand: the foreign keys, the named
indexes and the comments are what the models of ``accounts`` and ``energy``
declare, so a change to a model changes what the report expects.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.apps import apps
from django.db import models

PROJECT_APPS = ("accounts", "energy")

# The database rule each on_delete stands for. PROTECT and DO_NOTHING are enforced by Django,
# not the database: there the legacy rule is NO ACTION.
MODEL_RULES = {models.CASCADE: "c", models.PROTECT: "a", models.DO_NOTHING: "a", models.RESTRICT: "r"}


class KeyDefinition(NamedTuple):
    """What a foreign key to "user" does, as pg_constraint says it (rules as confdeltype codes)."""

    on_delete: str
    on_update: str
    deferrable: bool
    deferred: bool
    validated: bool


# Every key of the legacy schema (legacy-schema.md): ON UPDATE NO ACTION, NOT DEFERRABLE, validated;
# its ON DELETE rule is the model's.
LEGACY_KEY_DEFINITION = KeyDefinition("a", "a", False, False, True)

# The one referencing column the legacy schema declares narrower than the key it references
# (legacy-schema.md: token_blacklist.prosumer_id varchar(255)). A ForeignKey takes its type from
# the key, so the model cannot say it; the rename keeps it.
LEGACY_COLUMN_TYPES = {("token_blacklist", "user_id"): "character varying(255)"}


@dataclass(frozen=True)
class ExpectedForeignKey:
    table: str
    column: str
    model_rule: str
    null: bool = False
    model_field: object = field(default=None, compare=False, repr=False)

    def model_type(self, connection):
        """The column type the model says (a ForeignKey's is its target key's), as PostgreSQL names it."""
        return LEGACY_COLUMN_TYPES.get((self.table, self.column)) or self.model_field.db_type(connection)

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
                found.append(
                    ExpectedForeignKey(
                        model._meta.db_table, model_field.column, rule, model_field.null, model_field
                    )
                )
    return sorted(found, key=lambda key: (key.table, key.column))


@dataclass(frozen=True)
class ExpectedIndex:
    """An index a model names, with what it must index."""

    table: str
    name: str
    model: object = field(compare=False, repr=False)
    index: object = field(compare=False, repr=False)

    @property
    def columns(self):
        return [self.model._meta.get_field(name).column for name, _order in self.index.fields_orders]

    @property
    def descending(self):
        return [order == "DESC" for _name, order in self.index.fields_orders]

    @property
    def include(self):
        return [self.model._meta.get_field(name).column for name in self.index.include]

    @property
    def method(self):
        # django.contrib.postgres' index classes name their access method in ``suffix``.
        return getattr(self.index, "suffix", "idx") if type(self.index) is not models.Index else "btree"

    def condition_sql(self, connection):
        """The model's WHERE clause as SQL, or None."""
        return self.index._get_condition_sql(self.model, connection.schema_editor())

    def create_sql(self, connection):
        """CREATE INDEX CONCURRENTLY, as the model defines the index."""
        return f"{self.index.create_sql(self.model, connection.schema_editor(), concurrently=True)};"


def expected_named_indexes():
    """Every index the models name: the guide's single and composite ones."""
    return sorted(
        (
            ExpectedIndex(model._meta.db_table, index.name, model, index)
            for model in project_models()
            for index in model._meta.indexes
        ),
        key=lambda expected: (expected.table, expected.name),
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
