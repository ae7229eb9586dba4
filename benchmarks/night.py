"""Benchmarks 1 and 2: whole nights through the real handlers, on the scaled local stack.

``nightly_pull`` plans the night, then :class:`local.executor.FifoExecutor` drains the FIFO queue
with the template's worker settings (batch size, maximum concurrency), each worker a Lambda
container calling ``functions/sync_worker/app.handler``. Every run must succeed and every entry
be in MyUnisoft once, or the benchmark fails.

The 306-dossier night runs twice, a month apart: the **cold** first run (nothing known of any
society) and the **steady** one (the following month's payroll, with whatever the first run kept:
ledger, account links, society facts), each on fresh containers as a month later. Its makespan is
held to the floor of :mod:`benchmarks.floor` (the calls that cannot be avoided) and to the bound
of the calls it made; MyUnisoft calls per dossier to the entries per dossier plus 1 (steady) or
plus 4 (cold): one existence check, and the journal, fiscal years and chart when nothing is known.

How a token's time grows with its dossiers: each token's last MyUnisoft call against its number
of dossiers, the slope against the floor's (the steady month's tokens of 1 to 120 dossiers). The
2 000-dossier night (20 firms, tokens of 1 to 400 dossiers, one cold run at the fast scale) does the
same at size; every dossier costs the local stack ~0.1 s of CPU (moto, the fakes, HTTP), so that
night is bound by this machine's CPU more than by the model's time: ``cpu_share`` says how much.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benchmarks.common import say
from benchmarks.floor import Costs
from benchmarks.stack import MYUNISOFT_RATE_LIMIT, Stack, TimeScale, reset_library_caches, scaled_stack
from benchmarks.world import NIGHT_FIRMS, FirmSpec, World, seed_next_month, seed_night
from local.containers import container_services
from local.executor import DrainReport, FifoExecutor, event_source
from local.virtual_time import VirtualClock
from paysync.domain.periods import Period

NIGHT = date(2026, 11, 21)
SILAE_PER_DOSSIER = 2  # as today: EcrituresComptables4 + RecupererFichiersEcrituresComptables
GOAL = 1.25
STEADY_EXTRA, COLD_EXTRA = 1, 4  # MyUnisoft calls per dossier beyond its entries


@dataclass
class MonthRun:
    label: str  # "cold" (a first run) or "steady" (a later month)
    scale: TimeScale
    world: World
    report: DrainReport
    planning_seconds: float
    cpu_seconds: float  # this process's CPU during the drain: the local stack's own cost
    silae_calls: dict[str, int]
    myunisoft_calls: dict[str, int]  # by path
    calls_by_token: dict[str, int]
    last_call_by_token: dict[str, float]  # time.monotonic()
    client_ids_per_container: list[set[str]]
    run_ids: list[str] = field(default_factory=list)  # the runs the night planned
    problems: list[str] = field(default_factory=list)

    @property
    def dossiers(self) -> int:
        return len(self.world.dossiers)

    def entries_by_token(self) -> dict[str, list[int]]:
        return {token: [len(d.groups) for d in items] for token, items in self.world.by_token().items()}

    @property
    def costs(self) -> Costs:
        scale = self.scale
        return Costs(scale.silae_latency, scale.myunisoft_latency, scale.rate_window, MYUNISOFT_RATE_LIMIT)


@dataclass
class NightRun:
    workers: int
    batch_size: int
    months: list[MonthRun]
    virtual: bool = False  # in virtual time (local.virtual_time): the local CPU took no time
    clock_advances: int = 0


def _by_path(calls: Sequence[tuple[str, str, float]]) -> dict[str, int]:
    return dict(Counter(path for _method, path, _at in calls))


def run_night(
    scale: TimeScale,
    firms: Sequence[FirmSpec] = NIGHT_FIRMS,
    *,
    months: int = 2,
    cold_scale: TimeScale | None = None,
    workers: int | None = None,
    batch_size: int | None = None,
    virtual: bool = False,
) -> NightRun:
    """Plan and drain ``months`` consecutive nights of one world, the first (cold) one at
    ``cold_scale`` when given; ``workers``/``batch_size`` default to the template's. ``virtual``:
    in virtual time (``local.virtual_time``), where the local stack's CPU takes no time."""
    clock = VirtualClock() if virtual else None
    # In virtual time a call's answer may take any real time (its latency passes only when every
    # thread waits, and this process does the work of ten containers): no real-time HTTP timeout,
    # or a loaded machine makes the fakes look lost (a run left queued in one 2 000-dossier night).
    timeout = "3600" if virtual else os.environ.get("HTTP_TIMEOUT_SECONDS", "20")
    with scaled_stack(scale, HTTP_TIMEOUT_SECONDS=timeout) as stack, clock or contextlib.nullcontext():
        if clock is not None:
            stack.use_clock(clock)
        source = event_source(stack.resources.template)
        run = NightRun(
            workers=workers or source.maximum_concurrency or 10,
            batch_size=batch_size or source.batch_size,
            months=[],
            virtual=virtual,
        )
        svc = stack.services
        # Not watched: these nights are the syncs' alone, held to the floor of their unavoidable
        # calls; the watch of last month's periods has its own calls (benchmark 7, watch.py).
        world = seed_night(
            stack.silae, stack.myunisoft, svc.config, svc.secrets, NIGHT, firms=firms, watched=False
        )
        groups, tokens = world.by_group(), world.by_token()
        if len(groups) != len(tokens):
            raise RuntimeError("a FIFO group per MyUnisoft token is what the bounds assume")
        say(f"  night: {len(world.dossiers)} dossiers, {world.entries} entries, {len(groups)} groups")
        worlds = [world]
        for number in range(months):
            if number:
                night = Period.of(world.night).next().day(NIGHT.day)
                world = seed_next_month(stack.silae, world, night)
                worlds.append(world)
            stack.rescale(cold_scale if cold_scale and number == 0 else scale)
            reset_library_caches()  # a month later: new containers, nothing in memory
            label = "cold" if number == 0 else "steady"
            month = _run_month(stack, world, run, label, source.timeout_seconds, clock=clock)
            month.problems.extend(_check(stack, worlds, month.run_ids))
            run.months.append(month)
            say(
                f"  {month.label}: makespan {month.report.makespan:.1f} s, local CPU {month.cpu_seconds:.1f} s"
            )
        run.clock_advances = clock.advances if clock is not None else 0
        return run


