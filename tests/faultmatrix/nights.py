"""Many tiny nights on one local stack, each on a payroll period of its own.

A local stack takes a second or two to start, a night of a handful of dossiers a few hundredths:
suites that need hundreds of nights (every switch of the fake MyUnisoft, every fault, every crash
point) share one stack. Each night gets a period of its own, and runs, ledger records, partner ids,
MyUnisoft entries and FIFO deduplication ids all carry the period: nothing of one night meets
another, and nothing needs wiping in between. Account links, tokens and secrets are the world's
and stay, as they do from one month to the next.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import boto3
import pytest

from benchmarks.world import FirmSpec, SeededDossier, World, seed_night
from local.executor import DrainReport
from local.fakes.myunisoft import Behaviour
from local.fakes.myunisoft.mad import MadListing
from local.pdf import simple_pdf
from paysync.domain.entries import partner_entry_ids
from paysync.domain.models import Run
from paysync.domain.periods import Period
from paysync.storage.dynamo import from_item
from paysync.usecases.plan_night import nightly_run_id
from tests.harness import Env, drain, local_env, run_nightly

FIRST_NIGHT = date(2001, 2, 5)  # periods from January 2001 on: closed, and never the demo's


@contextmanager
def night_stack(
    firms: Sequence[FirmSpec], *, entries: Callable[[int], int] | None = None, **env: str
) -> Iterator[NightStack]:
    """A local stack of its own (the tests' moto server, both fakes) seeded with ``firms``; ``env``
    overrides the functions' environment. Secrets are cached as in Lambda."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        local_env(monkeypatch, **{"SECRETS_CACHE_SECONDS": "300", **env}) as started,
    ):
        yield NightStack(started, firms, entries=entries or one_or_two)


def one_or_two(index: int) -> int:
    """Entries per dossier: two for every third, so a run can die between its entries."""
    return 2 if index % 3 == 0 else 1


