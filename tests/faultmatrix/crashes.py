"""Where a worker can die, and a way to kill it there: crash points wrapped around the real code.

A worker dies like a killed Lambda: ``Killed`` is a ``BaseException``, so nothing in the library
catches it, and the executor (``local.executor``) treats it as a dead container whose batch comes
back. Whether a worker dies at a point is asked of a ``decide(run_id, receive_count, point)``
callable, so each suite chooses its own plan (seeded at random, or one point per dossier).
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

import pytest

# In the order a run meets them. "between_claim_and_post": the claim is held and the lookup said
# absent, the POST not sent yet (the sharpest moment of the protocol).
CRASH_POINTS = (
    "after_silae_fetch",
    "between_claim_and_post",
    "after_post",
    "before_ledger_write",
    "before_run_update",
)

# The matrix's extra point: the worker dies before saving the run's outcome and the ledger's
# records of the run's entries are lost with it (a restored backup, a table recreated).
LEDGER_WIPED = "ledger_wiped"

Decide = Callable[[str, int, str], bool]


class Killed(BaseException):
    """A worker dies like a killed Lambda: not an Exception, nothing in the library catches it."""


class CrashPoints:
    """Wraps the real code at every crash point and kills the worker where ``decide`` says.

    Also keeps, per run, the exceptions that made its deliveries fail (``failures``): what a
    dead-letter queue holds is judged by them.
    """

    def __init__(self, decide: Decide) -> None:
        self.decide = decide
        self.enabled = True
        self.kills: Counter[str] = Counter()
        self.failures: defaultdict[str, list[BaseException]] = defaultdict(list)
        self._lock = threading.Lock()
        self._local = threading.local()

    def maybe(self, point: str, before_dying: Callable[[], None] | None = None) -> None:
        run_id, receive_count = getattr(self._local, "run", (None, 0))
        if not self.enabled or run_id is None or not self.decide(run_id, receive_count, point):
            return
        with self._lock:
            self.kills[point] += 1
        if before_dying is not None:
            before_dying()
        raise Killed(f"worker killed {point} of run {run_id} (delivery {receive_count})")

    def install(self, monkeypatch: pytest.MonkeyPatch, *, ledger_wiped: bool = False) -> CrashPoints:
        """Wrap the real code; ``ledger_wiped``: also the point ``LEDGER_WIPED``."""
        from paysync.myunisoft.client import MyUnisoftClient
        from paysync.storage.ledger import Ledger
        from paysync.storage.runs import RunRepository
        from paysync.usecases import sync_dossier
        from paysync.usecases.preparation import DossierSync

        def after(cls: Any, name: str, point: str) -> None:
            original: Callable[..., Any] = getattr(cls, name)

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                result = original(*args, **kwargs)
                self.maybe(point)
                return result

            monkeypatch.setattr(cls, name, wrapped)

        def before(cls: Any, name: str, point: str, when: Callable[..., bool] = lambda *a: True) -> None:
            original: Callable[..., Any] = getattr(cls, name)

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                if when(*args):
                    self.maybe(point)
                return original(*args, **kwargs)

            monkeypatch.setattr(cls, name, wrapped)

        def outcome_saved(_repository: Any, run: Any) -> bool:
            # The outcome's save, not the failure recorded first on a last delivery.
            return bool(run.status.finished) and not any(d.details.get("interrupted") for d in run.diagnoses)

        after(DossierSync, "fetch_payroll", "after_silae_fetch")
        after(DossierSync, "fetch_entries", "after_silae_fetch")  # watch and replace runs
        before(MyUnisoftClient, "create_entry", "between_claim_and_post")
        after(MyUnisoftClient, "create_entry", "after_post")
        before(Ledger, "mark_posted", "before_ledger_write")
        before(RunRepository, "save", "before_run_update", outcome_saved)
        if ledger_wiped:
            original_save: Callable[..., Any] = RunRepository.save

            def save_unless_wiped(repository: Any, run: Any) -> Any:
                if outcome_saved(repository, run):
                    self.maybe(LEDGER_WIPED, lambda: _wipe_ledger(run))
                return original_save(repository, run)

            monkeypatch.setattr(RunRepository, "save", save_unless_wiped)

        original_sync_run = sync_dossier.sync_run

        def tracked(services: Any, run_id: str, *, receive_count: int = 1) -> Any:
            self._local.run = (run_id, receive_count)
            try:
                return original_sync_run(services, run_id, receive_count=receive_count)
            except BaseException as failure:
                with self._lock:
                    self.failures[run_id].append(failure)
                raise
            finally:
                self._local.run = (None, 0)

        monkeypatch.setattr(sync_dossier, "sync_run", tracked)
        return self


def _wipe_ledger(run: Any) -> None:
    """The ledger's records of the run's entries, gone."""
    import boto3

    from paysync.config import get_settings

    table = boto3.resource("dynamodb").Table(get_settings().ledger_table)
    for entry in run.entries:
        table.delete_item(Key={"partner_id": entry.partner_id})


class PlannedCrashes:
    """Each planned run dies once, at its point, on the first delivery that reaches it."""

    def __init__(self) -> None:
        self.plan: dict[str, str] = {}
        self._died: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, run_id: str, receive_count: int, point: str) -> bool:
        with self._lock:
            if self.plan.get(run_id) != point or run_id in self._died:
                return False
            self._died.add(run_id)
            return True

    def clear(self) -> None:
        with self._lock:
            self.plan.clear()
            self._died.clear()
