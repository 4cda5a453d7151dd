"""The compatibility schema: the old backend's names, as views over the real tables, for a rolling deploy.

While old instances (NestJS/TypeORM, which say ``prosumer`` / ``prosumer_id``)
and new ones run side by side, old instances connect with
``search_path=enerlink_prosumer,public`` and find, first in that path, one
plain view per table the rename touches, under the old table and column names.
PostgreSQL makes such views automatically updatable: INSERT (with the real
table's defaults and sequences), UPDATE, DELETE, RETURNING and ON CONFLICT reach
the real tables with their keys, rules and triggers. A view follows its table
by OID, so it keeps working through the rename and its reverse. See
docs/compat.md; ``manage.py user_rename_compat`` is the command on top.
"""

from accounts.compat.definitions import (
    DEFAULT_SCHEMA,
    MARKER,
    Busy,
    CompatError,
    ViewDefinition,
    check_schema_name,
    expected_views,
)
from accounts.compat.inspection import Session, Status, ViewState, installed_schemas
from accounts.compat.operations import InstallResult, RemoveResult, default_schema, install, remove, status

__all__ = [
    "DEFAULT_SCHEMA",
    "MARKER",
    "Busy",
    "CompatError",
    "InstallResult",
    "RemoveResult",
    "Session",
    "Status",
    "ViewDefinition",
    "ViewState",
    "check_schema_name",
    "default_schema",
    "expected_views",
    "install",
    "installed_schemas",
    "remove",
    "status",
]
