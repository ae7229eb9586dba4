"""No secret in any answer, log line or stored item: the values themselves are searched for."""

from __future__ import annotations

import logging

import boto3
import pytest

from tests.integration.api.conftest import Api

NEW_SECRETS = {
    "client_secret": "cs-4f1d9a7e-never-show-me",
    "subscription_key": "sk-77b3c2e1-never-show-me",
    "override_secret": "cs-override-9e0a-never-show-me",
    "override_key": "sk-override-31c8-never-show-me",
    "cabinet_token": "tok-cabinet-5d2b-never-show-me",
    "societe_token": "tok-societe-8a41-never-show-me",
}
# What the demo world's own credentials are: the test connection and the syncs use them.
DEMO_SECRETS = [
    "secret-dupont-71b2",
    "key-dupont-aa01",
    "secret-lemoine-0c4d",
    "key-lemoine-bb02",
    "secret-bernard-5a19",
    "tok-cabinet-dupont",
    "tok-societe-201",
    "demo-partner-secret-9f8e7d",
]


def test_secrets_appear_in_no_answer_no_log_and_no_item(
    api: Api, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from paysync.observability import logger

    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="paysync")
    previous = logger.log_level
    logger.setLevel("DEBUG")
    answers: list[str] = []

    def record(method: str, path: str, key: str, json: object = None, content: bytes | None = None) -> None:
        kwargs: dict[str, object] = {}
        if content is not None:
            kwargs = {"content": content, "headers": {"Content-Type": "application/json"}}
        answer = api.call(method, path, key=key, json=json, **kwargs)
        assert answer.status_code < 500, answer.text
        answers.append(f"{answer.status_code} {dict(answer.headers)} {answer.text}")

    payroll = {
        "client_id": "cid-leak-test-0001",
        "client_secret": NEW_SECRETS["client_secret"],
        "subscription_key": NEW_SECRETS["subscription_key"],
        "secret_generated_on": "2026-06-01",
    }
    override = {
        **payroll,
        "client_secret": NEW_SECRETS["override_secret"],
        "subscription_key": NEW_SECRETS["override_key"],
    }
    try:
        record(
            "PUT",
            "/firms/cabinet-fuite",
            api.admin,
            {"name": "Fuite", "payroll": payroll, "myunisoft_cabinet_token": NEW_SECRETS["cabinet_token"]},
        )
        record("GET", "/firms/cabinet-fuite", api.admin)
        record(
            "PUT",
            "/dossiers/dossier-fuite",
            api.admin,
            {
                "firm_id": "cabinet-fuite",
                "name": "Dossier fuite",
                "society_id": 101,
                "payroll_dossier_number": "000101",
                "payroll": override,
                "myunisoft_societe_token": NEW_SECRETS["societe_token"],
            },
        )
        record("GET", "/dossiers/dossier-fuite", api.admin)
        record("GET", "/firms/cabinet-fuite/dossiers", api.admin)
        record("POST", "/dossiers/dossier-fuite/test-connection", api.admin)
        record(
            "POST",
            "/firms/cabinet-fuite/test-connection",
            api.admin,
            {"payroll": payroll, "myunisoft_cabinet_token": NEW_SECRETS["cabinet_token"]},
        )
        record(
            "POST",
            "/firms/cabinet-fuite/discovery",
            api.admin,
            {"payroll": payroll, "myunisoft_cabinet_token": NEW_SECRETS["cabinet_token"]},
        )
        record("POST", "/firms/cabinet-dupont/discovery", api.dupont)
        # The bulk save has no secret field: one given in an item or the defaults is refused, unrepeated.
        bulk_item = {
            "dossier_id": "fuite-bulk",
            "name": "Fuite",
            "society_id": 105,
            "payroll_dossier_number": "000105",
        }
        record(
            "POST",
            "/firms/cabinet-dupont/dossiers/bulk",
            api.dupont,
            {
                "items": [
                    bulk_item,
                    {**bulk_item, "myunisoft_societe_token": NEW_SECRETS["societe_token"]},
                    NEW_SECRETS["cabinet_token"],
                ]
            },
        )
        record(
            "POST",
            "/firms/cabinet-dupont/dossiers/bulk",
            api.dupont,
            {"items": [bulk_item], "defaults": {"payroll": override}},
        )
        for dossier, key in (
            ("boulangerie-martin", api.dupont),
            ("transports-bernard", api.dupont),
            ("cafe-gare", api.lemoine),
        ):
            record("POST", f"/dossiers/{dossier}/test-connection", key)
            record(
                "POST", f"/dossiers/{dossier}/sync", key, {"period": str(api.world.period), "dry_run": True}
            )
            record("POST", f"/dossiers/{dossier}/sync", key, {"period": str(api.world.period)})
            record("GET", f"/dossiers/{dossier}/status", key)
        from tests.harness import drain

        drain(api.env)
        record("GET", "/dossiers/cafe-gare/runs", api.lemoine)
        record("DELETE", "/dossiers/dossier-fuite/payroll-credentials", api.admin)
        # Refused requests carrying secrets do not echo them either.
        record(
            "PUT",
            "/firms/cabinet-fuite",
            api.admin,
            {"payroll": {**payroll, "client_id": 5}, "surprise": NEW_SECRETS["client_secret"]},
        )
        record(
            "PUT",
            "/firms/cabinet-fuite",
            api.admin,
            {"myunisoft_cabinet_token": NEW_SECRETS["cabinet_token"] * 200},
        )
        record("PUT", "/dossiers/dossier-fuite", api.lemoine, {"payroll": override})
        record(
            "PUT",
            "/firms/cabinet-fuite",
            api.admin,
            content=f'{{"payroll": "{NEW_SECRETS["client_secret"]}'.encode(),
        )
        record(
            "POST",
            "/firms/cabinet-fuite/test-connection",
            api.admin,
            {"payroll": {**payroll, "secret_generated_on": NEW_SECRETS["subscription_key"]}},
        )
    finally:
        logger.setLevel(previous)

    captured = capfd.readouterr()
    logs = (
        captured.out
        + captured.err
        + "\n".join(r.getMessage() + " " + repr(r.__dict__) for r in caplog.records)
    )
    assert "connection tested" in logs and "firm saved" in logs  # the logs were captured
    assert "dossiers discovered" in logs and "dossiers saved in bulk" in logs
    tables = boto3.resource("dynamodb")
    settings = api.env.services.settings
    items = repr(tables.Table(settings.config_table).scan()["Items"]) + repr(
        tables.Table(settings.runs_table).scan()["Items"]
    )
    everything = {"answers": "\n".join(answers), "logs": logs, "items": items}
    for secret in [*NEW_SECRETS.values(), *DEMO_SECRETS]:
        for where, text in everything.items():
            assert secret not in text, f"{secret} found in {where}"
    # They did reach Secrets Manager.
    stored = api.env.services.secrets.payroll("firm", "cabinet-fuite")
    assert stored is not None and stored.client_secret == NEW_SECRETS["client_secret"]
