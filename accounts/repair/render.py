"""The plan as text, the way the command prints it and docs/adoption.md shows it."""

import textwrap

INDENT = "    "


def statement_text(sql):
    lines = sql.splitlines()
    return "\n".join(INDENT * 2 + line for line in lines) + ";"


def wrap(text, indent, hanging=None):
    """``text`` filled to 110 columns; continuation lines indented by ``hanging`` (default: indent + 2)."""
    return textwrap.fill(
        text,
        width=110,
        initial_indent=indent,
        subsequent_indent=indent + "  " if hanging is None else hanging,
    )


def plan_text(plan, policy, applying=False):
    out = [
        f"Repair plan for database {plan.database} (PostgreSQL {plan.server_version}), as role {plan.role}: "
        f"{len(plan.findings)} finding(s), {len(plan.steps)} step(s)."
        + ("" if applying else " Nothing has been changed.")
    ]
    if plan.empty and not plan.blockers:
        out.append("Nothing to repair: the database is what the rename makes of it.")
    if plan.findings:
        out += ["", "Findings"]
        out += [wrap(finding.text, f"{finding.number:>3}. ", " " * 5) for finding in plan.findings]
    if plan.blockers:
        out += ["", "Blockers: the repair changes nothing while these remain"]
        for blocker in plan.blockers:
            out.append(wrap(blocker.text, "  - ", " " * 4))
            if blocker.query:
                out += [f"{INDENT}list them with:", statement_text(blocker.query)]
    if plan.steps:
        out += [
            "",
            "Steps",
            wrap(
                f"Each step runs in a transaction of its own that starts with {policy.set_local()}, "
                "except the CONCURRENTLY ones, which cannot, and wait at most as long for each lock. A step "
                f"whose lock wait runs out is tried again ({policy.attempts} attempts in all, with a pause "
                "that doubles); it changes nothing until it succeeds. Each step is recorded in "
                "user_rename_journal with the SQL that undoes it.",
                "",
                "",
            ),
        ]
        for step in plan.steps:
            findings = ", ".join(str(number) for number in step.findings)
            out += [
                "",
                wrap(
                    f"Step {step.number}. {step.title}" + (f" [finding {findings}]" if findings else ""),
                    "",
                    INDENT,
                ),
            ]
            out.append(wrap(f"locks: {step.lock_summary()}", INDENT, INDENT * 2))
            scans = ", ".join(step.scans) if step.scans else "nothing (catalog only)"
            if step.concurrent:
                scans += "; outside any transaction, waits for older transactions to end"
            out.append(wrap(f"scans: {scans}", INDENT, INDENT * 2))
            out += [statement_text(sql) for sql in step.sql]
    if plan.left:
        out += ["", "Left as is, for people to review"]
        out += [wrap(item, "  - ", " " * 4) for item in plan.left]
    return "\n".join(out)


def undo_text(entries):
    """The undo SQL of every recorded step, newest first, as a person would run it with psql."""
    if not entries:
        return "The journal records no repair step: there is nothing to undo."
    out = [
        "-- The repair's steps, newest first, each with the SQL that undoes it. Run them in this order,",
        "-- one block at a time; CONCURRENTLY statements cannot run inside a transaction.",
    ]
    for step, details, recorded_at in entries:
        state = "" if details.get("done", True) else " (started, not finished)"
        out += [
            "",
            f"-- journal step {step}, {recorded_at:%Y-%m-%d %H:%M:%S %Z}: {details.get('title', '')}{state}",
        ]
        undo = details.get("undo") or []
        if not undo:
            out.append("-- nothing to undo: this step only checked rows or dropped an INVALID index")
        out += [sql + ";" for sql in undo]
    return "\n".join(out)
