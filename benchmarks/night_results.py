"""What a night's run says, as benchmark results: its makespan against the floor and against the
bound of the calls it made, its calls per dossier, and how a token's time grows with its dossiers
(see ``benchmarks.night`` for the nights, ``benchmarks.floor`` for the bounds)."""

from __future__ import annotations

from typing import Any

from benchmarks.common import Result, verdict
from benchmarks.floor import Bound, floor_loads, floor_slope, lower_bound, made_loads, slope
from benchmarks.night import COLD_EXTRA, GOAL, SILAE_PER_DOSSIER, STEADY_EXTRA, MonthRun, NightRun


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
        "local_cpu_seconds_per_dossier": round(month.cpu_seconds / month.dossiers, 4),
        # In virtual time the local CPU took none of the makespan: no share to speak of.
        "cpu_share": None if run.virtual else round(month.cpu_seconds / makespan, 2),
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
    results.append(growth_result(run, last, f"{prefix}: a token's time per dossier ({last.label})"))
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


def growth_result(run: NightRun, month: MonthRun, name: str) -> Result:
    """How a token's time grows with its dossiers (the slope of each token's last MyUnisoft call,
    real seconds, against its dossiers), against the floor's growth."""
    factor, costs = month.scale.factor, month.costs
    floor, _made = bounds(run, month)
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
    growth = slope([p for p in points if p[0] > 1])
    entries_per_dossier = month.world.entries / month.dossiers
    calls_per_dossier = sum(month.calls_by_token.values()) / month.dossiers
    return Result(
        name=name,
        value=round(growth, 3) if growth is not None else 0.0,
        unit="s/dossier",
        goal="-",
        compared_with="floor's growth, real s/dossier",
        bound=round(floor_slope(entries_per_dossier, costs) * factor, 3),
        verdict="info",
        details={
            "fit_over": "tokens of more than one dossier: last MyUnisoft call (real s) against dossiers",
            "growth_of_the_calls_made_real_s_per_dossier": round(
                floor_slope(calls_per_dossier, costs) * factor, 3
            ),
            "myunisoft_calls_per_dossier": round(calls_per_dossier, 3),
            "entries_per_dossier": round(entries_per_dossier, 3),
            "cpu_share": None if run.virtual else round(month.cpu_seconds / month.report.makespan, 2),
            "tokens": per_token[:12],
        },
    )


# Token sizes of the 2 000-dossier night, grouped for the table (dossiers per token, inclusive).
TOKEN_SIZES: tuple[tuple[int, int], ...] = ((1, 1), (2, 50), (51, 150), (151, 400))


def token_spans(run: NightRun, month: MonthRun) -> list[dict[str, Any]]:
    """Each token's own time: from the start of its first batch to its last MyUnisoft call, against
    its own floor (the largest of its rate bound and its chain), in the night's seconds."""
    floor, _made = bounds(run, month)
    group_of = {token: items[0].dossier.message_group for token, items in month.world.by_token().items()}
    first_batch: dict[str, float] = {}
    for invocation in month.report.history:
        for group in invocation.groups:
            first_batch[group] = min(invocation.started, first_batch.get(group, invocation.started))
    spans = []
    for token, items in month.world.by_token().items():
        group = group_of[token]
        if token not in month.last_call_by_token or group not in first_batch:
            continue
        own = month.last_call_by_token[token] - first_batch[group]
        spans.append(
            {
                "dossiers": len(items),
                "entries": sum(len(d.groups) for d in items),
                "seconds": round(own, 3),
                "floor_seconds": round(floor.per_token[token], 3),
                "ratio": round(own / floor.per_token[token], 3),
                "finished_at": round(month.last_call_by_token[token] - month.report.started, 3),
            }
        )
    return sorted(spans, key=lambda t: -int(t["dossiers"]))


def token_size_results(run: NightRun, month: MonthRun, prefix: str) -> list[Result]:
    """How a token's time grows with its dossiers: per size class, the worst token's own time over
    its own floor, each token listed."""
    spans = token_spans(run, month)
    results = []
    for low, high in TOKEN_SIZES:
        members = [t for t in spans if low <= int(t["dossiers"]) <= high]
        if not members:
            continue
        worst = max(members, key=lambda t: float(t["ratio"]))
        size = f"{low} dossier{'s' if high > 1 else ''}" if low == high else f"{low}-{high} dossiers"
        results.append(
            Result(
                name=f"{prefix}, tokens of {size}: time / own floor ({month.label})",
                value=float(worst["ratio"]),
                unit="ratio",
                goal="-",
                compared_with="the worst token's own floor, s",
                bound=float(worst["floor_seconds"]),
                verdict="info",
                details={
                    "tokens": len(members),
                    "fit_over": "each token: start of its first batch to its last MyUnisoft call",
                    "by_token": members[:20],
                },
            )
        )
    return results


def big_night_results(run: NightRun, *, prefix: str = "1b. 2000-dossier night") -> list[Result]:
    """The large night, reported as the default one (its steady month held to the same goal), and
    how a token's time grows with its dossiers, size class by size class."""
    results = makespan_results(run, prefix=prefix)
    for result in results:
        result.details.setdefault("time", "virtual" if run.virtual else "scaled")
        if run.virtual:
            result.details["clock_advances"] = run.clock_advances
    return results + token_size_results(run, run.months[-1], prefix)
