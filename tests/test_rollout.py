"""docs/rollout.md, run: every command of the runbook, in its order, against a copy of the legacy database.

The runbook's bash blocks are read from the page. The block marked
``runbook: environment`` is not run: it names the variables, which the test sets
to its own scratch databases and Redis keys. Every other block runs in bash
(``-euo pipefail``) with production settings (``DEBUG=0``), in a folder of its
own where ``python manage.py`` is this project's. A step with a way back
(``runbook: back``) is run forward, back, and forward again: each way back works
and each step can be run a second time. Every failing block is reported, not
only the first.
"""

import os
import re
import secrets
import subprocess
import sys
import uuid
from dataclasses import dataclass

import psycopg
import pytest
import redis

from enerlink.devtools import scratch
from tests import replication
from tests.conftest import OLDER_SHAPE_FIXTURE
from tests.test_cache import HOW_TO_START, REDIS_URL

RUNBOOK = scratch.PROJECT_ROOT / "docs" / "rollout.md"
APP_DB = 13
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- runbook: (\w+) -->\s*$")
HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
VARIABLE = re.compile(r"\$\{?([A-Z][A-Z0-9_]*)")


@dataclass
class Block:
    step: str
    kind: str  # environment, forward, back
    language: str
    text: str

    def __str__(self):
        return f"{self.step} [{self.kind}]"


def runbook_blocks(text=None):
    """The code blocks of the runbook, with the step (heading) they belong to and their kind."""
    text = RUNBOOK.read_text() if text is None else text
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        headings = HEADING.findall(before)
        marker = MARKER.search(before.rstrip("\n").rsplit("\n", 1)[-1])
        blocks.append(
            Block(
                headings[-1] if headings else "", marker.group(1) if marker else "forward", match[1], match[2]
            )
        )
    return blocks


def exported(block):
    return re.findall(r"^export ([A-Z][A-Z0-9_]*)=", block.text, re.MULTILINE)


def plan(blocks):
    """The order the test runs the blocks in: each step forward, then back and forward again if it can."""
    steps = {}
    for block in blocks:
        if block.kind != "environment":
            steps.setdefault(block.step, []).append(block)
    order = []
    for step_blocks in steps.values():
        forward = [b for b in step_blocks if b.kind == "forward"]
        back = [b for b in step_blocks if b.kind == "back"]
        order += forward + (back + forward if back else [])
    return order


def test_the_runbook_is_bash_its_variables_are_declared_and_every_step_can_be_undone():
    blocks = runbook_blocks()
    assert {block.language for block in blocks} == {"bash"}
    assert {block.kind for block in blocks} == {"environment", "forward", "back"}
    environment = [block for block in blocks if block.kind == "environment"]
    assert len(environment) == 1
    declared = set(exported(environment[0]))
    assert declared == set(ENVIRONMENT_KEYS)
    for block in blocks:
        if block.kind != "environment":
            used = set(VARIABLE.findall(block.text)) - {"CACHE_VERSION", "ENERLINK_RENAME_LOCK_TIMEOUT"}
            assert used <= declared, (str(block), used - declared)
    steps = [block.step for block in blocks]
    for step in ["1. Back up", "2. Preflight", "3. Adopt", "4. Compat", "5. Rename", "6. Verify", "7. Roll",
                 "8. Compat", "9. Cache", "Going back all the way"]:  # fmt: skip
        assert any(s.startswith(step) for s in steps), step
    # The guide's way to clear the cache appears only as what not to do.
    assert "FLUSHALL" not in "".join(block.text for block in blocks)


ENVIRONMENT_KEYS = [
    "DATABASE_URL",
    "RESTORE_DB",
    "RESTORE_URL",
    "CACHE_URL",
    "CACHE_KEY_PREFIX",
    "ENERLINK_LEGACY_CACHE_PATTERNS",
]