def _run_month(
    stack: Stack, world: World, run: NightRun, label: str, timeout: float, *, clock: VirtualClock | None
) -> MonthRun:
    from functions.nightly_pull import app as nightly_app
    from local.lambda_runtime import fake_context

    started = time.monotonic()
    plan = nightly_app.handler(
        {"kind": "nightly", "night": world.night.isoformat()}, fake_context("NightlyPull")
    )
    planning = time.monotonic() - started
    client_ids: list[set[str]] = []

    def services() -> Any:
        container = container_services(clock)
        used: set[str] = set()
        client_ids.append(used)
        silae = container.silae

        def observed(credentials: Any) -> Any:
            used.add(credentials.client_id)
            return silae(credentials)

        container.silae = observed
        return container

    marks = (len(stack.silae.calls), len(stack.myunisoft.calls), len(stack.myunisoft.token_calls))
    executor = FifoExecutor(
        stack.queue_url,
        workers=run.workers,
        batch_size=run.batch_size,
        timeout_seconds=timeout,
        max_seconds=1800.0,  # a night on a slow machine; a stuck one still ends
        services_factory=services,
        clock=clock.monotonic if clock is not None else time.monotonic,
    )
    before = resource.getrusage(resource.RUSAGE_SELF)
    report = executor.run()
    after = resource.getrusage(resource.RUSAGE_SELF)
    token_calls = stack.myunisoft.token_calls[marks[2] :]
    last: dict[str, float] = {}
    for token, _path, at in token_calls:
        last[token] = max(at, last.get(token, at))
    month = MonthRun(
        label=label,
        scale=stack.scale,
        world=world,
        report=report,
        planning_seconds=planning,
        cpu_seconds=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        silae_calls=_by_path(stack.silae.calls[marks[0] :]),
        myunisoft_calls=_by_path(stack.myunisoft.calls[marks[1] :]),
        calls_by_token=dict(Counter(token for token, _path, _at in token_calls)),
        last_call_by_token=last,
        client_ids_per_container=client_ids,
        run_ids=list(plan["run_ids"]),
    )
    if plan["created"] != len(world.dossiers):
        month.problems.append(f"planned {plan['created']} runs for {len(world.dossiers)} dossiers")
    if report.group_overlaps:
        month.problems.append(f"{report.group_overlaps} batches overlapped a group in flight")
    if report.timed_out:
        month.problems.append("the drain timed out")
    return month


def _check(stack: Stack, worlds: Sequence[World], run_ids: Sequence[str]) -> list[str]:
    """Every run the latest night planned succeeded; every entry of every month is in MyUnisoft once.

    One read per run and one pass over the fake's books: a query per dossier (an index query scans
    the whole table in moto) would cost a 2 000-dossier night minutes.
    """
    problems: list[str] = []
    runs = stack.services.runs
    status: dict[str, str] = {}
    for run_id in run_ids:
        run = runs.get(run_id)
        if run is not None:
            status[run.dossier_id] = run.status.value
    origins = stack.myunisoft.origins_by_society()
    for items in zip(*(w.dossiers for w in worlds), strict=True):
        dossier = items[-1].dossier
        posted = origins.get(dossier.society_id, [])
        expected = sum(len(item.groups) for item in items)
        state = status.get(dossier.dossier_id, "none")
        if state != "succeeded" or len(posted) != expected or len(set(posted)) != len(posted):
            problems.append(f"{dossier.dossier_id}: run {state}, {len(posted)} entries in MyUnisoft")
    return problems[:20]