class NightStack:
    """One seeded world on one local stack, and a fresh period for every night asked of it."""

    def __init__(
        self, env: Env, firms: Sequence[FirmSpec], *, entries: Callable[[int], int] = one_or_two
    ) -> None:
        self.env = env
        svc = env.services
        self.world: World = seed_night(
            env.silae, env.myunisoft, svc.config, svc.secrets, FIRST_NIGHT, firms=firms, entries=entries
        )
        for item in self.world.dossiers:  # every period the nights will use is in an open year
            env.myunisoft.add_exercice(
                int(item.dossier.society_id or 0), date(2000, 1, 1), date(2099, 12, 31)
            )
        self._pdf = simple_pdf(["Journal de paie"])
        self._months = itertools.count(1)
        self._due: set[str] = {item.dossier.dossier_id for item in self.world.dossiers}

    def night(
        self, items: Sequence[SeededDossier] | None = None, *, behaviour: Behaviour | None = None
    ) -> Night:
        """A night of ``items`` (default: every dossier) on a period no night has used; the fakes
        without faults, the fake MyUnisoft with ``behaviour`` (default: its defaults)."""
        month = next(self._months)
        night_date = date(FIRST_NIGHT.year + (month // 12), month % 12 + 1, FIRST_NIGHT.day)
        period = Period.of(night_date).previous()
        chosen = list(items if items is not None else self.world.dossiers)
        env = self.env
        env.silae.faults.clear()
        env.myunisoft.faults.clear()
        env.myunisoft.configure(behaviour or Behaviour())
        env.myunisoft.mad_entries = MadListing()  # the listing up to date, in the bare shape
        wanted = {item.dossier.dossier_id for item in chosen}
        config = env.services.config
        for item in self.world.dossiers:
            dossier_id = item.dossier.dossier_id
            if dossier_id not in wanted and dossier_id not in self._due:
                continue  # already out of the planning's index
            config.put_dossier(
                item.dossier.model_copy(
                    update={
                        "pending_period": str(period),
                        "run_day": night_date.day,
                        "auto_pull": dossier_id in wanted,
                        "last_run": None,
                        "last_synced_period": None,
                    }
                )
            )
        self._due = wanted
        for item in chosen:
            files = [(f"journal-paie-{period}.pdf", self._pdf)]
            env.silae.set_payroll(str(item.dossier.payroll_dossier_number), period, item.groups, files)
        return Night(env, night_date, period, chosen)


@dataclass
class Tally:
    """What nights left behind, counted; the last four must be 0."""

    combinations: int = 0
    expected: int = 0
    in_myunisoft: int = 0
    duplicates: int = 0
    lost: int = 0
    stuck: int = 0
    dead_letters_not_transient: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in (
            "combinations",
            "expected",
            "in_myunisoft",
            "duplicates",
            "lost",
            "stuck",
            "dead_letters_not_transient",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)

    def count_once(self, dossier_id: str, partner_ids: Sequence[str], counts: Counter[str]) -> None:
        """Each partner id expected once in MyUnisoft (``counts``: how many entries carry it)."""
        for pid in partner_ids:
            self.expected += 1
            self.in_myunisoft += min(counts[pid], 1)
            if counts[pid] > 1:
                self.duplicates += counts[pid] - 1
                self.problems.append(f"{dossier_id}: {pid} posted {counts[pid]} times")
            if counts[pid] == 0:
                self.lost += 1
                self.problems.append(f"{dossier_id}: {pid} not in MyUnisoft")

    def count_unfinished(self, runs: Sequence[Run]) -> None:
        for run in runs:
            if not run.status.finished:
                self.stuck += 1
                self.problems.append(f"{run.dossier_id}: run {run.run_id} left {run.status.value}")

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.lost or self.stuck or self.dead_letters_not_transient)


@dataclass
class Night:
    env: Env
    day: date  # the night's date
    period: Period
    items: list[SeededDossier]

    @property
    def services(self) -> Any:
        return self.env.services

    def item(self, dossier_id: str) -> SeededDossier:
        return next(i for i in self.items if i.dossier.dossier_id == dossier_id)

    def partner_ids(self, item: SeededDossier) -> list[str]:
        dossier = item.dossier
        number = str(dossier.payroll_dossier_number)
        return partner_entry_ids(int(dossier.society_id or 0), number, self.period, item.groups)

    def run_id(self, item: SeededDossier, night: date | None = None) -> str:
        """The nightly run the planner makes for ``item`` (deterministic)."""
        dossier = item.dossier.model_copy(update={"pending_period": str(self.period)})
        return nightly_run_id(dossier, night or self.day)

    # -- what the handlers do ----------------------------------------------------------------------
    def plan(self, *, night: date | None = None, retries: int = 3) -> dict[str, Any]:
        """``nightly_pull`` for this night; a failed invocation is retried as EventBridge Scheduler
        does (``RetryPolicy.MaximumRetryAttempts``: 3)."""
        for attempt in range(retries + 1):
            try:
                return run_nightly(self.env, night or self.day)
            except Exception:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")

    def drain(self) -> DrainReport:
        """The queue through ``sync_worker``, one message per batch so that a dying worker takes no
        other dossier's run with it."""
        return drain(self.env, batch_size=1)  # type: ignore[no-any-return]

    def dead_letters(self) -> list[str]:
        """The run ids parked in the dead-letter queue (read, then deleted)."""
        sqs = boto3.client("sqs")
        found: list[str] = []
        while True:
            messages = sqs.receive_message(
                QueueUrl=self.env.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=30
            ).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                found.append(_run_id(message["Body"]))
                sqs.delete_message(QueueUrl=self.env.dlq_url, ReceiptHandle=message["ReceiptHandle"])

    # -- what it left ------------------------------------------------------------------------------
    def entries(self) -> Counter[str]:
        """How many entries MyUnisoft holds for each of this night's partner ids."""
        counts: Counter[str] = Counter()
        for item in self.items:
            wanted = set(self.partner_ids(item))
            for entry in self.env.myunisoft.entries(int(item.dossier.society_id or 0)):
                if entry["entry_origin_partner_id"] in wanted:
                    counts[entry["entry_origin_partner_id"]] += 1
        return counts

    def runs(self, items: Sequence[SeededDossier] | None = None) -> list[Run]:
        """The nightly runs of this night's dossiers (or of ``items``): the night's own and the
        next day's (``next_day``), read in batches."""
        chosen = items if items is not None else self.items
        keys = [{"run_id": self.run_id(item, day)} for item in chosen for day in (self.day, self.next_day())]
        resource = boto3.resource("dynamodb")
        table = self.services.settings.runs_table
        found: list[Run] = []
        for start in range(0, len(keys), 100):
            pending: dict[str, Any] = {table: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
            while pending:
                answer = resource.batch_get_item(RequestItems=pending)
                found.extend(
                    Run.model_validate(from_item(item)) for item in answer["Responses"].get(table, [])
                )
                pending = answer.get("UnprocessedKeys") or {}
        return found

    def tally(self, items: Sequence[SeededDossier] | None = None) -> Tally:
        """Duplicates, lost entries and unfinished runs of ``items`` (default: the whole night)."""
        chosen = items if items is not None else self.items
        counts = self.entries()
        tally = Tally()
        for item in chosen:
            tally.count_once(item.dossier.dossier_id, self.partner_ids(item), counts)
        tally.count_unfinished(self.runs(chosen))
        return tally

    def next_day(self) -> date:
        return self.day + timedelta(days=1)


def _run_id(body: str) -> str:
    try:
        return str(json.loads(body)["run_id"])
    except (ValueError, KeyError, TypeError):
        return body
