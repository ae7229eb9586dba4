from datetime import UTC, date, datetime, timedelta

import pytest

from paysync.domain.diagnoses import DiagnosisKind, diagnosis, from_myunisoft, myunisoft_doubt
from paysync.domain.models import PayrollCredentialsInfo
from paysync.silae.errors import (
    SilaeApiError,
    SilaeAuthenticationError,
    SilaeErrorItem,
    SilaeSubscriptionKeyError,
)
from paysync.usecases.diagnose import diagnose_silae
from tests.contracts import load_contract

SEED_CODES = ["SILAE10", "SubscriptionKeyInvalid", "SILAE5", "SILAE13", "SILAE15", "SILAE4", "SILAE6"]


@pytest.mark.parametrize("code", SEED_CODES)
def test_every_seed_code_has_a_french_message_and_a_remedy(code: str) -> None:
    d = diagnosis(code)
    assert d.message and d.remedy and d.kind is DiagnosisKind.CONFIGURATION


def test_messages_match_myunisoft_catalogue() -> None:
    catalogue = {e["code"]: e["message"] for e in load_contract("myunisoft", "errors.json")["errors"]}
    for code in [
        "SILAE4",
        "SILAE5",
        "SILAE6",
        "SILAE13",
        "SILAE15",
        "COMPTE2",
        "ECR1",
        "ECR9",
        "ECR10",
        "JOURNAL2",
    ]:
        assert diagnosis(code).message == catalogue[code], code


def test_myunisoft_codes_pass_through_with_their_text() -> None:
    d = from_myunisoft("ERR-API-TOKEN-NOT-FOUND", "le token n’existe pas ou est révoqué", "req-1")
    assert d.code == "ERR-API-TOKEN-NOT-FOUND" and d.details["request_id"] == "req-1"
    assert from_myunisoft("ERR-TOO-MANY-REQUEST", "trop").kind is DiagnosisKind.TRANSIENT
    assert from_myunisoft("ECR14", "Ecriture déséquilibrée").kind is DiagnosisKind.DATA
    assert from_myunisoft("ECR9", "exercice clos").kind is DiagnosisKind.CONFIGURATION
    unknown = from_myunisoft("XYZ1", "quelque chose")
    assert unknown.message == "quelque chose" and unknown.kind is DiagnosisKind.CONFIGURATION


def test_a_refusal_the_client_did_not_find_transient_is_never_a_transient_diagnosis() -> None:
    """ERR-HTTP is MyUnisoft's code for an answer without an error body: a 5xx is retried, a 4xx
    (the client's call) is a refusal to tell someone about, never a reason to end in the DLQ."""
    assert from_myunisoft("ERR-HTTP", "", transient=True).kind is DiagnosisKind.TRANSIENT
    assert from_myunisoft("ERR-HTTP", "", transient=False).kind is DiagnosisKind.CONFIGURATION


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("MYUNISOFT-LOOKUP-REFUSED", DiagnosisKind.CONFIGURATION),
        ("MYUNISOFT-EXISTS-UNFOUND", DiagnosisKind.DATA),
    ],
)
def test_the_exactly_once_doubts_name_myunisoft_s_code_and_request_id(code: str, kind: DiagnosisKind) -> None:
    found = myunisoft_doubt(code, myunisoft_code="ERR-FORBIDDEN-ROUTE", request_id="req-42", partner_id="p")
    assert found.kind is kind and found.remedy
    assert "ERR-FORBIDDEN-ROUTE" in found.message and "req-42" in found.message
    assert found.details == {
        "arg": "code ERR-FORBIDDEN-ROUTE, request-id req-42",
        "myunisoft_code": "ERR-FORBIDDEN-ROUTE",
        "request_id": "req-42",
        "partner_id": "p",
    }
    assert "%1" not in myunisoft_doubt(code, myunisoft_code="X", request_id=None).message


def _info(generated: date, learned: datetime | None = None) -> PayrollCredentialsInfo:
    return PayrollCredentialsInfo(
        client_id_masked="abcd…wxyz", secret_generated_on=generated, secret_expires_at=learned
    )


NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)


def test_refused_token_is_silae13_when_the_secret_is_past_its_year() -> None:
    error = SilaeAuthenticationError("refused", status=401, error="invalid_client")
    assert (
        diagnose_silae(error, credentials=_info(date(2025, 11, 1)), dossier_level=False, now=NOW).code
        == "SILAE13"
    )
    assert (
        diagnose_silae(error, credentials=_info(date(2026, 3, 1)), dossier_level=False, now=NOW).code
        == "SILAE15"
    )
    # The date Silae announced wins over generation + 1 year.
    learned = NOW - timedelta(days=1)
    assert (
        diagnose_silae(error, credentials=_info(date(2026, 3, 1), learned), dossier_level=False, now=NOW).code
        == "SILAE13"
    )


def test_refused_subscription_key_with_dossier_override_is_the_seed_conflict() -> None:
    error = SilaeSubscriptionKeyError("denied", status=401, reason="SubscriptionKeyInvalid")
    conflict = diagnose_silae(error, credentials=None, dossier_level=True, now=NOW)
    assert conflict.code == "SubscriptionKeyConflict"
    assert "supprimez les identifiants de paie saisis sur le dossier" in conflict.remedy
    assert (
        diagnose_silae(error, credentials=None, dossier_level=False, now=NOW).code == "SubscriptionKeyInvalid"
    )


def test_api_refusal_on_an_invisible_dossier_is_silae10() -> None:
    error = SilaeApiError("x", status=400, errors=(SilaeErrorItem("9", "refus"),))
    assert (
        diagnose_silae(error, credentials=None, dossier_level=False, now=NOW, dossier_accessible=False).code
        == "SILAE10"
    )
    other = diagnose_silae(error, credentials=None, dossier_level=False, now=NOW, dossier_accessible=True)
    assert other.code == "SILAE-API" and "refus" in other.message
