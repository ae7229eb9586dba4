"""Benchmark 7: what the watch of synced periods costs each night: vendor calls per watched dossier.

A night syncs every dossier of a small world (one or two entries each); a week later the planner
queues a watch run per synced period and the worker runs them. Counted on the fakes, per watched
dossier: MyUnisoft calls (goal: at most 1, its listing of the journal's entries over the period)
and Silae calls (the period's entries only; the token is cached per container). Then a correction
in every dossier's OD: the watch still makes at most one MyUnisoft call (files are read only by a
replace).
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal

from benchmarks.common import Result, say, verdict


def run_watch(*, tiny: bool = False) -> list[Result]:
    import pytest

    from tests.faultmatrix.matrix import SAFE_AWS_ENV

    with pytest.MonkeyPatch.context() as monkeypatch:
        # Never real AWS (``make bench`` runs this outside the tests' conftest).
        for key, value in SAFE_AWS_ENV.items():
            monkeypatch.setenv(key, value)
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key, raising=False)
        return _watch_nights(tiny)


def _watch_nights(tiny: bool) -> list[Result]:
    from benchmarks.world import FirmSpec
    from local.books import add_a_bonus
    from tests.faultmatrix.nights import night_stack

    firms = [FirmSpec(3, True), FirmSpec(2, False)] if tiny else [FirmSpec(12, True), FirmSpec(8, False)]
    with night_stack(firms) as stack:
        env = stack.env
        night = stack.night()
        night.plan()
        night.drain()
        config = env.services.config
        for item in night.items:  # no next month due meanwhile: the nights below plan watches only
            dossier = config.get_dossier(item.dossier.dossier_id)
            if dossier is not None:
                config.put_dossier(dossier.model_copy(update={"pending_period": "2099-01"}))
        synced_on = env.services.clock().date()
        results: list[Result] = []
        for label, change in (("unchanged", False), ("corrected in Silae", True)):
            if change:
                for item in night.items:
                    env.silae.correct_payroll(
                        str(item.dossier.payroll_dossier_number), night.period, add_a_bonus(Decimal("5.00"))
                    )
            marks = len(env.silae.calls), len(env.myunisoft.calls)
            watch_night = synced_on + timedelta(days=7 * (2 if change else 1))
            planned = night.plan(night=watch_night)
            night.drain()
            watched = int(planned["watches"])
            silae = Counter(path.rsplit("/", 1)[-1] for _m, path, _t in env.silae.calls[marks[0] :])
            myunisoft = Counter(path for _m, path, _t in env.myunisoft.calls[marks[1] :])
            per = max(watched, 1)
            say(f"watch ({label}): {watched} watched; Silae {dict(silae)}; MyUnisoft {dict(myunisoft)}")
            results += [
                Result(
                    name=f"7. watch ({label}): MyUnisoft calls per watched dossier",
                    value=sum(myunisoft.values()) / per,
                    unit="calls",
                    goal="≤ 1 (one listing of the period)",
                    compared_with="watched dossiers",
                    bound=watched,
                    verdict=verdict(watched > 0 and sum(myunisoft.values()) <= watched),
                    details={"by_path": dict(myunisoft)},
                ),
                Result(
                    name=f"7. watch ({label}): Silae calls per watched dossier",
                    value=sum(silae.values()) / per,
                    unit="calls",
                    goal="the period's entries (no file)",
                    compared_with="watched dossiers",
                    bound=watched,
                    verdict=verdict(
                        watched > 0 and silae.get("RecupererFichiersEcrituresComptables", 0) == 0
                    ),
                    details={"by_operation": dict(silae)},
                ),
            ]
        return results
