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

The 2 000-dossier night (20 firms, one cold run, a larger time scale) shows how a token's time
grows with its dossiers: each token's last MyUnisoft call against its number of dossiers, and the
slope against the floor's. On a small machine this night is partly bound by the local stack's own
CPU (every dossier costs it tens of milliseconds of moto and HTTP): ``cpu_share`` says how much.
"""

from __future__ import annotations

import resource
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benchmarks.common import Result, say, verdict
from benchmarks.floor import Bound, Costs, floor_loads, floor_slope, lower_bound, made_loads, slope
from benchmarks.stack import MYUNISOFT_RATE_LIMIT, Stack, TimeScale, reset_library_caches, scaled_stack
from benchmarks.world import NIGHT_FIRMS, FirmSpec, World, seed_next_month, seed_night
from local.containers import container_services
from local.executor import DrainReport, FifoExecutor, event_source
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
) -> NightRun:
    """Plan and drain ``months`` consecutive nights of one world, the first (cold) one at
    ``cold_scale`` when given; ``workers``/``batch_size`` default to the template's."""
    with scaled_stack(scale) as stack:
        source = event_source(stack.resources.template)
        run = NightRun(
            workers=workers or source.maximum_concurrency or 10,
            batch_size=batch_size or source.batch_size,
            months=[],
        )
        svc = stack.services
        world = seed_night(stack.silae, stack.myunisoft, svc.config, svc.secrets, NIGHT, firms=firms)
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
            month = _run_month(stack, world, run, "cold" if number == 0 else "steady", source.timeout_seconds)
            month.problems.extend(_check(stack, worlds))
            run.months.append(month)
            say(
                f"  {month.label}: makespan {month.report.makespan:.1f} s, local CPU {month.cpu_seconds:.1f} s"
            )
        return run


def _run_month(stack: Stack, world: World, run: NightRun, label: str, timeout: float) -> MonthRun:
    from functions.nightly_pull import app as nightly_app
    from local.lambda_runtime import fake_context

    started = time.monotonic()
    plan = nightly_app.handler(
        {"kind": "nightly", "night": world.night.isoformat()}, fake_context("NightlyPull")
    )
    planning = time.monotonic() - started
    client_ids: list[set[str]] = []

    def services() -> Any:
        container = container_services()
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
        services_factory=services,
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
    )
    if plan["created"] != len(world.dossiers):
        month.problems.append(f"planned {plan['created']} runs for {len(world.dossiers)} dossiers")
    if report.group_overlaps:
        month.problems.append(f"{report.group_overlaps} batches overlapped a group in flight")
    if report.timed_out:
        month.problems.append("the drain timed out")
    return month


def _check(stack: Stack, worlds: Sequence[World]) -> list[str]:
    """Every run of the latest month succeeded; every entry of every month is in MyUnisoft once."""
    problems: list[str] = []
    runs = stack.services.runs
    for items in zip(*(w.dossiers for w in worlds), strict=True):
        dossier = items[-1].dossier
        found = runs.list_for_dossier(dossier.dossier_id, limit=1)
        status = found[0].status.value if found else "none"
        origins = [e["entry_origin_partner_id"] for e in stack.myunisoft.entries(dossier.society_id)]
        expected = sum(len(item.groups) for item in items)
        if status != "succeeded" or len(origins) != expected or len(set(origins)) != len(origins):
            problems.append(f"{dossier.dossier_id}: run {status}, {len(origins)} entries in MyUnisoft")
    return problems[:20]


# ------------------------------------------------------------------ results


def bounds(run: NightRun, month: MonthRun) -> tuple[Bound, Bound]:
    """The floor and the bound of the calls made, for one month."""
    entries = month.entries_by_token()
    floor = lower_bound(floor_loads(entries), month.costs, run.workers)
    made = lower_bound(made_loads(entries, month.calls_by_token), month.costs, run.workers)
    return floor, made


