"""The fakes' fault plan: faults by path and header, at random with a seed, counted."""

from __future__ import annotations

from local.fakes.server import Fault, FaultPlan


def test_a_fault_matches_its_path_and_headers_only() -> None:
    plan = FaultPlan()
    plan.add(Fault("recoverable", times=None, path_contains="/Ecritures", headers={"dossiers": "000201"}))
    assert plan.take("/payroll/v1/EcrituresComptables4", {"dossiers": "000101"}) is None
    assert plan.take("/payroll/v1/Fichiers", {"dossiers": "000201"}) is None
    assert plan.take("/payroll/v1/EcrituresComptables4", {"dossiers": "000201"}) is not None
    assert plan.injected["recoverable"] == 1


def test_random_faults_follow_their_seed() -> None:
    def draws(seed: int) -> list[bool]:
        plan = FaultPlan()
        plan.randomly(0.3, Fault("reset"), seed=seed)
        return [plan.take("/api/v1/diary") is not None for _ in range(200)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    assert 30 < sum(draws(7)) < 90


def test_scheduled_faults_come_before_random_ones_and_clear_forgets_both() -> None:
    plan = FaultPlan()
    plan.randomly(1.0, Fault("latency", seconds=0.01))
    plan.add(Fault("maintenance", times=1))
    first, second = plan.take("/x"), plan.take("/x")
    assert first is not None and first.kind == "maintenance"
    assert second is not None and second.kind == "latency"
    plan.clear()
    assert plan.take("/x") is None and not plan.injected


def test_a_fault_can_be_aimed_at_a_method_and_let_the_first_requests_through() -> None:
    plan = FaultPlan()
    plan.add(Fault("status", times=1, path_contains="/api/v1/entry", method="POST", skip=1))
    assert plan.take("/api/v1/entry/id", method="GET") is None  # not its method
    assert plan.take("/api/v1/entry", method="POST") is None  # the first one goes through
    assert plan.take("/api/v1/entry", method="POST") is not None
    assert plan.take("/api/v1/entry", method="POST") is None  # times spent
