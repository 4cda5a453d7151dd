"""Run a plan: nothing at all while a blocker remains, then each step, bounded, recorded, in order.

Each step either commits whole (with its journal entry) or changes nothing, and
a CONCURRENTLY step that stops half-way leaves only an INVALID index that the
next plan drops first. So a repair that stops (a lock it could not get, the
process killed, its session terminated) is finished by running it again: the new
plan, read from the catalog, holds only what is left.
"""

import time
import uuid
from dataclasses import dataclass, field

import psycopg

from accounts.repair import journal
from accounts.repair.locking import LockWaitExceeded, run_bounded
from enerlink.commands import first_line


class RepairBlocked(Exception):
    """The plan has blockers (orphan rows, a half-renamed table): nothing was changed."""


class StepFailed(Exception):
    """A step could not finish; the steps before it are done and recorded."""


@dataclass
class StepResult:
    number: int
    title: str
    seconds: float
    attempts: int


@dataclass
class ApplyResult:
    run: str
    steps: list = field(default_factory=list)

    @property
    def seconds(self):
        return sum(step.seconds for step in self.steps)


def blocked_message(plan):
    parts = [blocker.text for blocker in plan.blockers]
    listing = (
        " (the plan shows the query that lists each set of rows)"
        if any(blocker.query for blocker in plan.blockers)
        else ""
    )
    return (
        f"the repair changed nothing: {len(parts)} problem(s) must be solved first: "
        f"{'; '.join(parts)}{listing}; then run it again"
    )


def apply_plan(conn, plan, policy, progress=None, on_retry=None):
    """Run every step of ``plan`` on ``conn`` (psycopg, autocommit); return an ApplyResult."""
    if plan.blockers:
        raise RepairBlocked(blocked_message(plan))
    result = ApplyResult(run=uuid.uuid4().hex[:12])
    total = len(plan.steps)
    for step in plan.steps:
        started = time.perf_counter()
        relations = sorted({relation for statement in step.statements for relation in statement.relations})
        retry = (lambda attempt, holders, step=step: on_retry(step, attempt, holders)) if on_retry else None
        try:
            if step.concurrent:
                entry = journal.record(conn, step, plan, result.run, policy, done=False)
                attempts = run_bounded(
                    conn,
                    policy,
                    step.sql,
                    relations,
                    concurrent=True,
                    cleanup=step.retry_cleanup,
                    on_retry=retry,
                )
                journal.mark_done(conn, entry, attempts, time.perf_counter() - started)
            else:

                def inside(conn, step=step):
                    journal.record(conn, step, plan, result.run, policy, done=True)

                attempts = run_bounded(conn, policy, step.sql, relations, inside=inside, on_retry=retry)
        except LockWaitExceeded as error:
            raise StepFailed(
                f"step {step.number} of {total} ({step.title}) {error}. {done_so_far(step)} Run the repair "
                "again once that session is gone."
            ) from error
        except psycopg.Error as error:
            leftover = (
                " An index it was building may be left INVALID: the next run drops it first."
                if step.concurrent
                else " This step changed nothing."
            )
            raise StepFailed(
                f"step {step.number} of {total} ({step.title}) failed: {first_line(error)}.{leftover} "
                f"{done_so_far(step)} Run the repair again once the cause is solved."
            ) from error
        outcome = StepResult(step.number, step.title, time.perf_counter() - started, attempts)
        result.steps.append(outcome)
        if progress is not None:
            progress(step, outcome)
    return result


def done_so_far(step):
    if step.number == 1:
        return "No step was done."
    return f"Steps 1 to {step.number - 1} are done and recorded in user_rename_journal."
