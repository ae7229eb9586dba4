"""What the watch says of a period, in French, from its findings (``paysync.domain.period_states``).

One diagnosis per kind of finding and period, naming the entries concerned and, for a correction
in Silae, each entry's lines that differ and its totals before and after.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paysync.domain.diagnoses import Diagnosis, diagnosis
from paysync.domain.models import Run, RunStatus
from paysync.domain.periods import Period

if TYPE_CHECKING:  # types only: a run's status reads its findings without the period's machinery
    from paysync.domain.fingerprint import EntryContent
    from paysync.domain.period_states import EntryFinding

# What a watch reports to the firm (status panel, morning digest): corrections and edits.
FINDING_CODES = frozenset({"PAIE-MODIFIEE", "ECRITURE-SUPPRIMEE", "ECRITURE-MODIFIEE"})


def open_findings(run: Run) -> list[Diagnosis]:
    """What a watch or replace run found that is still true after it: all of it, unless it replaced
    successfully (then only the edits in MyUnisoft, which a replace never touches)."""
    if run.kind == "sync" or not run.status.finished:
        return []
    fixed = (
        {"PAIE-MODIFIEE", "ECRITURE-SUPPRIMEE"}
        if run.entries and run.status is RunStatus.SUCCEEDED
        else set()
    )
    return [d for d in run.diagnoses if d.code in FINDING_CODES and d.code not in fixed]


def month(period: Period) -> str:
    """``10/2026``: how firms write a payroll month."""
    return f"{period.month:02d}/{period.year}"


def _day(stamp: str | None) -> str:
    if not stamp or len(stamp) < 10:
        return "?"
    year, mon, day = stamp[:10].split("-")
    return f"{day}/{mon}/{year}"


def totals_of(content: EntryContent | None) -> dict[str, str] | None:
    return None if content is None else {"debit": str(content.debit), "credit": str(content.credit)}


def _entry_details(finding: EntryFinding) -> dict[str, Any]:
    return {
        "label": finding.label,
        "version": finding.version,
        "entry_id": finding.entry_id,
        "posted_totals": totals_of(finding.posted),
        "current_totals": totals_of(finding.current),
        "differences": [d.as_json() for d in finding.differences],
    }


def period_diagnoses(period: Period, findings: Sequence[EntryFinding]) -> list[Diagnosis]:
    found: list[Diagnosis] = []
    changed = [f for f in findings if f.state == "changed_in_silae"]
    if changed:
        found.append(
            diagnosis(
                "PAIE-MODIFIEE",
                arg=month(period),
                period=str(period),
                entries=[_entry_details(f) for f in changed],
            )
        )
    for finding in findings:
        said = f"« {finding.label} » envoyée le {_day(finding.posted_at)}"
        if finding.state == "deleted_in_myunisoft":
            found.append(
                diagnosis("ECRITURE-SUPPRIMEE", arg=said, period=str(period), **_entry_details(finding))
            )
        elif finding.state == "changed_in_myunisoft":
            details = _entry_details(finding)
            details["myunisoft_totals"] = totals_of(finding.in_myunisoft)
            found.append(diagnosis("ECRITURE-MODIFIEE", arg=said, period=str(period), **details))
    return found


def not_closed(period: Period, open_period: Period) -> Diagnosis:
    return diagnosis("PAIE-NON-CLOTUREE", arg=month(period), period=str(period), open_period=str(open_period))
