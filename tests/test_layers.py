"""The packages of accounts keep to their own: what both need lives beside them, not inside one of them.

The repair and the report both need the target schema (``accounts.expectations``), the catalog's
queries (``accounts.catalog``) and the rename's facts (``accounts.facts``); neither imports the
other, so that a change to one check cannot change what the repair does, or the reverse.
"""

import ast

import pytest

from enerlink.devtools import scratch

ACCOUNTS = scratch.PROJECT_ROOT / "accounts"
# package -> packages it must never import
FORBIDDEN = {
    "accounts.repair": ("accounts.verification",),
    "accounts.verification": ("accounts.repair", "accounts.compat.operations"),
    "accounts.compat": ("accounts.repair", "accounts.verification"),
    "accounts.deploy": ("accounts.repair", "accounts.verification", "accounts.compat"),
}


def imports_of(path):
    """Every module ``path`` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("package", FORBIDDEN)
def test_a_package_imports_nothing_of_the_packages_beside_it(package):
    folder = ACCOUNTS / package.split(".", 1)[1]
    found = [
        f"{path.relative_to(scratch.PROJECT_ROOT)} imports {module}"
        for path in sorted(folder.rglob("*.py"))
        for module in imports_of(path)
        if module.startswith(FORBIDDEN[package])
    ]
    assert found == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from accounts.verification.checks.code import FUNCTIONS\n")
    assert list(imports_of(probe)) == ["accounts.verification.checks.code"]
