"""Races between requests, with real threads against the API as `make serve` runs it (moto server,
concurrent invocations): no double creation, no lost update, never the API without an operator
credential. Each race is tried 50 times, on fresh ids."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import boto3
import httpx

from paysync.domain.models import mask
from paysync.domain.periods import Period, due_date
from paysync.storage.apikeys import ApiKeyRepository
from tests.integration.api.conftest import DUPONT, LEMOINE, Api, issue_key

TRIALS = 50


def _payroll(client_id: str) -> dict[str, str]:
    return {
        "client_id": client_id,
        "client_secret": f"cs-{client_id}",
        "subscription_key": f"sk-{client_id}",
        "secret_generated_on": "2026-10-01",
    }


def at_once(api: Api, *requests: tuple[str, str, str, Any]) -> list[httpx.Response]:
    """The requests (method, path, key, JSON body) sent together, each on its own connection."""
    barrier = threading.Barrier(len(requests))
    answers: list[httpx.Response | BaseException] = [RuntimeError("not sent")] * len(requests)

    def send(index: int, method: str, path: str, key: str, body: Any) -> None:
        with httpx.Client(base_url=api.http.base_url, timeout=30) as client:
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            barrier.wait()
            try:
                answers[index] = client.request(method, path, headers=headers, json=body)
            except BaseException as error:  # surfaced below
                answers[index] = error

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return answers  # type: ignore[return-value]


def _trials(run: Callable[[int], None]) -> None:
    for trial in range(TRIALS):
        run(trial)


def test_one_dossier_id_created_at_once_by_two_firms_or_twice_by_one_is_created_once(served: Api) -> None:
    api, secrets, config = served, served.env.services.secrets, served.env.services.config

    def trial(i: int) -> None:
        dossier_id = f"course-{i}"
        second = api.lemoine if i % 2 else api.dupont  # another firm, or the same one twice
        answers = at_once(
            api,
            (
                "PUT",
                f"/dossiers/{dossier_id}",
                api.dupont,
                {"name": "A", "myunisoft_societe_token": f"tok-a-{i}"},
            ),
            (
                "PUT",
                f"/dossiers/{dossier_id}",
                second,
                {"name": "B", "myunisoft_societe_token": f"tok-b-{i}"},
            ),
        )
        statuses = [a.status_code for a in answers]
        creator = statuses.index(201)  # never two creations
        other = 1 - creator
        if statuses[other] == 200:
            # The same firm's second save came once the first was done: an update, applied after it.
            assert i % 2 == 0, statuses
            last = other
        else:
            assert statuses[other] == 409, [a.text for a in answers]
            taken = f"Le dossier « {dossier_id} » existe déjà : rien n'a été enregistré."
            # The same firm may also find it still being created (the creator writing its secret).
            busy = (
                f"Le dossier « {dossier_id} » est en cours d'enregistrement par une autre requête : rien "
                "n'a été enregistré, réessayez dans un instant."
            )
            message = answers[other].json()["message"]
            assert message in ((taken,) if i % 2 else (taken, busy)), message
            last = creator
        stored = config.get_dossier(dossier_id)
        assert stored is not None and stored.name == "AB"[last] and stored.has_societe_token
        assert stored.firm_id == (LEMOINE if creator == 1 and i % 2 else DUPONT)
        # A refused save's secret was never written (or was undone): the secret goes with the name.
        assert secrets.myunisoft_token("dossier", dossier_id) == f"tok-{'ab'[last]}-{i}"

    _trials(trial)


def test_concurrent_saves_of_different_fields_keep_both(served: Api) -> None:
    api, config = served, served.env.services.config

    def trial(i: int) -> None:
        day, auto = 1 + i % 28, bool(i % 2)
        answers = at_once(
            api,
            ("PUT", f"/firms/{DUPONT}", api.dupont, {"name": f"Cabinet Dupont {i}"}),
            ("PUT", f"/firms/{DUPONT}", api.admin, {"contact_emails": [f"paie{i}@dupont.fr"]}),
            ("PUT", "/dossiers/garage-leroy", api.dupont, {"run_day": day}),
            ("PUT", "/dossiers/garage-leroy", api.admin, {"auto_pull": auto, "name": f"Garage {i}"}),
        )
        assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
        firm = config.get_firm(DUPONT)
        assert (
            firm is not None
            and firm.name == f"Cabinet Dupont {i}"
            and firm.contact_emails == [f"paie{i}@dupont.fr"]
        )
        dossier = config.get_dossier("garage-leroy")
        assert dossier is not None
        assert (dossier.run_day, dossier.auto_pull, dossier.name) == (day, auto, f"Garage {i}")
        # The due date derives from both saves: it follows them.
        item = boto3.resource("dynamodb").Table(api.env.services.settings.config_table)
        stored = item.get_item(Key={"pk": "DOSSIER#garage-leroy"}, ConsistentRead=True)["Item"]
        if auto:
            assert stored["next_due"] == due_date(Period.parse(dossier.pending_period), day).isoformat()
            assert stored["due_partition"] == "AUTO"
        else:
            assert "due_partition" not in stored

    _trials(trial)


def test_credentials_saved_at_once_are_in_force_with_their_own_metadata(served: Api) -> None:
    """Two saves of a dossier's credentials: one after the other, or the second refused (409) while
    the first writes its secret; never one's secret under the other's masked id and dates."""
    api, config = served, served.env.services.config

    def trial(i: int) -> None:
        answers = at_once(
            api,
            ("PUT", "/dossiers/pharmacie-centre", api.dupont, {"payroll": _payroll(f"cid-premier-{i:04d}")}),
            ("PUT", "/dossiers/pharmacie-centre", api.admin, {"payroll": _payroll(f"cid-second-{i:04d}")}),
        )
        statuses = {a.status_code for a in answers}
        assert 200 in statuses and statuses <= {200, 409}, [a.text for a in answers]
        secret = api.env.services.secrets.payroll("dossier", "pharmacie-centre")
        override = config.get_dossier("pharmacie-centre").payroll_override  # type: ignore[union-attr]
        assert secret is not None and override is not None
        assert override.client_id_masked == mask(secret.client_id)

    for trial_number in range(TRIALS // 5):
        trial(trial_number)


def test_two_operators_revoking_at_once_never_leave_the_api_without_one(served: Api) -> None:
    api = served
    keys = ApiKeyRepository(api.env.services.settings.config_table)

    table = boto3.resource("dynamodb").Table(api.env.services.settings.config_table)

    def trial(i: int) -> None:
        for record in keys.list_for(None):  # the previous trial's: gone, so that each trial starts alike
            table.delete_item(Key={"pk": f"APIKEY#{record.key_id}"})
        first, second = issue_key(api.env, "admin"), issue_key(api.env, "admin")
        ids = [first.split("_")[1], second.split("_")[1]]
        targets = ids[::-1] if i % 2 else ids  # each other's, or each its own
        answers = at_once(
            api,
            ("DELETE", f"/admin/api-keys/{targets[0]}", first, None),
            ("DELETE", f"/admin/api-keys/{targets[1]}", second, None),
        )
        statuses = sorted(a.status_code for a in answers)
        # The second one is refused (409), or no longer even authorised when its key went first (401).
        assert statuses in ([204, 409], [204, 401]), [a.text for a in answers]
        assert sum(r.active for r in keys.list_for(None)) == 1

    try:
        _trials(trial)
    finally:
        api.admin = issue_key(api.env, "admin")


def test_concurrent_saves_of_one_firm_keep_both_changes_in_the_use_case_itself(served: Api) -> None:
    """The same race without the local API in between: threads calling the use case at once."""
    from paysync.domain.access import Principal
    from paysync.usecases.settings import FirmChange, save_firm

    services, operator = served.env.services, Principal(scope="admin", key_id="race")

    def trial(i: int) -> None:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def save(change: FirmChange) -> None:
            barrier.wait()
            try:
                save_firm(services, operator, LEMOINE, change)
            except BaseException as error:  # surfaced below
                errors.append(error)

        changes = (FirmChange(name=f"Fiduciaire {i}"), FirmChange(contact_emails=[f"paie{i}@lemoine.fr"]))
        threads = [threading.Thread(target=save, args=(change,)) for change in changes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        firm = services.config.get_firm(LEMOINE)
        assert firm is not None and (firm.name, firm.contact_emails) == (
            f"Fiduciaire {i}",
            [f"paie{i}@lemoine.fr"],
        )

    _trials(trial)
