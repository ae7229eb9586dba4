"""benchmarks.floor: the night's lower bounds, computed by hand on small nights."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from benchmarks.floor import (
    Costs,
    TokenLoad,
    floor_loads,
    floor_slope,
    lower_bound,
    made_loads,
    rate_bound,
    slope,
)

# Real-night costs: Silae 0.2 s and MyUnisoft 0.1 s per call, 20 calls per 10 s.
COSTS = Costs(silae=0.2, myunisoft=0.1, window=10.0, limit=20)


def test_the_rate_bound_counts_whole_windows_after_the_first_dossier_s_silae_calls() -> None:
    # The first dossier's two Silae calls go at once: one latency before the first MyUnisoft call.
    assert rate_bound(TokenLoad(1, 2, 20), COSTS) == pytest.approx(0.2 + 0 + 0.1)  # 20 calls: one window
    assert rate_bound(TokenLoad(1, 2, 21), COSTS) == pytest.approx(0.2 + 10 + 0.1)  # the 21st waits
    assert rate_bound(TokenLoad(120, 240, 162), COSTS) == pytest.approx(0.2 + 80 + 0.1)
    assert rate_bound(TokenLoad(3, 6, 0), COSTS) == 0.0


def test_the_floor_counts_silae_s_two_calls_and_one_post_per_entry() -> None:
    loads = floor_loads({"cabinet": [1, 2, 1], "societe": [3]})
    assert loads == {"cabinet": TokenLoad(3, 6, 4), "societe": TokenLoad(1, 2, 3)}
    made = made_loads({"cabinet": [1, 2, 1], "societe": [3]}, {"cabinet": 17})
    assert made == {"cabinet": TokenLoad(3, 6, 17), "societe": TokenLoad(1, 2, 0)}


def test_the_bound_is_the_largest_of_rate_group_and_work() -> None:
    # One big token: rate-bound (150 POSTs: 7 windows) above its chain (24 + 15 s).
    big = lower_bound(floor_loads({"big": [1, 2, 1, 1] * 30}), COSTS, workers=10)
    assert big.kind == "rate"
    assert big.seconds == pytest.approx(big.rate)
    # Many one-dossier tokens and one worker: the sum of all latencies.
    many = lower_bound(floor_loads({f"t{n}": [1] for n in range(50)}), COSTS, workers=1)
    assert many.kind == "work"
    assert many.seconds == pytest.approx(50 * (0.2 + 0.1))
    # One token of slow dossiers (no rate pressure): its chain, a run's Silae pair counted once.
    chain = lower_bound(floor_loads({"slow": [1] * 10}), COSTS, workers=10)
    assert chain.kind == "group"
    assert chain.seconds == pytest.approx(10 * 0.3)
    assert chain.per_token["slow"] == pytest.approx(3.0)


def test_growth() -> None:
    assert slope([(1, 2.0), (2, 4.0), (4, 8.0)]) == pytest.approx(2.0)
    assert slope([(3, 1.0), (3, 2.0)]) is None
    # 1.35 POSTs per dossier at 2 per second: 0.675 s per dossier, above its latencies (0.335 s).
    assert floor_slope(1.35, COSTS) == pytest.approx(0.675)
    assert floor_slope(0.1, COSTS) == pytest.approx(0.21)


# -- the 2 000-dossier night's rows: each token's own time against its own floor -------------------


def _month_of_two_tokens() -> tuple[Any, Any]:
    from datetime import date

    from benchmarks.night import MonthRun, NightRun
    from benchmarks.stack import TimeScale
    from benchmarks.world import World
    from local.executor import DrainReport, Invocation
    from paysync.domain.periods import Period

    def seeded(token: str, group: str, entries: int) -> Any:
        return SimpleNamespace(
            token=token, groups=[object()] * entries, dossier=SimpleNamespace(message_group=group)
        )

    world = World(night=date(2026, 11, 21), period=Period(2026, 10), firms=[])
    world.dossiers = [seeded("big", "firm-big", 1) for _ in range(40)] + [seeded("one", "dossier-one", 2)]
    report = DrainReport(workers=10, batch_size=10, started=100.0, ended=116.0)
    report.history = [
        Invocation(0, 1, 100.0, 101.0, ["m1"], ["firm-big"]),
        Invocation(1, 2, 101.0, 102.0, ["m2"], ["firm-big"]),
        Invocation(2, 3, 105.0, 106.0, ["m3"], ["dossier-one"]),
    ]
    month = MonthRun(
        label="steady",
        scale=TimeScale(1.0),
        world=world,
        report=report,
        planning_seconds=0.0,
        cpu_seconds=0.0,
        silae_calls={},
        myunisoft_calls={},
        calls_by_token={"big": 40, "one": 2},
        last_call_by_token={"big": 115.0, "one": 105.8},
        client_ids_per_container=[],
    )
    return NightRun(workers=10, batch_size=10, months=[month], virtual=True), month


def test_a_token_s_own_time_runs_from_its_first_batch_to_its_last_call_against_its_own_floor() -> None:
    from benchmarks.night_results import token_spans

    run, month = _month_of_two_tokens()
    big, one = token_spans(run, month)
    # 40 dossiers of one entry: rate 0.2 + 1 window + 0.1 = 10.3 s, chain 40 x (0.2 + 0.1) = 12 s.
    assert (big["dossiers"], big["floor_seconds"], big["seconds"]) == (40, 12.0, 15.0)
    assert big["ratio"] == 1.25 and big["finished_at"] == 15.0
    # One dossier of two entries: its chain, 0.2 + 2 x 0.1; from its batch at 105 s to 105.8 s.
    assert (one["dossiers"], one["floor_seconds"], one["seconds"], one["ratio"]) == (1, 0.4, 0.8, 2.0)
    assert one["finished_at"] == 5.8


def test_the_rows_by_size_give_each_class_s_worst_token() -> None:
    from benchmarks.night_results import token_size_results

    run, month = _month_of_two_tokens()
    rows = token_size_results(run, month, "1b. night")
    assert [(r.name, r.value, r.bound) for r in rows] == [
        ("1b. night, tokens of 1 dossier: time / own floor (steady)", 2.0, 0.4),
        ("1b. night, tokens of 2-50 dossiers: time / own floor (steady)", 1.25, 12.0),
    ]
    assert all(r.verdict == "info" for r in rows)