def night_details(run: NightRun, month: MonthRun, floor: Bound, made: Bound) -> dict[str, Any]:
    """What a night's result says besides its ratio: its size, bounds, costs and problems."""
    factor, makespan = month.scale.factor, month.report.makespan
    return {
        "dossiers": month.dossiers,
        "firms": len(month.world.firms),
        "entries": month.world.entries,
        "period": str(month.world.period),
        "fifo_groups": len(month.world.by_group()),
        "workers": run.workers,
        "batch_size": run.batch_size,
        "time_scale": factor,
        "makespan_seconds_scaled": round(makespan, 3),
        "makespan_minutes_real_equivalent": round(makespan * factor / 60, 2),
        "floor_seconds_scaled": floor.as_dict(),
        "bound_of_calls_made_seconds_scaled": made.as_dict(),
        "makespan_over_bound_of_calls_made": round(makespan / made.seconds, 3),
        "local_cpu_seconds": round(month.cpu_seconds, 1),
        "cpu_share": round(month.cpu_seconds / makespan, 2),
        "planning_seconds_unscaled": round(month.planning_seconds, 3),
        "invocations": month.report.invocations,
        "containers": month.report.containers,
        "group_overlaps": month.report.group_overlaps,
        "problems": month.problems,
    }


def makespan_results(run: NightRun, *, prefix: str = "1. night") -> list[Result]:
    results: list[Result] = []
    for month in run.months:
        factor = month.scale.factor
        floor, made = bounds(run, month)
        makespan = month.report.makespan
        ratio = makespan / floor.seconds
        details = night_details(run, month, floor, made)
        held = month.label == "steady"  # the night of every month; a first run is once per society
        if held:
            judged = verdict(ratio <= GOAL and not month.problems)
        else:
            judged = "fail" if month.problems else "info"
        results.append(
            Result(
                name=f"{prefix} makespan / floor ({month.label})",
                value=round(ratio, 3),
                unit="ratio",
                goal=f"<= {GOAL}" if held else "-",
                compared_with=f"floor ({floor.kind}), s scaled",
                bound=round(floor.seconds, 3),
                verdict=judged,
                details=details,
            )
        )
        results.append(
            Result(
                name=f"{prefix} makespan / bound of the calls made ({month.label})",
                value=round(makespan / made.seconds, 3),
                unit="ratio",
                goal="-",
                compared_with=f"bound of the calls made ({made.kind}), s scaled",
                bound=round(made.seconds, 3),
                verdict="info",
                details={"calls_by_token": sorted(month.calls_by_token.values(), reverse=True)[:10]},
            )
        )
    last = run.months[-1]
    factor = last.scale.factor
    results.append(
        Result(
            name=f"{prefix} makespan, real-time equivalent ({last.label})",
            value=round(last.report.makespan * factor / 60, 2),
            unit="min",
            goal="-",
            compared_with="floor, min",
            bound=round(bounds(run, last)[0].seconds * factor / 60, 2),
            verdict="info",
            details={"dossiers": last.dossiers, "workers": run.workers, "batch_size": run.batch_size},
        )
    )
    return results


def _sum(calls: dict[str, int], *paths: str) -> int:
    return sum(calls.get(p, 0) for p in paths)


