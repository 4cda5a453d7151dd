"""Model fields for column types the legacy TypeORM schema uses and Django lacks.

The models mirror the legacy tables exactly, so a column that is
``timestamp without time zone``, unbounded ``numeric`` or a PostgreSQL enum
must be declared as such, or the model would describe a different database.
"""

import datetime

from django.db import models


class LegacyTimestampField(models.DateTimeField):
    """``timestamp without time zone`` holding UTC wall-clock times.

    The NestJS backend wrote naive UTC timestamps. Django runs with
    ``USE_TZ = True``; this field hands it aware UTC datetimes and stores naive
    UTC ones, so neither side shifts the values.
    """

    description = "Timestamp without time zone, in UTC"

    def db_type(self, connection):
        return "timestamp"

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value

    def from_db_value(self, value, expression, connection):
        if isinstance(value, datetime.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=datetime.UTC)
        return value


class UnboundedDecimalField(models.DecimalField):
    """``numeric`` without precision or scale, as TypeORM declares amounts.

    Energy and token amounts keep whatever precision the ledger wrote; a fixed
    ``max_digits`` would be a rule the database never had.
    """

    description = "Arbitrary-precision decimal number"

    def __init__(self, *args, **kwargs):
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("max_digits", None)
        kwargs.pop("decimal_places", None)
        return name, path, args, kwargs

    def _check_decimal_places(self):
        return []

    def _check_max_digits(self):
        return []

    def _check_decimal_places_and_max_digits(self, **kwargs):
        return []

    def db_type(self, connection):
        return "numeric"


class PostgresEnumField(models.CharField):
    """A column of a PostgreSQL enum type, shown to Django as text with choices."""

    def __init__(self, *args, enum_type, **kwargs):
        self.enum_type = enum_type
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["enum_type"] = self.enum_type
        return name, path, args, kwargs

    def db_type(self, connection):
        return self.enum_type

    def get_placeholder(self, value, compiler, connection):
        return f"%s::{self.enum_type}"
