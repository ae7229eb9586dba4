"""Failures of the three kinds: transient (retried, then DLQ), configuration (diagnosed), data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import boto3

from local.fakes.server import Fault
from paysync.domain.models import RunStatus
from tests.harness import Env, drain, run_nightly, society_entries
from tests.integration.conftest import NIGHT


def _last_run(env: Env, dossier_id: str):  # type: ignore[no-untyped-def]
    return env.services.runs.list_for_dossier(dossier_id, limit=1)[0]


def _dlq_messages(env: Env) -> list[dict]:  # type: ignore[type-arg]
    answer = boto3.client("sqs").receive_message(QueueUrl=env.dlq_url, MaxNumberOfMessages=10)
    return answer.get("Messages", [])


def _only(env: Env, *keep: str) -> None:
    """Switch automatic retrieval off for every demo dossier but ``keep``."""
    config = env.services.config
    for item in config.list_dossiers_of_firm("cabinet-dupont") + config.list_dossiers_of_firm(
        "fiduciaire-lemoine"
    ):
        if item.dossier_id not in keep:
            config.put_dossier(item.model_copy(update={"auto_pull": False}))


def test_myunisoft_maintenance_is_retried_by_sqs_and_then_posts_once(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _only(env, "boulangerie-martin")
    attempts = env.services.settings.myunisoft.max_attempts
    # Every call of the first delivery fails (the client's own retries included).
    env.myunisoft.faults.add(Fault(kind="maintenance", times=attempts, path_contains="/diary"))
    run_nightly(env, NIGHT)
    report = drain(env)
    assert report.failures == 1 and report.successes == 1  # redelivered by SQS, then done
    run = _last_run(env, "boulangerie-martin")
    assert run.status is RunStatus.SUCCEEDED and run.attempts == 2
    assert len(society_entries(env, 101)) == 1


def test_transient_failures_exhausted_end_in_the_dlq_with_a_failed_run(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _only(env, "cafe-gare")
    env.silae.faults.add(Fault(kind="recoverable", times=None, path_contains="/EcrituresComptables4"))
    run_nightly(env, NIGHT)
    report = drain(env)
    receives = env.services.settings.max_receive_count
    assert report.failures == receives and report.successes == 0
    run = _last_run(env, "cafe-gare")
    assert run.status is RunStatus.FAILED and run.attempts == receives
    assert [d.code for d in run.diagnoses] == ["TRANSIENT-EXHAUSTED"]
    assert run.diagnoses[0].remedy
    (parked,) = _dlq_messages(env)
    assert json.loads(parked["Body"]) == {"run_id": run.run_id}
    # The dossier shows it, and stays due: nothing is lost.
    dossier = env.services.config.get_dossier("cafe-gare")
    assert dossier.last_run.status == "failed" and dossier.pending_period == str(world.period)
    assert society_entries(env, 201) == []


def test_a_poison_message_reaches_the_dlq(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    sqs = boto3.client("sqs")
    sqs.send_message(
        QueueUrl=env.queue_url,
        MessageBody="{not json",
        MessageGroupId="firm-x",
        MessageDeduplicationId="poison-1",
    )
    report = drain(env)
    assert report.successes == 0 and report.failures == env.services.settings.max_receive_count
    assert [m["Body"] for m in _dlq_messages(env)] == ["{not json"]


def test_no_payroll_settings_anywhere_is_silae5(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    _only(env, "cafe-gare")
    firm = env.services.config.get_firm("fiduciaire-lemoine")
    env.services.config.put_firm(firm.model_copy(update={"payroll": None}))
    run_nightly(env, NIGHT)
    drain(env)
    run = _last_run(env, "cafe-gare")
    assert run.status is RunStatus.FAILED and [d.code for d in run.diagnoses] == ["SILAE5"]


def test_a_wrong_client_secret_is_silae15_and_an_expired_one_silae13(env: Env, world) -> None:  # type: ignore[no-untyped-def]
    from paysync.storage.secrets import PayrollSecret

    _only(env, "cafe-gare")
    env.services.secrets.put_payroll(
        "firm", "fiduciaire-lemoine", PayrollSecret("cid-lemoine-93f0", "not-the-secret", "key-lemoine-bb02")
    )
    run_nightly(env, NIGHT)
    drain(env)
    assert [d.code for d in _last_run(env, "cafe-gare").diagnoses] == ["SILAE15"]

    # A year later the real secret has expired: Silae refuses it, paysync knows why.
    env.services.secrets.put_payroll(
        "firm",
        "fiduciaire-lemoine",
        PayrollSecret("cid-lemoine-93f0", "secret-lemoine-0c4d", "key-lemoine-bb02"),
    )
    env.silae.add_api_account(
        "cid-lemoine-93f0", "secret-lemoine-0c4d", secret_expires_at=datetime.now(UTC) - timedelta(days=1)
    )
    firm = env.services.config.get_firm("fiduciaire-lemoine")
    expired = firm.payroll.model_copy(update={"secret_generated_on": date.today() - timedelta(days=400)})
    env.services.config.put_firm(firm.model_copy(update={"payroll": expired}))
    run_nightly(env, NIGHT + timedelta(days=1))
    drain(env)
    run = _last_run(env, "cafe-gare")
    assert [d.code for d in run.diagnoses] == ["SILAE13"]
    assert "régénérez" in run.diagnoses[0].remedy
