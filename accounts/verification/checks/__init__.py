"""The checks of the report, one module each.

Importing a module registers its checks; the report runs them in the order of
the imports below (kept out of isort's reach on purpose).
"""

# isort: off
from accounts.verification.checks import user_table  # noqa: F401
from accounts.verification.checks import foreign_keys  # noqa: F401
from accounts.verification.checks import columns  # noqa: F401
from accounts.verification.checks import other_keys  # noqa: F401
from accounts.verification.checks import names  # noqa: F401
from accounts.verification.checks import code  # noqa: F401
from accounts.verification.checks import broken_before_rename  # noqa: F401
from accounts.verification.checks import compat  # noqa: F401
from accounts.verification.checks import orphans  # noqa: F401
from accounts.verification.checks import indexes  # noqa: F401
from accounts.verification.checks import identity  # noqa: F401
from accounts.verification.checks import counts  # noqa: F401
from accounts.verification.checks import migrations  # noqa: F401
from accounts.verification.checks import comments  # noqa: F401
from accounts.verification.checks import sample  # noqa: F401

# isort: on