@pytest.fixture
def redis_app():
    client = redis.Redis.from_url(f"{REDIS_URL}/{APP_DB}", socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(HOW_TO_START.format(error=error))
    tag = f"r{uuid.uuid4().hex[:10]}"
    yield client, tag
    keys = list(client.scan_iter(match=f"{tag}*", count=1000))
    if keys:
        client.unlink(*keys)
    client.close()


def workspace(tmp_path):
    """A folder with this project's manage.py and a ``python`` that is this project's interpreter."""
    (tmp_path / "manage.py").symlink_to(scratch.PROJECT_ROOT / "manage.py")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    tools, _ = replication.server_binaries()  # the client tools of the server's major version
    return f"{bin_dir}:{tools}:{os.environ['PATH']}"


class Existing:
    """A database the runbook made, read the way the scratch helpers read a ScratchDatabase."""

    def __init__(self, name):
        self.name = name

    def connect(self, superuser=True):
        return psycopg.connect(scratch.server_url(self.name), autocommit=True)


def table_exists(database, table):
    with database.connect(superuser=True) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()[0]


@pytest.fixture(params=["real shape", "older shape"])
def production_copy(request, legacy_db, scratch_db):
    """The database the runbook starts from: the real one, or one of the older shape (docs/adoption.md)."""
    if request.param == "real shape":
        return legacy_db
    database = scratch_db()
    database.run_sql_file(OLDER_SHAPE_FIXTURE)
    return database


def existing_tables(database, tables):
    with database.connect(superuser=True) as conn:
        return [table for table in tables if conn.execute("SELECT to_regclass(%s)", [table]).fetchone()[0]]


def test_every_command_of_the_runbook_runs(production_copy, redis_app, tmp_path):
    legacy_db = production_copy
    client, tag = redis_app
    restore_db = f"enerlink_t_restore_{uuid.uuid4().hex[:10]}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CACHE_")}
    env.update(
        PATH=workspace(tmp_path),
        PYTHONWARNINGS="ignore",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=legacy_db.url,
        RESTORE_DB=restore_db,
        RESTORE_URL=scratch.server_url(restore_db, user=legacy_db.owner),
        CACHE_URL=f"{REDIS_URL}/{APP_DB}",
        CACHE_KEY_PREFIX=f"{tag}-enerlink",
        ENERLINK_LEGACY_CACHE_PATTERNS=f"{tag}-prosumer:*",
    )
    assert set(ENVIRONMENT_KEYS) <= set(env)
    client.set(f"{tag}-prosumer:p-alice", "the old backend's row", ex=3600)
    client.set(f"{tag}-enerlink:1:user:p-alice", "the previous release's key", ex=3600)
    client.set(f"{tag}-sessions:abc", "someone else's key", ex=3600)
    backed_up = existing_tables(legacy_db, scratch.LEGACY_TABLES)
    at_backup = scratch.table_fingerprints(legacy_db, backed_up)

    failures, ran = [], []
    try:
        for block in plan(runbook_blocks()):
            result = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block.text],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            ran.append(str(block))
            if result.returncode != 0:
                failures.append(f"{block}: exit {result.returncode}: {last_lines(result.stderr)}")
            if block.step.startswith("5.") and block.kind == "forward":
                assert table_exists(legacy_db, '"user"'), "step 5 renamed nothing"
            if block.step.startswith("5.") and block.kind == "back":
                assert table_exists(legacy_db, "prosumer"), "step 5's way back did not restore prosumer"
        restored = Existing(restore_db)
        restored_rows = (
            scratch.table_fingerprints(restored, backed_up) if table_exists(restored, "prosumer") else None
        )
    finally:
        with scratch.admin_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{restore_db}" WITH (FORCE)')
    assert not failures, "runbook blocks that failed:\n" + "\n".join(failures)
    assert ran[0].startswith("1. Back up") and ran[-1].startswith("Going back all the way")
    # The last block restored the backup into $RESTORE_DB: the legacy tables, with the rows of step 1.
    assert restored_rows == at_backup
    assert table_exists(legacy_db, '"user"') and not table_exists(legacy_db, "prosumer")
    assert (
        client.get(f"{tag}-prosumer:p-alice") is None and client.get(f"{tag}-enerlink:1:user:p-alice") is None
    )
    assert client.get(f"{tag}-sessions:abc") == b"someone else's key"
    assert (tmp_path / "enerlink-before-rename.dump").stat().st_size > 0


def last_lines(text, count=3):
    return " | ".join(text.strip().splitlines()[-count:])


def test_the_plan_runs_each_way_back_between_two_runs_of_its_step():
    text = (
        "## 1. A\n```bash\na\n```\n<!-- runbook: back -->\n```bash\nundo a\n```\n"
        "## 2. B\n<!-- runbook: environment -->\n```bash\nexport X=1\n```\n```bash\nb\n```\n"
    )
    assert [block.text.strip() for block in plan(runbook_blocks(text))] == ["a", "undo a", "a", "b"]
