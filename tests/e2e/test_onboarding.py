"""Onboarding by discovery on the local stack, as a firm lives it: discovery with the firm's saved
credentials and cabinet token proposes every demo dossier, the firm accepts them in one bulk call,
and the next night (the planner, then the worker through the local stack's executor) syncs them into
MyUnisoft."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.console.served import DUPONT, issue_key, own_environment
from tests.integration.api.test_discovery_api import DUPONT_PROPOSALS

pytestmark = pytest.mark.e2e


@dataclass
class Onboarding:
    http: httpx.Client  # the API as `make serve` serves it, with cabinet-dupont's key
    stack: Any
    world: Any


@pytest.fixture(scope="module")
def onboarding() -> Iterator[Onboarding]:
    with own_environment():
        from local.demo import local_stack
        from local.demo_data import seed
        from local.serve import LocalApi
        from paysync.entrypoints import services, today_in

        with local_stack() as stack:
            svc = services()
            world = seed(
                stack.silae, stack.myunisoft, svc.config, svc.secrets, today_in(svc.settings.timezone)
            )
            headers = {"Authorization": f"Bearer {issue_key(DUPONT)}"}
            with LocalApi() as api, httpx.Client(base_url=api.url, headers=headers, timeout=60) as http:
                yield Onboarding(http, stack, world)


def _post(onboarding: Onboarding, path: str, body: Any) -> Any:
    answer = onboarding.http.post(path, json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_discovered_dossiers_accepted_in_one_call_are_synced_the_next_night(onboarding: Onboarding) -> None:
    from local.demo import run_night
    from paysync.entrypoints import services

    found = _post(onboarding, f"/firms/{DUPONT}/discovery", {})
    assert found["diagnoses"] == {"payroll": [], "myunisoft": []}
    proposals = {p["payroll_dossier_number"]: p for p in found["proposals"]}
    assert {
        number: (p["how"], p["society_id"], p["confidence"], p["configured_dossier_id"])
        for number, p in proposals.items()
    } == DUPONT_PROPOSALS

    # The firm accepts every new sure match, and picks the Nantes café among the two namesakes.
    chosen = {
        n: p["society_id"] for n, p in proposals.items() if p["society_id"] and not p["configured_dossier_id"]
    }
    chosen["000110"] = next(
        c["society_id"] for c in proposals["000110"]["candidates"] if c["city"] == "NANTES"
    )
    items = [
        {
            "dossier_id": f"paie-{number}",
            "name": proposals[number]["payroll_name"],
            "society_id": society,
            "payroll_dossier_number": number,
        }
        for number, society in sorted(chosen.items())
    ]
    defaults = {"run_day": 1, "auto_pull": True, "contact_emails": ["paie@dupont-associes.fr"]}
    saved = _post(onboarding, f"/firms/{DUPONT}/dossiers/bulk", {"defaults": defaults, "items": items})
    assert [(r["dossier_id"], r["result"]) for r in saved["results"]] == [
        (i["dossier_id"], "created") for i in items
    ]
    again = _post(onboarding, f"/firms/{DUPONT}/dossiers/bulk", {"defaults": defaults, "items": items})
    assert again["counts"]["unchanged"] == len(items)

    svc = services()
    myunisoft = onboarding.stack.myunisoft
    assert all(myunisoft.entries(society) == [] for society in chosen.values())
    tomorrow = onboarding.world.night + timedelta(days=1)
    plan, _ = run_night(onboarding.stack.env["SYNC_QUEUE_URL"], tomorrow)
    assert plan["created"] >= len(items)
    period = str(onboarding.world.period)
    for item in items:
        dossier = svc.config.get_dossier(item["dossier_id"])
        assert dossier is not None and dossier.last_run is not None, item
        assert (dossier.last_run.period, dossier.last_run.status) == (period, "succeeded"), item
        assert dossier.last_synced_period == period
        (entry,) = myunisoft.entries(item["society_id"])
        assert item["name"] in str(entry), entry  # the payroll OD of that dossier, in its own books
