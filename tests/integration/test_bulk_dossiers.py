"""The bulk save's use case over moto: what the HTTP tests cannot provoke on demand, a concurrent save
holding a dossier and the call's time running out."""

from __future__ import annotations

from typing import Any

from paysync.domain.access import Principal
from paysync.storage.config_table import Lease
from paysync.usecases.bulk_dossiers import BulkItem, Outcome, save_dossiers
from paysync.usecases.settings import DossierChange
from tests.harness import Env

DUPONT = Principal(scope="firm", key_id="k", firm_id="cabinet-dupont")


def _item(dossier_id: str, number: str, society: int, **more: Any) -> BulkItem:
    change = DossierChange(name=dossier_id, society_id=society, payroll_dossier_number=number, **more)
    return BulkItem(dossier_id, change)


def test_a_dossier_held_by_a_concurrent_save_is_a_conflict_and_the_others_are_saved(
    env: Env, world: Any
) -> None:
    services = env.services
    held = Lease.taken(services.clock())
    assert services.config.take_lease("dossier", "garage-leroy", held, services.clock())
    items = [_item("garage-leroy", "000102", 102, run_day=9), _item("fleuriste", "000105", 105)]
    report = save_dossiers(services, DUPONT, "cabinet-dupont", DossierChange(), items)
    outcomes = [(r.dossier_id, r.outcome) for r in report.results]
    assert outcomes == [("garage-leroy", Outcome.CONFLICT), ("fleuriste", Outcome.CREATED)]
    assert "en cours d'enregistrement" in (report.results[0].message or "")
    garage = services.config.get_dossier("garage-leroy")
    assert garage is not None and garage.run_day != 9


def test_items_left_when_the_time_runs_out_are_failed_and_a_repeat_finishes_them(
    env: Env, world: Any
) -> None:
    services = env.services
    items = [_item("fleuriste", "000105", 105), _item("boucherie", "000108", 108)]
    report = save_dossiers(services, DUPONT, "cabinet-dupont", DossierChange(), items, time_budget=-1)
    assert [r.outcome for r in report.results] == [Outcome.FAILED, Outcome.FAILED]
    assert "faute de temps" in (report.results[0].message or "")
    assert services.config.get_dossier("fleuriste") is None
    assert report.counts()["failed"] == 2
    report = save_dossiers(services, DUPONT, "cabinet-dupont", DossierChange(), items)
    assert [r.outcome for r in report.results] == [Outcome.CREATED, Outcome.CREATED]
