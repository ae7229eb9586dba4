"""What the sync area accepts (its own body, so that its function does not build every area's input
models), and answers: a run queued, or a dry run's report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, StrictBool

from paysync.api.models.common import DiagnosisView, InputModel, PeriodText, ViewModel, view_of

if TYPE_CHECKING:
    from paysync.domain.models import Run, RunEntry
    from paysync.usecases.on_demand import Accepted


class SyncIn(InputModel):
    period: PeriodText | None = Field(default=None, description="Default: the last closed month.")
    dry_run: StrictBool = Field(
        default=False, description="Answer the entries that would be posted, post nothing, record no run."
    )
    replace: StrictBool = Field(
        default=False,
        description="Replace what the period's watch finds: for an OD modified in Silae after posting, "
        "the reversal of the posted version then the new version; an entry deleted in MyUnisoft sent "
        "again; a new group posted. Each step exactly once (partner ids carry the version).",
    )


class RunAccepted(ViewModel):
    """The sync is queued (``created``) or was already queued or running (the same run, not a new one)."""

    run_id: str
    dossier_id: str
    period: str
    status: str
    created: bool
    location: str

    @classmethod
    def of(cls, accepted: Accepted, location: str) -> RunAccepted:
        return view_of(cls, accepted.run, created=accepted.created, location=location)


class FileView(ViewModel):
    name: str
    type: str | None
    size: int


class DryRunEntry(ViewModel):
    partner_id: str
    label: str
    status: Literal["would_post", "blocked"]
    debit: str
    credit: str
    files: list[FileView]
    body: dict[str, Any] | None = Field(description="The NewEntry body, files by name and size only.")
    diagnoses: list[DiagnosisView]
    step: Literal["entry", "reversal"] = "entry"
    version: int = 1

    @classmethod
    def of(cls, entry: RunEntry) -> DryRunEntry:
        preview = entry.preview
        files = [
            FileView(name=str(pj.get("name")), type=pj.get("type"), size=int(pj.get("size") or 0))
            for pj in (preview or {}).get("pj_list", [])
        ]
        status = "blocked" if entry.status == "blocked" else "would_post"
        return view_of(cls, entry, status=status, files=files, body=preview)


class DryRunReport(ViewModel):
    dossier_id: str
    period: str
    dry_run: Literal[True] = True
    status: str
    entries: list[DryRunEntry]
    diagnoses: list[DiagnosisView]

    @classmethod
    def of(cls, run: Run) -> DryRunReport:
        return view_of(cls, run, entries=[DryRunEntry.of(e) for e in run.entries])
