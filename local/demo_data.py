"""Demo data: two firms, nine dossiers, realistic French payroll OD, and real misconfigurations.

Firm "Cabinet Dupont & Associés" uses one MyUnisoft cabinet token for all its dossiers; firm
"Fiduciaire Lemoine" has a société token per dossier, and its payroll Client secret expires
within a week. Four dossiers are misconfigured on purpose, so the demo shows real diagnoses.

Both tools also know each company as people typed it (``PAYROLL_DOSSIERS``, ``SOCIETIES``): names
with or without accents and legal forms, a SIREN here and a SIRET there, spaces in SIRETs. Dupont
has client companies it has not set up in paysync yet (``NOT_YET_CONFIGURED``), which discovery
(``POST /firms/cabinet-dupont/discovery``) finds: one SIREN with two establishments, a homonym, two
namesakes without SIREN, a company MyUnisoft does not have, and a closed payroll dossier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.silae import FakeSilae
from local.pdf import simple_pdf
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from paysync.domain.periods import Period
from paysync.storage.config_table import ConfigRepository
from paysync.storage.secrets import PayrollSecret, SecretStore

PARTNER_SECRET = "demo-partner-secret-9f8e7d"

# Chart of accounts every demo society starts with (number, label).
CHART = [
    ("641100", "Salaires et appointements"),
    ("645100", "Cotisations URSSAF"),
    ("645300", "Cotisations retraite complémentaire"),
    ("421000", "Personnel - Rémunérations dues"),
    ("431000", "URSSAF"),
    ("437100", "Caisses de retraite"),
    ("442100", "Prélèvement à la source"),
]


def payroll_od(label: str, gross: Decimal, *, extra: list[PayrollLine] | None = None) -> PayrollGroup:
    """A balanced monthly payroll entry: salaries and employer contributions against what is owed."""
    cent = Decimal("0.01")
    urssaf_employer = (gross * Decimal("0.26")).quantize(cent)
    pension_employer = (gross * Decimal("0.0817")).quantize(cent)
    urssaf = (gross * Decimal("0.358")).quantize(cent)
    pension = (gross * Decimal("0.14")).quantize(cent)
    withholding = (gross * Decimal("0.0742")).quantize(cent)
    debit = (
        gross
        + urssaf_employer
        + pension_employer
        + sum((x.amount for x in extra or [] if x.direction == "D"), Decimal(0))
    )
    other_credit = sum((x.amount for x in extra or [] if x.direction == "C"), Decimal(0))
    net = debit - urssaf - pension - withholding - other_credit
    lines = [
        PayrollLine("641100", "Salaires bruts", Direction.DEBIT, gross),
        PayrollLine("645100", "Cotisations URSSAF patronales", Direction.DEBIT, urssaf_employer),
        PayrollLine("645300", "Retraite complémentaire patronale", Direction.DEBIT, pension_employer),
        *(extra or []),
        PayrollLine("431000", "URSSAF", Direction.CREDIT, urssaf),
        PayrollLine("437100", "Retraite complémentaire (AGIRC-ARRCO)", Direction.CREDIT, pension),
        PayrollLine("4421", "Prélèvement à la source", Direction.CREDIT, withholding),  # MyUnisoft: 442100
        PayrollLine("421000", "Rémunérations dues au personnel", Direction.CREDIT, net),
    ]
    return PayrollGroup(label=label, lines=tuple(lines))


# Silae's ListeDossiers: number -> (raisonSociale, siret as typed, etatDossier: 1 open, 2 closed).
PAYROLL_DOSSIERS: dict[str, tuple[str, str, int]] = {
    "000101": ("BOULANGERIE MARTIN SARL", "412 345 670 00019", 1),
    "000102": ("GARAGE LEROY", "52345678800018", 1),
    "000103": ("PHARMACIE DU CENTRE", "789 012 341 00010", 1),
    "000104": ("TRANSPORTS BERNARD SAS", "834567893 00013", 1),
    "000105": ("Fleuriste Éléonore", "", 1),
    "000106": ("GARAGE LEROY ATELIER SUD", "523 456 788 00026", 1),
    "000107": ("IMPRIMERIE VASSEUR", "49012345200016", 2),
    "000108": ("SARL Boucherie Dubois", "512 789 033 00010", 1),
    "000110": ("Café des Arts", "", 1),
    "000111": ("Auto-école Mercier", "390 876 548 00012", 1),
    "000112": ("Cabinet d'Architecture Roux", "532198769 00012", 1),
    "000201": ("CAFE DE LA GARE", "602 112 344 00018", 1),
    "000202": ("ATELIER ROUSSEAU EURL", "75310246600012", 1),
    "000203": ("CABINET MEDICAL PETIT SELARL", "812345601", 1),
    "000204": ("MENUISERIE GIRARD", "425 678 901 00017", 1),
    "000205": ("LIBRAIRIE MOREL", "38271645400014", 1),
}

# MyUnisoft's society_array: id -> (name, siret as typed: a SIREN, a SIRET or nothing, city, postal code).
SOCIETIES: dict[int, tuple[str, str | None, str, str]] = {
    101: ("Boulangerie Martin", "412345670", "PARIS 11E ARRONDISSEMENT", "75011"),
    102: ("Garage Leroy", "52345678800018", "LILLE", "59000"),
    103: ("Pharmacie du Centre", "78901234100010", "AMIENS", "80000"),
    104: ("S.A.S. Transports Bernard", "83456789300013", "ROUEN", "76000"),
    105: ("EURL FLEURISTE ELEONORE", None, "VINCENNES", "94300"),
    106: ("Garage Leroy - Atelier Sud", "52345678800026", "LILLE", "59000"),  # same SIREN as 102
    108: ("Boucherie Dubois", "512789033", "LYON 3E ARRONDISSEMENT", "69003"),
    109: ("BOUCHERIE DUBOIS", "80123456800013", "PARIS 15E ARRONDISSEMENT", "75015"),  # a homonym
    110: ("CAFE DES ARTS", None, "NANTES", "44000"),
    111: ("Café des Arts SAS", "44556677100017", "RENNES", "35000"),
    112: ("ROUX ARCHITECTURE", "532198769", "CAEN", "14000"),
    201: ("Café de la Gare", "60211234400018", "TOURS", "37000"),
    202: ("Atelier Rousseau", "753102466", "ORLEANS", "45000"),
    203: ("Cabinet Médical Petit", "81234560100015", "BLOIS", "41000"),
    204: ("Menuiserie Girard", "425678901", "CHARTRES", "28000"),
    205: ("Librairie Morel", "38271645400014", "BOURGES", "18000"),
}

# Dupont's companies not set up in paysync yet: (payroll number or None, society id or None, monthly gross).
NOT_YET_CONFIGURED: list[tuple[str | None, int | None, Decimal]] = [
    ("000105", 105, Decimal("6120.00")),
    ("000106", 106, Decimal("9120.00")),
    ("000107", None, Decimal("0")),  # closed in Silae: no payroll any more
    ("000108", 108, Decimal("15340.00")),
    (None, 109, Decimal("0")),  # the Paris namesake: payroll done elsewhere
    ("000110", 110, Decimal("8800.00")),
    (None, 111, Decimal("0")),
    ("000111", None, Decimal("11200.00")),  # MyUnisoft does not have it
    ("000112", 112, Decimal("21650.00")),
]


@dataclass
class DemoDossier:
    dossier: Dossier
    groups: list[PayrollGroup] = field(default_factory=list)
    expect: str = ""  # what the demo should show for it, said to the reader


@dataclass
class DemoWorld:
    night: date
    period: Period
    firms: list[Firm]
    dossiers: list[DemoDossier]


def seed(
    silae: FakeSilae,
    myunisoft: FakeMyUnisoft,
    config: ConfigRepository,
    secrets: SecretStore,
    night: date,
) -> DemoWorld:
    """Put the demo world into the fakes, DynamoDB and Secrets Manager."""
    period = Period.of(night).previous()
    run_day = min(night.day, 5)  # due tonight whatever the date
    now = datetime.now(UTC)
    secrets.put_partner_secret(PARTNER_SECRET)
    myunisoft.add_partner_secret(PARTNER_SECRET)

    # -- Silae API accounts and access configurations ---------------------------------------------
    silae.add_api_account(
        "cid-dupont-5c1a", "secret-dupont-71b2", secret_expires_at=now + timedelta(days=200)
    )
    silae.add_api_account(
        "cid-lemoine-93f0", "secret-lemoine-0c4d", secret_expires_at=now + timedelta(days=6)
    )
    silae.add_api_account(
        "cid-bernard-2e77", "secret-bernard-5a19", secret_expires_at=now + timedelta(days=300)
    )
    # The Dupont access configuration's payroll user cannot see dossier 000103 (Pharmacie du Centre).
    silae.add_access_configuration(
        "key-dupont-aa01",
        "cid-dupont-5c1a",
        ["000101", "000102", "000104", *(n for n, _, _ in NOT_YET_CONFIGURED if n)],
    )
    silae.add_access_configuration(
        "key-lemoine-bb02", "cid-lemoine-93f0", ["000201", "000202", "000203", "000204", "000205"]
    )
    silae.add_access_configuration("key-bernard-cc03", "cid-bernard-2e77", ["000999"])

    dupont = Firm(
        firm_id="cabinet-dupont",
        name="Cabinet Dupont & Associés",
        contact_emails=["paie@dupont-associes.fr"],
        payroll=PayrollCredentialsInfo(
            client_id_masked=mask("cid-dupont-5c1a"), secret_generated_on=(now - timedelta(days=165)).date()
        ),
        has_cabinet_token=True,
    )
    lemoine = Firm(
        firm_id="fiduciaire-lemoine",
        name="Fiduciaire Lemoine",
        contact_emails=["contact@fiduciaire-lemoine.fr"],
        payroll=PayrollCredentialsInfo(
            client_id_masked=mask("cid-lemoine-93f0"), secret_generated_on=(now - timedelta(days=359)).date()
        ),
    )
    secrets.put_payroll(
        "firm", dupont.firm_id, PayrollSecret("cid-dupont-5c1a", "secret-dupont-71b2", "key-dupont-aa01")
    )
    secrets.put_payroll(
        "firm", lemoine.firm_id, PayrollSecret("cid-lemoine-93f0", "secret-lemoine-0c4d", "key-lemoine-bb02")
    )
    secrets.put_myunisoft_token("firm", dupont.firm_id, "tok-cabinet-dupont")
    myunisoft.add_cabinet_token("tok-cabinet-dupont", schema_id=1)

    def dossier(
        firm: Firm, dossier_id: str, name: str, society: int | None, number: str | None, **kw: object
    ) -> Dossier:
        return Dossier.model_validate(
            {
                "dossier_id": dossier_id,
                "firm_id": firm.firm_id,
                "name": name,
                "society_id": society,
                "payroll_dossier_number": number,
                "auto_pull": True,
                "run_day": run_day,
                "pending_period": str(period),
                "contact_emails": [],
                **kw,
            }
        )

    world = [
        DemoDossier(
            dossier(dupont, "boulangerie-martin", "Boulangerie Martin", 101, "000101"),
            [payroll_od(f"Paie {period} - Boulangerie Martin", Decimal("18450.00"))],
            "1 OD posted with its PDF",
        ),
        DemoDossier(
            dossier(dupont, "garage-leroy", "Garage Leroy", 102, "000102"),
            [
                payroll_od(f"Paie {period} - Atelier Leroy Nord", Decimal("23780.50")),
                payroll_od(f"Paie {period} - Atelier Leroy Sud", Decimal("9120.00")),
            ],
            "2 OD (two établissements) posted",
        ),
        DemoDossier(
            dossier(dupont, "pharmacie-centre", "Pharmacie du Centre", 103, "000103"),
            [payroll_od(f"Paie {period} - Pharmacie du Centre", Decimal("31200.00"))],
            "SILAE10: the payroll user has no rights on this dossier",
        ),
        DemoDossier(
            dossier(
                dupont,
                "transports-bernard",
                "Transports Bernard",
                104,
                "000104",
                payroll_override=PayrollCredentialsInfo(
                    client_id_masked=mask("cid-bernard-2e77"),
                    secret_generated_on=(now - timedelta(days=65)).date(),
                ),
            ),
            [payroll_od(f"Paie {period} - Transports Bernard", Decimal("41000.00"))],
            "SubscriptionKeyInvalid: dossier-level settings conflict with the firm's",
        ),
        DemoDossier(
            dossier(lemoine, "cafe-gare", "Café de la Gare", 201, "000201", has_societe_token=True),
            [payroll_od(f"Paie {period} - Café de la Gare", Decimal("7420.00"))],
            "1 OD posted (société token); the firm's secret expires within 7 days",
        ),
        DemoDossier(
            dossier(lemoine, "atelier-rousseau", "Atelier Rousseau", 202, "000202", has_societe_token=True),
            [payroll_od(f"Paie {period} - Atelier Rousseau", Decimal("5300.00"))],
            "SILAE6: no OD PAIE journal in MyUnisoft",
        ),
        DemoDossier(
            dossier(
                lemoine, "cabinet-medical-petit", "Cabinet Médical Petit", 203, None, has_societe_token=True
            ),
            [],
            "SILAE4: no payroll dossier number set",
        ),
        DemoDossier(
            dossier(lemoine, "menuiserie-girard", "Menuiserie Girard", 204, "000204", has_societe_token=True),
            [
                payroll_od(f"Paie {period} - Menuiserie Girard", Decimal("12650.00")),
                payroll_od(
                    f"Paie {period} - Girard apprentis",
                    Decimal("2100.00"),
                    extra=[
                        PayrollLine(
                            "438600",
                            "Organismes sociaux - charges à payer",
                            Direction.DEBIT,
                            Decimal("84.00"),
                        )
                    ],
                ),
            ],
            "partial: 1 OD posted, 1 blocked (account 438600 missing: COMPTE2)",
        ),
        DemoDossier(
            dossier(
                lemoine,
                "librairie-morel",
                "Librairie Morel",
                205,
                "000205",
                has_societe_token=True,
                auto_pull=False,
            ),
            [payroll_od(f"Paie {period} - Librairie Morel", Decimal("4800.00"))],
            "automatic retrieval off: not due, never read by the nightly query",
        ),
    ]
    secrets.put_payroll(
        "dossier",
        "transports-bernard",
        PayrollSecret("cid-bernard-2e77", "secret-bernard-5a19", "key-dupont-aa01"),
    )

    # -- how each tool names each company, MyUnisoft books, Silae payroll -------------------------
    for dossier_number, (raison_sociale, siret, state) in PAYROLL_DOSSIERS.items():
        silae.set_dossier_properties(dossier_number, raison_sociale, siret=siret, etat_dossier=state)
    for item in world:
        d = item.dossier
        if d.society_id is None:
            continue
        schema = 1 if d.firm_id == dupont.firm_id else 2
        _books(myunisoft, d.society_id, schema, period, payroll_journal=d.dossier_id != "atelier-rousseau")
        if d.has_societe_token:
            token = f"tok-societe-{d.society_id}"
            myunisoft.add_society_token(token, d.society_id)
            secrets.put_myunisoft_token("dossier", d.dossier_id, token)
        if d.payroll_dossier_number:
            _payroll(silae, d.payroll_dossier_number, d.name, period, item.groups)
    for number, society_id, gross in NOT_YET_CONFIGURED:
        if society_id is not None:
            _books(myunisoft, society_id, 1, period)
        if number is not None and gross:
            name = PAYROLL_DOSSIERS[number][0]
            _payroll(silae, number, name, period, [payroll_od(f"Paie {period} - {name}", gross)])

    for firm in (dupont, lemoine):
        config.put_firm(firm)
    for item in world:
        config.put_dossier(item.dossier)
    return DemoWorld(night=night, period=period, firms=[dupont, lemoine], dossiers=world)


def _books(
    myunisoft: FakeMyUnisoft, society_id: int, schema: int, period: Period, *, payroll_journal: bool = True
) -> None:
    """A society with its journals, chart of accounts and fiscal year."""
    name, siret, city, postal_code = SOCIETIES[society_id]
    myunisoft.add_society(society_id, name, schema_id=schema, siret=siret, city=city, postal_code=postal_code)
    if payroll_journal:
        myunisoft.add_diary(society_id, "OD PAIE", "OD de paie", diary_type_code="OD_PAIE")
    myunisoft.add_diary(society_id, "ACH", "Achats", diary_type_code="ACH")
    for number, label in CHART:
        myunisoft.add_account(society_id, number, label)
    myunisoft.add_exercice(society_id, date(period.year, 1, 1), date(period.year, 12, 31))


def _payroll(silae: FakeSilae, number: str, name: str, period: Period, groups: list[PayrollGroup]) -> None:
    """A payroll dossier's OD for the period, with the journal as a PDF."""
    pdf = simple_pdf(
        [
            f"Journal de paie - {name}",
            f"Periode : {period}",
            f"Dossier de paie : {number}",
            "Document de demonstration genere par paysync.",
        ]
    )
    silae.set_payroll(number, period, groups, [(f"journal-paie-{period}.pdf", pdf)])
