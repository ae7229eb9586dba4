"""The nightly plan: one queued run per due dossier, created once, sent to the FIFO queue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from paysync.domain.models import Dossier, Run, RunStatus
from paysync.observability import logger, metrics
from paysync.usecases.services import Services
from paysync.usecases.watch_schedule import plan_watches

_RUN_NAMESPACE = uuid.UUID("5b0f3c1e-8a43-4c59-9d7e-0c6f1f3a9b21")


def nightly_run_id(dossier: Dossier, night: date) -> str:
    """Deterministic: a second invocation the same night finds the run it already created."""
    return str(uuid.uuid5(_RUN_NAMESPACE, f"nightly|{dossier.dossier_id}|{dossier.pending_period}|{night}"))


@dataclass
class PlanReport:
    """What one night's planning did: runs created, sent again or already handled, watches planned."""

    night: date
    due: int = 0
    created: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)  # queued earlier, message possibly lost
    already_handled: int = 0
    watches: int = 0  # watch runs of synced periods (paysync.usecases.watch_schedule)

    def as_dict(self) -> dict[str, object]:
        return {
            "night": self.night.isoformat(),
            "due": self.due,
            "created": len(self.created),
            "resent": len(self.resent),
            "already_handled": self.already_handled,
            "watches": self.watches,
            "run_ids": self.created + self.resent,
        }


def plan_night(services: Services, night: date) -> PlanReport:
    report = PlanReport(night=night)
    to_send: list[Run] = []
    for dossier in services.config.due_dossiers(night):
        report.due += 1
        run = Run(
            run_id=nightly_run_id(dossier, night),
            dossier_id=dossier.dossier_id,
            firm_id=dossier.firm_id,
            period=dossier.pending_period,
            trigger="nightly",
            message_group=dossier.message_group,
            created_at=services.clock(),
        )
        if services.runs.create(run):
            report.created.append(run.run_id)
            to_send.append(run)
            continue
        existing = services.runs.get(run.run_id)
        if existing is not None and existing.status is RunStatus.QUEUED:
            # Created by an invocation that may have died before sending: send again. The FIFO
            # deduplication id and the worker's conditional start make a double delivery harmless.
            report.resent.append(existing.run_id)
            to_send.append(existing)
        else:
            report.already_handled += 1
    watches = plan_watches(services, night)
    report.watches = len(watches)
    services.queue.send(to_send + watches)
    metrics.add_metric(name="DossiersDue", unit="Count", value=report.due)
    metrics.add_metric(name="RunsQueued", unit="Count", value=len(to_send))
    logger.info(
        "night planned",
        extra={
            "night": night.isoformat(),
            "due_dossiers": report.due,
            "runs_created": len(report.created),
            "runs_resent": len(report.resent),
            "runs_already_handled": report.already_handled,
        },
    )
    return report
