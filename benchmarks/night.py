"""Benchmarks 1 and 2: a whole night through the real handlers, on the scaled local stack.

``nightly_pull`` plans the night, then :class:`local.executor.FifoExecutor` drains the FIFO queue
with the template's worker settings (batch size, maximum concurrency), each worker a Lambda
container calling ``functions/sync_worker/app.handler``. Every run must succeed and every entry
be in MyUnisoft once, or the benchmark fails.

**Lower bound of the makespan** (a true one: no schedule can beat it), the largest of:

- per MyUnisoft token, its calls under the rate limit: with ``C`` calls, at most ``limit`` in any
  window, the last one cannot be sent before ``floor((C - 1) / limit)`` windows, and takes a
  call's latency; the token's first call waits for its dossier's Silae calls;
- per FIFO group, its calls one after the other (a group's runs never overlap): the sum of their
  latencies;
- all the calls' latencies, divided by the workers.

Calls are counted at the design's minimum (below), so the bound holds for any implementation.

**Minimum calls per dossier**: Silae ``EcrituresComptables4`` + ``RecupererFichiersEcrituresComptables``
(plus a token once per Client ID and container); MyUnisoft journal list + fiscal years + chart,
then per entry the lookup ``GET /entry/id`` and ``POST /entry``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from benchmarks.common import Result, say, verdict
from benchmarks.stack import MYUNISOFT_RATE_LIMIT, TimeScale, scaled_stack
from benchmarks.world import NIGHT_FIRMS, FirmSpec, World, seed_night
from local.containers import container_services
from local.executor import DrainReport, FifoExecutor, event_source

NIGHT = date(2026, 11, 21)
SILAE_MIN = 2  # EcrituresComptables4 + RecupererFichiersEcrituresComptables
MYUNISOFT_FIXED = 3  # journals + fiscal years + chart
MYUNISOFT_PER_ENTRY = 2  # GET /entry/id + POST /entry


def myunisoft_minimum(entries: int) -> int:
    return MYUNISOFT_FIXED + MYUNISOFT_PER_ENTRY * entries


@dataclass
class NightRun:
    world: World
    report: DrainReport
    scale: TimeScale
    workers: int
    batch_size: int
    planning_seconds: float
    silae_calls: dict[str, int]
    myunisoft_calls: dict[str, int]
    client_ids_per_container: list[set[str]]
    problems: list[str] = field(default_factory=list)


def _calls(fake: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _method, path, _at in list(fake.calls):
        counts[path] = counts.get(path, 0) + 1
    return counts


def run_night(
    scale: TimeScale,
    firms: Sequence[FirmSpec] = NIGHT_FIRMS,
    *,
    workers: int | None = None,
    batch_size: int | None = None,
) -> NightRun:
    """Plan and drain one night; ``workers``/``batch_size`` default to the template's."""
    with scaled_stack(scale) as stack:
        source = event_source(stack.resources.template)
        workers = workers or source.maximum_concurrency or 10
        batch_size = batch_size or source.batch_size
        svc = stack.services
        world = seed_night(stack.silae, stack.myunisoft, svc.config, svc.secrets, NIGHT, firms=firms)
        say(
            f"  night: {len(world.dossiers)} dossiers, {world.entries} entries, {len(world.by_group())} groups"
        )

        from functions.nightly_pull import app as nightly_app
        from local.lambda_runtime import fake_context

        started = time.monotonic()
        plan = nightly_app.handler(
            {"kind": "nightly", "night": NIGHT.isoformat()}, fake_context("NightlyPull")
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

        executor = FifoExecutor(
            stack.queue_url,
            workers=workers,
            batch_size=batch_size,
            timeout_seconds=source.timeout_seconds,
            services_factory=services,
        )
        report = executor.run()
        run = NightRun(
            world=world,
            report=report,
            scale=scale,
            workers=workers,
            batch_size=batch_size,
            planning_seconds=planning,
            silae_calls=_calls(stack.silae),
            myunisoft_calls=_calls(stack.myunisoft),
            client_ids_per_container=client_ids,
        )
        if plan["created"] != len(world.dossiers):
            run.problems.append(f"planned {plan['created']} runs for {len(world.dossiers)} dossiers")
        run.problems.extend(_check(stack, world))
        if report.group_overlaps:
            run.problems.append(f"{report.group_overlaps} batches overlapped a group in flight")
        if report.timed_out:
            run.problems.append("the drain timed out")
        return run


def _check(stack: Any, world: World) -> list[str]:
    """Every run succeeded; every entry is in MyUnisoft exactly once."""
    problems: list[str] = []
    runs = stack.services.runs
    for item in world.dossiers:
        found = runs.list_for_dossier(item.dossier.dossier_id, limit=1)
        status = found[0].status.value if found else "none"
        entries = stack.myunisoft.entries(item.dossier.society_id)
        origins = [e["entry_origin_partner_id"] for e in entries]
        if status != "succeeded" or len(origins) != len(item.groups) or len(set(origins)) != len(origins):
            problems.append(f"{item.dossier.dossier_id}: run {status}, {len(origins)} entries in MyUnisoft")
    return problems[:20]


# ------------------------------------------------------------------ bounds and results


@dataclass
class Bound:
    seconds: float
    kind: str  # rate | group | work
    rate: float
    group: float
    work: float


def lower_bound(world: World, scale: TimeScale, workers: int) -> Bound:
    silae, myu, window = scale.silae_latency, scale.myunisoft_latency, scale.rate_window

    def latency(items: Sequence[Any]) -> float:
        return sum(SILAE_MIN * silae + myunisoft_minimum(len(d.groups)) * myu for d in items)

    rate = max(
        SILAE_MIN * silae
        + ((sum(myunisoft_minimum(len(d.groups)) for d in items) - 1) // MYUNISOFT_RATE_LIMIT) * window
        + myu
        for items in world.by_token().values()
    )
    group = max(latency(items) for items in world.by_group().values())
    work = latency(world.dossiers) / workers
    seconds, kind = max((rate, "rate"), (group, "group"), (work, "work"))
    return Bound(seconds=seconds, kind=kind, rate=rate, group=group, work=work)


def makespan_results(run: NightRun) -> list[Result]:
    bound = lower_bound(run.world, run.scale, run.workers)
    makespan = run.report.makespan
    ratio = makespan / bound.seconds
    factor = run.scale.factor
    details = {
        "dossiers": len(run.world.dossiers),
        "firms": len(run.world.firms),
        "entries": run.world.entries,
        "fifo_groups": len(run.world.by_group()),
        "workers": run.workers,
        "batch_size": run.batch_size,
        "time_scale": factor,
        "makespan_seconds_scaled": round(makespan, 3),
        "makespan_minutes_real_equivalent": round(makespan * factor / 60, 2),
        "lower_bound_seconds_scaled": round(bound.seconds, 3),
        "lower_bound_kind": bound.kind,
        "bounds_seconds_scaled": {
            "rate_per_token": round(bound.rate, 3),
            "group_chain": round(bound.group, 3),
            "work_over_workers": round(bound.work, 3),
        },
        "planning_seconds_unscaled": round(run.planning_seconds, 3),
        "invocations": run.report.invocations,
        "containers": run.report.containers,
        "group_overlaps": run.report.group_overlaps,
        "problems": run.problems,
    }
    ok = ratio <= 1.25 and not run.problems
    return [
        Result(
            name="1. night makespan / lower bound",
            value=round(ratio, 3),
            unit="ratio",
            goal="<= 1.25",
            compared_with=f"lower bound ({bound.kind}), s scaled",
            bound=round(bound.seconds, 3),
            verdict=verdict(ok),
            details=details,
        ),
        Result(
            name="1. night makespan (real-time equivalent)",
            value=round(makespan * factor / 60, 2),
            unit="min",
            goal="-",
            compared_with="lower bound, min",
            bound=round(bound.seconds * factor / 60, 2),
            verdict="info",
            details={
                "dossiers": len(run.world.dossiers),
                "workers": run.workers,
                "batch_size": run.batch_size,
            },
        ),
    ]


def _sum(calls: dict[str, int], *paths: str) -> int:
    return sum(calls.get(p, 0) for p in paths)


def calls_results(run: NightRun) -> list[Result]:
    dossiers = len(run.world.dossiers)
    silae_api = sum(n for p, n in run.silae_calls.items() if p.startswith("/payroll/"))
    tokens = _sum(run.silae_calls, "/oauth2/v2.0/token")
    myu = sum(n for p, n in run.myunisoft_calls.items() if p.startswith("/api/v1/"))
    myu_min = sum(myunisoft_minimum(len(d.groups)) for d in run.world.dossiers) / dossiers
    token_allowance = sum(len(ids) for ids in run.client_ids_per_container)
    per_run = {
        path: round(_sum(run.myunisoft_calls, path) / dossiers, 3)
        for path in ("/api/v1/diary", "/api/v1/account", "/api/v1/society/exercice")
    }
    silae_per = silae_api / dossiers
    myu_per = myu / dossiers
    return [
        Result(
            name="2. Silae calls per dossier",
            value=round(silae_per, 3),
            unit="calls",
            goal="<= minimum + 1",
            compared_with="design minimum",
            bound=SILAE_MIN,
            verdict=verdict(silae_per <= SILAE_MIN + 1),
            details={"by_path": run.silae_calls, "dossiers": dossiers},
        ),
        Result(
            name="2. Silae tokens fetched",
            value=tokens,
            unit="tokens",
            goal="<= 1 per Client ID and container",
            compared_with="Client IDs used, summed over containers",
            bound=token_allowance,
            verdict=verdict(tokens <= token_allowance),
            details={"client_ids": len(run.world.client_ids), "containers": run.report.containers},
        ),
        Result(
            name="2. MyUnisoft calls per dossier",
            value=round(myu_per, 3),
            unit="calls",
            goal="<= minimum + 1",
            compared_with="design minimum (3 + 2 x entries)",
            bound=round(myu_min, 3),
            verdict=verdict(myu_per <= myu_min + 1),
            details={
                "by_path": run.myunisoft_calls,
                "entries_per_dossier": round(run.world.entries / dossiers, 3),
            },
        ),
        Result(
            name="2. journal list + chart per dossier and run",
            value=per_run["/api/v1/diary"] + per_run["/api/v1/account"],
            unit="calls",
            goal="== 2",
            compared_with="once each",
            bound=2,
            verdict=verdict(per_run["/api/v1/diary"] == 1 and per_run["/api/v1/account"] == 1),
            details=per_run,
        ),
    ]
