"""benchmarks.floor: the night's lower bounds, computed by hand on small nights."""

from __future__ import annotations

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