def calls_results(run: NightRun) -> list[Result]:
    results: list[Result] = []
    for month in run.months:
        dossiers = month.dossiers
        myu = sum(n for p, n in month.myunisoft_calls.items() if p.startswith("/api/v1/"))
        entries = month.world.entries / dossiers
        extra = COLD_EXTRA if month.label == "cold" else STEADY_EXTRA
        per = myu / dossiers
        results.append(
            Result(
                name=f"2. MyUnisoft calls per dossier ({month.label})",
                value=round(per, 3),
                unit="calls",
                goal=f"<= entries + {extra}",
                compared_with="entries per dossier",
                bound=round(entries, 3),
                verdict=verdict(per <= entries + extra),
                details={
                    "by_path": month.myunisoft_calls,
                    "entries": month.world.entries,
                    "dossiers": dossiers,
                },
            )
        )
    silae = {
        m.label: sum(n for p, n in m.silae_calls.items() if p.startswith("/payroll/")) / m.dossiers
        for m in run.months
    }
    worst = max(silae.values())
    tokens = sum(_sum(m.silae_calls, "/oauth2/v2.0/token") for m in run.months)
    allowance = sum(len(ids) for m in run.months for ids in m.client_ids_per_container)
    results += [
        Result(
            name="2. Silae calls per dossier",
            value=round(worst, 3),
            unit="calls",
            goal=f"<= {SILAE_PER_DOSSIER} (as today)",
            compared_with="the unavoidable two",
            bound=SILAE_PER_DOSSIER,
            verdict=verdict(worst <= SILAE_PER_DOSSIER),
            details={"per_month": silae, "by_path": [m.silae_calls for m in run.months]},
        ),
        Result(
            name="2. Silae tokens fetched",
            value=tokens,
            unit="tokens",
            goal="<= 1 per Client ID and container",
            compared_with="Client IDs used, summed over containers",
            bound=allowance,
            verdict=verdict(tokens <= allowance),
            details={
                "client_ids": len(run.months[0].world.client_ids),
                "containers": [m.report.containers for m in run.months],
            },
        ),
    ]
    return results


def growth_results(run: NightRun, *, prefix: str = "1b. 2000-dossier night") -> list[Result]:
    """How a token's time grows with its dossiers, against the floor's growth."""
    month = run.months[0]
    factor, costs = month.scale.factor, month.costs
    floor, made = bounds(run, month)
    start = month.report.started
    points = []
    per_token = []
    for token, items in month.world.by_token().items():
        if token not in month.last_call_by_token:
            continue
        seconds = month.last_call_by_token[token] - start
        points.append((float(len(items)), seconds * factor))
        per_token.append(
            {
                "dossiers": len(items),
                "entries": sum(len(d.groups) for d in items),
                "myunisoft_calls": month.calls_by_token.get(token, 0),
                "last_call_real_seconds": round(seconds * factor, 1),
                "floor_real_seconds": round(floor.per_token[token] * factor, 1),
            }
        )
    per_token.sort(key=lambda t: -int(t["dossiers"]))
    large = [p for p in points if p[0] > 1]
    growth = slope(large)
    entries_per_dossier = month.world.entries / month.dossiers
    floor_growth = floor_slope(entries_per_dossier, costs) * factor
    calls_per_dossier = sum(month.calls_by_token.values()) / month.dossiers
    made_growth = floor_slope(calls_per_dossier, costs) * factor
    makespan = month.report.makespan
    cpu_share = month.cpu_seconds / makespan
    return [
        Result(
            name=f"{prefix}: makespan / floor",
            value=round(makespan / floor.seconds, 3),
            unit="ratio",
            goal="-",
            compared_with=f"floor ({floor.kind}), s scaled",
            bound=round(floor.seconds, 3),
            verdict="fail" if month.problems else "info",
            details={**night_details(run, month, floor, made), "cpu_bound": cpu_share > 0.5},
        ),
        Result(
            name=f"{prefix}: a token's time per dossier",
            value=round(growth, 3) if growth is not None else 0.0,
            unit="s/dossier",
            goal="-",
            compared_with="floor's growth, real s/dossier",
            bound=round(floor_growth, 3),
            verdict="info",
            details={
                "fit_over": "tokens of more than one dossier: last MyUnisoft call (real s) against dossiers",
                "growth_of_the_calls_made_real_s_per_dossier": round(made_growth, 3),
                "myunisoft_calls_per_dossier": round(calls_per_dossier, 3),
                "entries_per_dossier": round(entries_per_dossier, 3),
                "tokens": per_token[:12],
            },
        ),
    ]
