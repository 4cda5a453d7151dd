"""The preflight: is it safe to rename prosumer to "user" in this database, now?

``manage.py verify_user_migration --preflight`` runs the checks of suite
``before_rename`` against a database before the rename, with the report's
machinery (``accounts.verification``): each check says what it found and what to
do, exit 0 means go (warnings allowed), 1 a check failed, 2 it could not run.
On a database already renamed (by the migration, by hand, or by the guide's
script) it runs the report's own checks instead, after saying how it was renamed
(``state``). Preflight runs are not stored: before the rename the table of
verification runs does not exist yet.

The checks are registered in the order of the imports below.
"""

# isort: off
from accounts.verification.preflight import state  # noqa: F401
from accounts.verification.preflight import adoption  # noqa: F401
from accounts.verification.preflight import role  # noqa: F401
from accounts.verification.preflight import transactions  # noqa: F401
from accounts.verification.preflight import keys  # noqa: F401
from accounts.verification.preflight import indexes  # noqa: F401
from accounts.verification.preflight import exposed_rows  # noqa: F401
from accounts.verification.preflight import code  # noqa: F401
from accounts.verification.preflight import broken_triggers  # noqa: F401
from accounts.verification.preflight import logical_replication  # noqa: F401
from accounts.verification.preflight import standbys  # noqa: F401

# isort: on
