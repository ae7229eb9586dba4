"""The night's lower bound from the calls that cannot be avoided, and the bound of the calls made.

A night is a set of MyUnisoft tokens; each token's dossiers form one FIFO group (``firm-<id>`` for
a cabinet token, ``dossier-<id>`` for a société token), so token and group are one here. For a
token with ``S`` Silae calls and ``M`` MyUnisoft calls, no schedule can finish the night before
the largest of:

- **rate**: MyUnisoft takes at most ``limit`` calls of a token in any ``window``; the ``k``-th call
  (from 0) cannot go before ``floor(k / limit)`` windows after the first, which itself waits for
  the first dossier's Silae answers: ``silae + floor((M - 1) / limit) x window + myunisoft``;
- **group**: a group's runs never overlap and a run's MyUnisoft calls wait for its Silae answers:
  the sum of the latencies, a run's two Silae calls counted once (they can go at once; the sync
  sends them so): ``S / 2 x silae + M x myunisoft``;
- **work**: every group's latencies, divided by the workers.

**The floor** counts only the calls no design can avoid: per dossier Silae's entries and files
(``EcrituresComptables4``, ``RecupererFichiersEcrituresComptables``), and MyUnisoft's
``POST /entry`` of each entry. Everything else (journal, fiscal years, chart, existence checks) can
be cached or batched, so a bound including them would measure the design against itself. **The
bound of the calls made** puts the MyUnisoft calls the night actually made per token in place of
the POSTs: ``makespan / that bound`` is the scheduling's own overhead, ``that bound / floor`` the
calls' overhead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SILAE_UNAVOIDABLE = 2  # EcrituresComptables4 + RecupererFichiersEcrituresComptables, per dossier


@dataclass(frozen=True)
class Costs:
    """Per-call latencies and MyUnisoft's rate limit, in the night's (scaled) seconds."""

    silae: float
    myunisoft: float
    window: float
    limit: int


@dataclass(frozen=True)
class TokenLoad:
    """One token's (one FIFO group's) share of the night."""

    dossiers: int
    silae_calls: int
    myunisoft_calls: int


@dataclass(frozen=True)
class Bound:
    seconds: float
    kind: str  # rate | group | work
    rate: float
    group: float
    work: float
    per_token: dict[str, float] = field(default_factory=dict)  # each token's own bound

    def as_dict(self) -> dict[str, float | str]:
        return {
            "seconds": round(self.seconds, 3),
            "kind": self.kind,
            "rate_per_token": round(self.rate, 3),
            "group_chain": round(self.group, 3),
            "work_over_workers": round(self.work, 3),
        }


def rate_bound(load: TokenLoad, costs: Costs) -> float:
    if load.myunisoft_calls == 0:
        return 0.0
    windows = (load.myunisoft_calls - 1) // costs.limit
    return costs.silae + windows * costs.window + costs.myunisoft


def chain(load: TokenLoad, costs: Costs) -> float:
    """A token's latencies end to end: each run's Silae pair (sent at once) and MyUnisoft calls."""
    return load.silae_calls / SILAE_UNAVOIDABLE * costs.silae + load.myunisoft_calls * costs.myunisoft


def lower_bound(loads: Mapping[str, TokenLoad], costs: Costs, workers: int) -> Bound:
    """The largest of the three bounds over ``loads`` (one per token)."""
    per_token = {token: max(rate_bound(load, costs), chain(load, costs)) for token, load in loads.items()}
    rate = max((rate_bound(load, costs) for load in loads.values()), default=0.0)
    group = max((chain(load, costs) for load in loads.values()), default=0.0)
    work = sum(chain(load, costs) for load in loads.values()) / workers
    seconds, kind = max((rate, "rate"), (group, "group"), (work, "work"))
    return Bound(seconds=seconds, kind=kind, rate=rate, group=group, work=work, per_token=per_token)


def floor_loads(entries_by_token: Mapping[str, Sequence[int]]) -> dict[str, TokenLoad]:
    """The unavoidable calls: each token's dossiers' entry counts in, its loads out."""
    return {
        token: TokenLoad(len(entries), SILAE_UNAVOIDABLE * len(entries), sum(entries))
        for token, entries in entries_by_token.items()
    }


def made_loads(
    entries_by_token: Mapping[str, Sequence[int]], myunisoft_calls: Mapping[str, int]
) -> dict[str, TokenLoad]:
    """The MyUnisoft calls each token made (Silae's stay the unavoidable two per dossier)."""
    return {
        token: TokenLoad(len(entries), SILAE_UNAVOIDABLE * len(entries), myunisoft_calls.get(token, 0))
        for token, entries in entries_by_token.items()
    }


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """Least-squares slope of ``(x, y)`` points (None with fewer than two distinct ``x``)."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in points)
    variance = sum((x - mean_x) ** 2 for x, _ in points)
    return covariance / variance


def floor_slope(entries_per_dossier: float, costs: Costs) -> float:
    """Seconds each more dossier adds to a large token at the floor: its POSTs at the token's rate,
    or its unavoidable latencies when those weigh more."""
    at_rate = entries_per_dossier * costs.window / costs.limit
    latencies = costs.silae + entries_per_dossier * costs.myunisoft
    return max(at_rate, latencies)
