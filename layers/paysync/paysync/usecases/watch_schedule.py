"""When synced periods are watched: from their sync for ``watch_days``, every ``watch_interval_days``.

The planner queues a watch run per due watch, at most once per period and interval (the run id is
deterministic per night, and the next watch moves on by the interval as the run is queued); a firm
asks for one at any time (``GET /dossiers/{id}/periods/{period}?live=true``).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from paysync.domain.models import Dossier, Run, RunStatus
from paysync.observability import logger
from paysync.storage.watch_schedule import WatchSchedule
from paysync.usecases.services import Services

_WATCH_NAMESPACE = uuid.UUID("0d7e52a4-58a8-4d6b-9c1e-5a0c8b1c2f64")


def schedule(services: Services) -> WatchSchedule:
    return WatchSchedule(services.settings.config_table)


def watch_synced_period(services: Services, dossier: Dossier, run: Run) -> None:
    """A sync posted the period: watch it from the next interval on, for ``watch_days``."""
    today = services.clock().date()
    try:
        schedule(services).start(
            dossier.dossier_id,
            run.period,
            first=today + timedelta(days=dossier.watch_interval_days),
            until=today + timedelta(days=dossier.watch_days),
        )
    except Exception as error:
        logger.warning("the period could not be put under watch", extra={"error": type(error).__name__})


def watch_run_id(dossier_id: str, period: str, night: date) -> str:
    return str(uuid.uuid5(_WATCH_NAMESPACE, f"watch|{dossier_id}|{period}|{night}"))


def plan_watches(services: Services, night: date) -> list[Run]:
    """Watch runs for the periods due tonight, created once (a second planning finds them)."""
    watches = schedule(services)
    to_send: list[Run] = []
    for watched in watches.due(night):
        dossier = services.config.get_dossier(watched.dossier_id)
        if dossier is None or not dossier.auto_pull or night > watched.watched_until:
            watches.next_at(watched, None)
            continue
        run = Run(
            run_id=watch_run_id(dossier.dossier_id, watched.period, night),
            dossier_id=dossier.dossier_id,
            firm_id=dossier.firm_id,
            period=watched.period,
            trigger="nightly",
            kind="watch",
            message_group=dossier.message_group,
            created_at=services.clock(),
        )
        if services.runs.create(run):
            to_send.append(run)
        else:
            existing = services.runs.get(run.run_id)
            if existing is not None and existing.status is RunStatus.QUEUED:
                to_send.append(existing)
        watches.next_at(watched, night + timedelta(days=dossier.watch_interval_days))
    return to_send
