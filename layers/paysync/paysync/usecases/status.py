"""Runs and the "Statut de la synchronisation" panel of a dossier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from paysync.domain.access import Principal
from paysync.domain.diagnoses import Diagnosis
from paysync.domain.models import Dossier, Run, RunEntry, RunStatus
from paysync.domain.period_diagnoses import open_findings
from paysync.usecases.errors import NotFound
from paysync.usecases.on_demand import LOCK_LIFETIME
from paysync.usecases.services import Services
from paysync.usecases.settings import get_dossier

State = Literal["up_to_date", "waiting", "blocked", "in_progress", "never_synced"]
STATE_BLOCKED = {RunStatus.FAILED, RunStatus.BLOCKED, RunStatus.PARTIAL}


def get_run(services: Services, principal: Principal, run_id: str) -> Run:
    run = services.runs.get(run_id) if not run_id.startswith("ACTIVE#") else None
    # Another firm's run is answered as a missing one: ids of others cannot be probed.
    if run is None or not principal.reaches(run.firm_id):
        raise NotFound(f"La synchronisation « {run_id} » n'existe pas.")
    return run


def dossier_runs(services: Services, principal: Principal, dossier_id: str, limit: int) -> list[Run]:
    dossier = get_dossier(services, principal, dossier_id)
    return services.runs.list_for_dossier(dossier.dossier_id, limit=limit)


@dataclass
class SyncStatus:
    """A dossier's "Statut de la synchronisation" panel: its state, a French summary, what blocks it."""

    dossier: Dossier
    state: State
    summary: str
    last: Run | None = None
    active: Run | None = None
    blocking: list[Diagnosis] = field(default_factory=list)
    waiting: list[RunEntry] = field(default_factory=list)
    # What the newest watch of each synced period found (PAIE-MODIFIEE, ECRITURE-SUPPRIMEE...)
    findings: list[Diagnosis] = field(default_factory=list)

    @property
    def next_due(self) -> date | None:
        return self.dossier.next_due if self.dossier.auto_pull else None


def _distinct(diagnoses: list[Diagnosis]) -> list[Diagnosis]:
    seen: set[tuple[str, str]] = set()
    kept: list[Diagnosis] = []
    for found in diagnoses:
        key = (found.code, found.message)
        if key not in seen:
            seen.add(key)
            kept.append(found)
    return kept


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def sync_status(services: Services, principal: Principal, dossier_id: str) -> SyncStatus:
    dossier = get_dossier(services, principal, dossier_id)
    now = services.clock()
    every_run = services.runs.list_for_dossier(dossier.dossier_id, limit=20)
    runs = [r for r in every_run if r.kind == "sync"]
    active = next(
        (r for r in every_run if not r.status.finished and now - r.created_at < LOCK_LIFETIME), None
    )
    last = next((r for r in runs if r.status.finished), None)
    if dossier.last_run is not None and (last is None or last.run_id != dossier.last_run.run_id):
        last = services.runs.get(dossier.last_run.run_id) or last
    blocking: list[Diagnosis] = []
    waiting: list[RunEntry] = []
    if last is not None and last.status is not RunStatus.SUCCEEDED:
        blocking = _distinct(list(last.diagnoses) + [d for e in last.entries for d in e.diagnoses])
        if last.period == dossier.pending_period:
            waiting = [e for e in last.entries if e.status == "blocked"]
    due = (
        f"prochaine récupération le {_day(dossier.next_due)}"
        if dossier.auto_pull
        else ("récupération automatique désactivée")
    )
    state: State
    if active is not None:
        state = "in_progress"
        summary = f"Synchronisation de la période {active.period} en cours ({active.status.value})."
    elif last is None:
        state = "never_synced"
        summary = f"Jamais synchronisé ; période en attente {dossier.pending_period}, {due}."
    elif last.status in STATE_BLOCKED:
        state = "blocked"
        codes = ", ".join(d.code for d in blocking) or last.status.value
        summary = f"Bloqué : la synchronisation de la période {last.period} n'a pas abouti ({codes}) ; {due}."
    elif last.status is RunStatus.NO_DATA and any(d.code == "PAIE-NON-CLOTUREE" for d in last.diagnoses):
        state = "waiting"
        summary = (
            f"En attente : la paie de la période {last.period} n'est pas encore clôturée dans le logiciel de "
            f"paie ; {due}."
        )
    elif last.status is RunStatus.NO_DATA:
        state = "waiting"
        summary = (
            f"En attente : aucune OD de paie disponible pour la période {last.period} dans le logiciel de paie ; "
            f"{due}."
        )
    else:
        state = "up_to_date"
        synced = dossier.last_synced_period or last.period
        summary = (
            f"À jour : période {synced} synchronisée ; période suivante {dossier.pending_period}, {due}."
        )
    return SyncStatus(
        findings=watch_findings(every_run),
        dossier=dossier,
        state=state,
        summary=summary,
        last=last,
        active=active,
        blocking=blocking,
        waiting=waiting,
    )


def watch_findings(runs: list[Run]) -> list[Diagnosis]:
    """What the newest finished watch (or replace) of each period found and is still open, newest
    period first."""
    newest: dict[str, Run] = {}
    for run in runs:  # newest first
        if run.kind != "sync" and run.status.finished and run.period not in newest:
            newest[run.period] = run
    return [d for period in sorted(newest, reverse=True) for d in open_findings(newest[period])]
