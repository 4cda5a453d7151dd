"""What a repaired database looks like: what the models declare, named the way the rename names things.

The models say which columns reference the user (and with which ON DELETE rule),
which indexes exist and which comments are set; ``accounts.expectations``
reads them, for the report and for this repair alike. The names follow the rename
(``accounts/migrations/0003_rename_prosumer_to_user.forward.sql``): a key is
``<table>_<column>_fkey``, a plain single-column index on a key column takes the
name the models give it (the rename's ``canonical`` map holds the same names; a test
keeps the two equal), else ``idx_<table without underscores>_<column>``.
"""

from dataclasses import dataclass

from accounts import catalog
from accounts.expectations import (
    expected_comments,
    expected_foreign_keys,
    project_models,
    user_model,
)
from accounts.facts import canonical_key_name, truncate


@dataclass(frozen=True)
class KeyColumn:
    """A column that references the user, as the models declare it."""

    table: str
    column: str  # after the rename
    model_rule: str  # the ON DELETE rule the models declare (pg_constraint code)
    index_name: str  # the name a plain single-column index on it takes

    @property
    def legacy(self):
        return catalog.legacy_column(self.column)

    @property
    def key_name(self):
        return canonical_key_name(self.table, self.column)

    @property
    def where(self):
        return f"{self.table}.{self.column}"


@dataclass(frozen=True)
class ModelIndex:
    table: str
    name: str
    model: type
    index: object  # django.db.models.Index

    def create_sql(self, schema_editor):
        """The CREATE INDEX CONCURRENTLY that Django (and so energy.0003) writes for this index."""
        return str(self.index.create_sql(self.model, schema_editor, concurrently=True))


def fallback_index_name(table, column):
    return truncate(f"idx_{table.replace('_', '')}_{column}")


def model_indexes():
    """Every index the models name, with its model."""
    return [
        ModelIndex(model._meta.db_table, index.name, model, index)
        for model in project_models()
        for index in model._meta.indexes
    ]


def single_column_index_names():
    """(table, column) -> name of the model's plain index on that one column."""
    names = {}
    for found in model_indexes():
        index = found.index
        if len(index.fields) == 1 and not index.expressions and index.condition is None:
            column = found.model._meta.get_field(index.fields[0]).column
            names[(found.table, column)] = found.name
    return names


def key_columns():
    """Every column of the models that references the user, with its canonical index name."""
    names = single_column_index_names()
    return [
        KeyColumn(
            key.table,
            key.column,
            key.model_rule,
            names.get((key.table, key.column)) or fallback_index_name(key.table, key.column),
        )
        for key in expected_foreign_keys()
    ]


def user_table_name():
    return user_model()._meta.db_table


def comments():
    """(table, column or None) -> comment, as the models declare them (the rename's ``comments`` map)."""
    return expected_comments()
