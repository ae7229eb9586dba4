"""SilaeClient's API calls against FakeSilae over real HTTP: what is sent, what is read, and the
key expiry warning headers (httpx.MockTransport only for an unreadable header)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from local.fakes.silae import FakeSilae
from paysync.config import SilaeSettings
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from paysync.domain.periods import Period
from paysync.silae.auth import SilaeCredentials, TokenCache
from paysync.silae.client import SilaeClient, parse_expiration_warning
from tests.unit.silae_client.support import (
    CLIENT_ID,
    KEY,
    MAY,
    MOCKED_URLS,
    PARIS_OFFSET_SUMMER,
    SECRET,
    MakeClient,
)

# -- happy paths --------------------------------------------------------------------------------------


def test_list_dossier_numbers_sends_no_dossiers_header(fake: FakeSilae, make_client: MakeClient) -> None:
    assert make_client().list_dossier_numbers() == ["D001", "D002"]
    (request,) = fake.requests_to("ListeNumerosDossiers")
    assert request.header("dossiers") is None
    assert request.header("ocp-apim-subscription-key") == KEY
    assert (request.header("authorization") or "").startswith("Bearer ")
    assert request.body == b""


def test_fetch_entries_maps_ruptures_to_groups(fake: FakeSilae, make_client: MakeClient) -> None:
    groups = make_client().fetch_entries("D001", MAY)

    assert groups == [
        PayrollGroup(
            label="Paie mai 2024",
            lines=(
                PayrollLine("641000", "Salaires", Direction.DEBIT, Decimal("2345.67")),
                # negative valeur: same amount on the other side
                PayrollLine("421000", "Net à payer", Direction.CREDIT, Decimal("1800.10")),
                PayrollLine("431000", "URSSAF", Direction.CREDIT, Decimal("545.57")),
            ),
            total_debit=Decimal("2345.67"),
            total_credit=Decimal("2345.67"),
            journal_code="PA",
        )
    ]  # the zero line and the all-zero rupture are gone
    (request,) = fake.requests_to("EcrituresComptables4")
    assert request.header("dossiers") == "D001"
    assert request.json() == {
        "numeroDossier": "D001",
        "periodeDebut": "2024-05-01T00:00:00",
        "periodeFin": "2024-05-31T00:00:00",
        "avecToutesLesRepartitionsAnalytiques": False,
    }


def test_fetch_entries_february_of_a_leap_year(fake: FakeSilae, make_client: MakeClient) -> None:
    assert make_client().fetch_entries("D001", Period(2024, 2)) == []
    assert fake.requests_to("EcrituresComptables4")[0].json()["periodeFin"] == "2024-02-29T00:00:00"


def test_amounts_are_exact_decimals(fake: FakeSilae, make_client: MakeClient) -> None:
    line = {"codeJournal": "PA", "compte": "641000", "libelle": "x", "sens": "C", "valeur": 0.1 + 0.2}
    fake.set_payroll(
        "D002", MAY, [{"libelle": "g", "totalDebit": 0.3, "totalCredit": 0.3, "ecritures": [line]}]
    )
    (group,) = make_client().fetch_entries("D002", MAY)
    assert group.lines[0].amount == Decimal("0.30")
    assert str(group.lines[0].amount) == "0.30"


def test_fetch_files_decodes_base64(fake: FakeSilae, make_client: MakeClient) -> None:
    (file,) = make_client().fetch_files("D001", MAY)
    assert file.name == "OD paie 05-2024.pdf"
    assert file.content == b"%PDF-1.7 payroll"
    (request,) = fake.requests_to("RecupererFichiers")
    assert request.header("dossiers") == "D001"
    assert request.json() == {
        "numeroDossier": "D001",
        "periodeDebut": "2024-05-01T00:00:00",
        "periodeFin": "2024-05-31T00:00:00",
    }


def test_empty_dossier_number_is_refused_before_any_call(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(ValueError):
        client.fetch_entries("  ", MAY)
    assert client.calls == 0


def test_domain_groups_set_on_the_fake_round_trip(fake: FakeSilae, make_client: MakeClient) -> None:
    group = PayrollGroup(
        label="Paie",
        lines=(
            PayrollLine("641000", "Salaires", Direction.DEBIT, Decimal("1000.00")),
            PayrollLine("421000", "Net", Direction.CREDIT, Decimal("1000.00")),
        ),
        total_debit=Decimal("1000.00"),
        total_credit=Decimal("1000.00"),
        journal_code="OD",
    )
    fake.set_payroll("D002", MAY, [group])
    assert make_client().fetch_entries("D002", MAY) == [group]


# -- expiration warnings ------------------------------------------------------------------------------


def test_expiration_headers_are_recorded(fake: FakeSilae, make_client: MakeClient) -> None:
    primary = datetime(2031, 6, 15, 14, 30, 5, tzinfo=UTC)
    secondary = datetime(2031, 1, 2, 0, 15, 0, tzinfo=UTC)
    fake.clock = lambda: datetime(2031, 6, 1, tzinfo=UTC).timestamp()
    fake.add_api_account(
        CLIENT_ID, SECRET, secret_expires_at=primary, secondary_secret="old", secondary_expires_at=secondary
    )
    client = make_client()
    assert client.key_expiry is None
    client.list_dossier_numbers()
    assert client.key_expiry == primary
    assert client.key_expiry is not None and client.key_expiry.utcoffset() == PARIS_OFFSET_SUMMER
    assert client.secondary_key_expiry == secondary


def test_no_expiration_header_far_from_expiry(make_client: MakeClient) -> None:
    client = make_client()
    client.list_dossier_numbers()
    assert client.key_expiry is None
    assert client.secondary_key_expiry is None


def test_unreadable_expiration_header_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        return httpx.Response(
            200, headers={"X-PrimaryKeyExpirationWarning": "soon"}, json={"listeNumerosDossiers": ["A"]}
        )

    client = SilaeClient(
        SilaeCredentials("c", SECRET, KEY),
        SilaeSettings(**MOCKED_URLS),
        http=httpx.Client(transport=httpx.MockTransport(transport)),
        token_cache=TokenCache(),
    )
    with caplog.at_level(logging.WARNING, logger="paysync.silae.client"):
        assert client.list_dossier_numbers() == ["A"]
    assert client.key_expiry is None
    assert "X-PrimaryKeyExpirationWarning" in caplog.text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/12/2024 11:59:59 PM", datetime(2024, 12, 31, 23, 59, 59)),
        ("01/06/2025 12:00:00 AM", datetime(2025, 6, 1, 0, 0, 0)),
        ("01/06/2025 12:30:00 PM", datetime(2025, 6, 1, 12, 30, 0)),
        ("01/06/2025 01:05:09 AM", datetime(2025, 6, 1, 1, 5, 9)),
        ("1/6/2025 1:05:09 pm", datetime(2025, 6, 1, 13, 5, 9)),
        ("05/03/2025 11:00:00 AM", datetime(2025, 3, 5, 11, 0, 0)),  # day first
        ("05/03/2025 17:00:00", datetime(2025, 3, 5, 17, 0, 0)),  # 24-hour, no AM/PM
    ],
)
def test_parse_expiration_warning(value: str, expected: datetime) -> None:
    parsed = parse_expiration_warning(value)
    assert parsed.tzinfo is not None
    assert parsed.replace(tzinfo=None) == expected
    assert str(parsed.tzinfo) == "Europe/Paris"


def test_parse_expiration_warning_uses_paris_offsets() -> None:
    assert parse_expiration_warning("15/01/2025 12:00:00 PM").utcoffset() == timedelta(hours=1)
    assert parse_expiration_warning("15/07/2025 12:00:00 PM") == datetime(2025, 7, 15, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        "2025-06-01T10:00:00",
        "32/01/2025 01:00:00 AM",
        "29/02/2025 01:00:00 AM",
        "01/13/2025 01:00:00 AM",
        "01/06/2025 13:00:00 PM",
        "01/06/2025 00:00:00 AM",
        "01/06/2025 10:61:00 AM",
        "01/06/2025 10:00 AM",
        "01/06/2025 10:00:00 XM",
    ],
)
def test_parse_expiration_warning_rejects_garbage(value: str) -> None:
    with pytest.raises(ValueError):
        parse_expiration_warning(value)


def test_list_dossiers_sends_an_empty_filter_and_reads_the_properties(
    fake: FakeSilae, make_client: MakeClient
) -> None:
    fake.set_dossier_properties("D001", "Café des Arts", siret="", etat_dossier=2, groupe="Ouest")
    fake.set_dossier_properties("D002", "GARAGE LEROY", siret="523 456 788 00018")
    dossiers = make_client().list_dossiers()
    assert [(d.number, d.name, d.siret, d.siren, d.group, d.state) for d in dossiers] == [
        ("D001", "Café des Arts", None, None, "Ouest", 2),
        ("D002", "GARAGE LEROY", "523 456 788 00018", "523456788", None, 1),
    ]
    (request,) = fake.requests_to("ListeDossiers")
    assert request.header("dossiers") is None
    assert request.json() == {}


def test_list_dossiers_tolerates_what_the_contract_leaves_open() -> None:
    from paysync.silae.models import parse_dossiers

    rows = [
        {"numero": " 000101 ", "raisonSociale": None, "siret": 41234567000019, "etatDossier": "2"},
        {"raisonSociale": "SANS NUMERO"},  # cannot be tied to anything: left out
        {"numero": "000102", "etatDossier": "fermé"},
    ]
    dossiers = parse_dossiers({"listeDossiers": rows})
    assert [(d.number, d.name, d.siret, d.state) for d in dossiers] == [
        ("000101", "", "41234567000019", 2),
        ("000102", "", None, None),
    ]
    assert parse_dossiers({"listeDossiers": None}) == []
