"""On-demand sync (queued like the nightly runs, never twice at once; dry runs post nothing) and status."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from paysync.domain.access import Principal
from paysync.domain.models import RunStatus
from paysync.domain.periods import Period
from tests.harness import drain, run_nightly, society_entries
from tests.integration.api.conftest import Api, paris_today
from tests.integration.conftest import NIGHT


def _queued(api: Api) -> int:
    """Messages waiting in the sync queue."""
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=api.env.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_a_trigger_queues_a_run_like_the_nightly_ones_and_its_status_is_read_back(api: Api) -> None:
    period = str(api.world.period)
    answer = api.call("POST", "/dossiers/boulangerie-martin/sync", key=api.dupont, json={"period": period})
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    run_id = accepted["run_id"]
    assert accepted == {
        "run_id": run_id,
        "dossier_id": "boulangerie-martin",
        "period": period,
        "status": "queued",
        "created": True,
        "location": f"/v1/runs/{run_id}",
    }
    assert answer.headers["Location"] == f"/v1/runs/{run_id}"
    run = api.ok("GET", f"/runs/{run_id}", key=api.dupont)
    assert run["trigger"] == "on_demand" and run["status"] == "queued" and run["finished"] is False
    assert _queued(api) == 1
    status = api.ok("GET", "/dossiers/boulangerie-martin/status", key=api.dupont)
    assert status["state"] == "in_progress" and status["active_run"]["run_id"] == run_id

    # The worker takes it like a nightly run: the entry is posted once.
    report = drain(api.env)
    assert report.successes == 1
    done = api.ok("GET", f"/runs/{run_id}", key=api.dupont)
    assert done["status"] == "succeeded" and done["posted"] == 1 and done["files_attached"] == 1
    assert done["entries"][0]["entry_id"] and done["entries"][0]["request_id"]
    assert len(society_entries(api.env, 101)) == 1
    runs = api.ok("GET", "/dossiers/boulangerie-martin/runs?limit=5", key=api.dupont)["runs"]
    assert [r["run_id"] for r in runs] == [run_id]
    status = api.ok("GET", "/dossiers/boulangerie-martin/status", key=api.dupont)
    assert status["state"] == "up_to_date" and status["last_sync"]["run_id"] == run_id
    assert status["blocking"] == [] and status["entries_waiting"] == []
    assert status["pending_period"] == str(api.world.period.next())
    assert status["next_due"] == api.world.period.next().next().day(status["run_day"]).isoformat()
    assert "À jour" in status["summary"]


def test_a_second_trigger_while_queued_answers_the_same_run_and_a_finished_run_frees_the_period(
    api: Api,
) -> None:
    period = str(api.world.period)
    first = api.ok("POST", "/dossiers/garage-leroy/sync", key=api.dupont, json={"period": period}, status=202)
    again = api.ok("POST", "/dossiers/garage-leroy/sync", key=api.admin, json={"period": period}, status=202)
    assert again["run_id"] == first["run_id"] and again["created"] is False
    assert _queued(api) == 1
    drain(api.env)
    assert len(society_entries(api.env, 102)) == 2
    # Finished: a new trigger is a new run (the lock is taken over), and it posts nothing twice.
    third = api.ok("POST", "/dossiers/garage-leroy/sync", key=api.dupont, json={"period": period}, status=202)
    assert third["created"] is True and third["run_id"] != first["run_id"]
    drain(api.env)
    finished = api.ok("GET", f"/runs/{third['run_id']}")
    assert finished["status"] == "succeeded" and finished["already_posted"] == 2 and finished["posted"] == 0
    assert len(society_entries(api.env, 102)) == 2


def test_a_queued_nightly_run_of_the_period_is_answered_instead_of_a_new_one(api: Api) -> None:
    plan = run_nightly(api.env, NIGHT)
    nightly = {r.dossier_id: r for r in (api.env.services.runs.get(i) for i in plan["run_ids"]) if r}
    answer = api.ok(
        "POST",
        "/dossiers/cafe-gare/sync",
        key=api.lemoine,
        json={"period": str(api.world.period)},
        status=202,
    )
    assert answer["run_id"] == nightly["cafe-gare"].run_id and answer["created"] is False


def test_the_default_period_is_the_last_closed_month(api: Api) -> None:
    answer = api.ok("POST", "/dossiers/boulangerie-martin/sync", key=api.dupont, status=202)
    assert answer["period"] == str(Period.of(paris_today()).previous())


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """DynamoDB applies a conditional write atomically; moto does not under threads (its server runs in
    this process, a thread per request). One lock around moto's writes gives back the guarantee the
    code relies on (and nothing more)."""
    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    for name in ("put_item", "update_item", "transact_write_items", "delete_item"):
        original = getattr(DynamoDBBackend, name)

        def locked(self: Any, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
    yield


def test_concurrent_triggers_create_one_run(api: Api, atomic_moto: None) -> None:
    from paysync.usecases.on_demand import trigger_sync

    services = api.env.services
    principal = Principal(scope="firm", key_id="k", firm_id="cabinet-dupont")
    barrier = threading.Barrier(8)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def trigger() -> None:
        barrier.wait()
        try:
            answers.append(trigger_sync(services, principal, "boulangerie-martin", str(api.world.period)))
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=trigger) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({a.run.run_id for a in answers}) == 1
    assert sum(a.created for a in answers) == 1
    assert len(services.runs.list_for_dossier("boulangerie-martin")) == 1
    assert _queued(api) == 1


def test_a_run_left_queued_past_the_deduplication_window_is_sent_again(api: Api) -> None:
    services = api.env.services
    first = api.ok(
        "POST", "/dossiers/boulangerie-martin/sync", key=api.dupont, json={"period": "2026-10"}, status=202
    )
    # Its message is lost (e.g. the function died after writing the run).
    boto3.client("sqs").purge_queue(QueueUrl=api.env.queue_url)
    real_clock = services.clock
    services.clock = lambda: real_clock() + timedelta(minutes=6)
    again = api.ok(
        "POST", "/dossiers/boulangerie-martin/sync", key=api.dupont, json={"period": "2026-10"}, status=202
    )
    assert again["run_id"] == first["run_id"] and again["created"] is False
    services.clock = real_clock
    assert drain(api.env).successes == 1
    assert api.ok("GET", f"/runs/{first['run_id']}")["status"] == "succeeded"


def test_a_dry_run_answers_the_entries_it_would_post_and_posts_nothing(api: Api) -> None:
    report = api.ok(
        "POST",
        "/dossiers/menuiserie-girard/sync",
        key=api.lemoine,
        json={"period": str(api.world.period), "dry_run": True},
    )
    assert report["dry_run"] is True and report["period"] == str(api.world.period)
    by_status = {e["status"]: e for e in report["entries"]}
    assert set(by_status) == {"would_post", "blocked"}
    ready, blocked = by_status["would_post"], by_status["blocked"]
    assert ready["files"] == [
        {
            "name": f"journal-paie-{api.world.period}.pdf",
            "type": "application/pdf",
            "size": ready["files"][0]["size"],
        }
    ]
    assert ready["files"][0]["size"] > 0
    body = ready["body"]
    assert body["entry_origin_partner_id"] == ready["partner_id"]
    assert body["pj_list"] == [
        {"name": ready["files"][0]["name"], "type": "application/pdf", "size": ready["files"][0]["size"]}
    ]
    assert "content" not in str(body["pj_list"]) and sum(line["debit"] for line in body["entry_list"]) > 0
    assert blocked["body"] is None and [d["code"] for d in blocked["diagnoses"]] == ["COMPTE2"]
    # Nothing posted (no write of any kind reached MyUnisoft), nothing recorded, nothing queued.
    assert api.env.myunisoft.call_count("/diary") >= 1  # it did read the dossier
    assert [(m, p) for m, p, _ in api.env.myunisoft.calls if m != "GET"] == []
    assert society_entries(api.env, 204) == []
    assert api.env.services.runs.list_for_dossier("menuiserie-girard") == []
    assert _queued(api) == 0


def test_a_dry_run_of_a_misconfigured_dossier_answers_its_diagnosis(api: Api) -> None:
    report = api.ok(
        "POST", "/dossiers/pharmacie-centre/sync", key=api.dupont, json={"period": "2026-10", "dry_run": True}
    )
    assert report["status"] == "failed" and report["entries"] == []
    assert [d["code"] for d in report["diagnoses"]] == ["SILAE10"]


def test_the_status_panel_says_what_blocks_each_dossier_after_the_night(api: Api) -> None:
    run_nightly(api.env, NIGHT)
    drain(api.env)
    pharmacy = api.ok("GET", "/dossiers/pharmacie-centre/status", key=api.dupont)
    assert pharmacy["state"] == "blocked" and [d["code"] for d in pharmacy["blocking"]] == ["SILAE10"]
    assert pharmacy["blocking"][0]["remedy"] and "SILAE10" in pharmacy["summary"]
    assert pharmacy["pending_period"] == str(api.world.period)

    joinery = api.ok("GET", "/dossiers/menuiserie-girard/status", key=api.lemoine)
    assert joinery["state"] == "blocked" and joinery["last_sync"]["status"] == "partial"
    (waiting,) = joinery["entries_waiting"]
    assert waiting["label"].endswith("Girard apprentis") and [d["code"] for d in waiting["diagnoses"]] == [
        "COMPTE2"
    ]

    bakery = api.ok("GET", "/dossiers/boulangerie-martin/status", key=api.dupont)
    assert bakery["state"] == "up_to_date" and bakery["last_synced_period"] == str(api.world.period)

    bookshop = api.ok("GET", "/dossiers/librairie-morel/status", key=api.lemoine)
    assert bookshop["state"] == "never_synced" and bookshop["next_due"] is None
    assert "désactivée" in bookshop["summary"]

    runs = api.ok("GET", "/dossiers/pharmacie-centre/runs", key=api.dupont)["runs"]
    assert [r["status"] for r in runs] == ["failed"] and runs[0]["diagnoses"][0]["code"] == "SILAE10"


def test_runs_and_status_of_another_firm_are_answered_as_missing(api: Api) -> None:
    plan = run_nightly(api.env, NIGHT)
    run_ids = {r.dossier_id: r.run_id for r in (api.env.services.runs.get(i) for i in plan["run_ids"]) if r}
    for path in (
        f"/runs/{run_ids['cafe-gare']}",
        "/dossiers/cafe-gare/runs",
        "/dossiers/cafe-gare/status",
        "/dossiers/cafe-gare",
    ):
        refused = api.call("GET", path, key=api.dupont)
        assert refused.status_code == 404, path
        assert refused.json()["code"] == "not_found"
    for method, path, body in (
        ("POST", "/dossiers/cafe-gare/sync", {}),
        ("POST", "/dossiers/cafe-gare/test-connection", None),
        ("DELETE", "/dossiers/cafe-gare/payroll-credentials", None),
    ):
        assert api.call(method, path, key=api.dupont, json=body).status_code == 404, path
    assert api.env.services.runs.get(run_ids["cafe-gare"]).status is RunStatus.QUEUED  # type: ignore[union-attr]
    # The admin reaches everything.
    assert api.call("GET", f"/runs/{run_ids['cafe-gare']}", key=api.admin).status_code == 200
