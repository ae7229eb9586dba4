"""The period view's answer (``GET /dossiers/{dossier_id}/periods/{period}``) and a watch's findings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from paysync.api.models.common import DiagnosisView, ViewModel, view_of
from paysync.domain.models import WatchedEntry
from paysync.domain.period_states import EntryState
from paysync.usecases.period_view import PeriodView


class TotalsView(ViewModel):
    debit: str
    credit: str


class LineDifferenceView(ViewModel):
    account: str = Field(description="The payroll account number.")
    direction: Literal["D", "C"]
    label: str
    before: str | None = Field(description="As posted (None: the account was not in the posted version).")
    after: str | None = Field(description="In Silae now (None: no longer in Silae's OD).")


class PeriodEntryView(ViewModel):
    base_id: str = Field(
        description="The entry's first partner id; its versions add `-v<n>`, reversals `-x<n>`."
    )
    label: str
    state: EntryState
    version: int | None = Field(description="The version in the books (None: none posted).")
    partner_id: str | None = Field(description="The `entry_origin_partner_id` of that version.")
    entry_id: int | None = Field(description="Its MyUnisoft entry id.")
    posted_at: str | None
    posted_totals: TotalsView | None = Field(description="What the version in the books says.")
    current_totals: TotalsView | None = Field(description="What Silae says now (as last checked).")
    differences: list[LineDifferenceView]
    diagnoses: list[DiagnosisView]

    @classmethod
    def of(cls, entry: WatchedEntry, diagnoses: list[Any] | None = None) -> PeriodEntryView:
        def totals(debit: str | None, credit: str | None) -> TotalsView | None:
            return None if debit is None or credit is None else TotalsView(debit=debit, credit=credit)

        return view_of(
            cls,
            entry,
            posted_totals=totals(entry.posted_debit, entry.posted_credit),
            current_totals=totals(entry.current_debit, entry.current_credit),
            diagnoses=diagnoses or [],
        )


class PeriodAnswer(ViewModel):
    dossier_id: str
    period: str
    live: bool = Field(description="Checked against Silae and MyUnisoft now (`?live=true`).")
    checked_at: datetime | None = Field(description="When the states were last checked against the vendors.")
    replaceable: int = Field(description="Entries a replace would fix.")
    posted_totals: TotalsView = Field(description="What the period's entries in the books say, together.")
    current_totals: TotalsView = Field(description="What Silae's OD says (as last checked), together.")
    entries: list[PeriodEntryView]
    diagnoses: list[DiagnosisView]

    @classmethod
    def of(cls, view: PeriodView) -> PeriodAnswer:
        def total(values: list[str | None]) -> str:
            from decimal import Decimal

            return str(sum((Decimal(v) for v in values if v is not None), Decimal("0.00")))

        entries = view.entries
        return view_of(
            cls,
            view,
            replaceable=sum(
                1 for e in entries if e.state in ("changed_in_silae", "deleted_in_myunisoft", "new_in_silae")
            ),
            posted_totals=TotalsView(
                debit=total([e.posted_debit for e in entries]),
                credit=total([e.posted_credit for e in entries]),
            ),
            current_totals=TotalsView(
                debit=total([e.current_debit for e in entries]),
                credit=total([e.current_credit for e in entries]),
            ),
            entries=[PeriodEntryView.of(e, view.blocked.get(e.base_id)) for e in entries],
        )
