"""Demo data: two firms, nine dossiers, realistic French payroll OD, and real misconfigurations.

Firm "Cabinet Dupont & Associés" uses one MyUnisoft cabinet token for all its dossiers; firm
"Fiduciaire Lemoine" has a société token per dossier, and its payroll Client secret expires
within a week. Four dossiers are misconfigured on purpose, so the demo shows real diagnoses.
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
    silae.add_access_configuration("key-dupont-aa01", "cid-dupont-5c1a", ["000101", "000102", "000104"])
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

    # -- MyUnisoft societies, journals, charts, fiscal years --------------------------------------
    year_start = date(period.year, 1, 1)
    for item in world:
        d = item.dossier
        if d.society_id is None:
            continue
        schema = 1 if d.firm_id == dupont.firm_id else 2
        myunisoft.add_society(d.society_id, d.name, schema_id=schema)
        if d.has_societe_token:
            token = f"tok-societe-{d.society_id}"
            myunisoft.add_society_token(token, d.society_id)
            secrets.put_myunisoft_token("dossier", d.dossier_id, token)
        if d.dossier_id != "atelier-rousseau":
            myunisoft.add_diary(d.society_id, "OD PAIE", "OD de paie", diary_type_code="OD_PAIE")
        myunisoft.add_diary(d.society_id, "ACH", "Achats", diary_type_code="ACH")
        for number, label in CHART:
            myunisoft.add_account(d.society_id, number, label)
        myunisoft.add_exercice(d.society_id, year_start, date(period.year, 12, 31))
        if d.payroll_dossier_number:
            pdf = simple_pdf(
                [
                    f"Journal de paie - {d.name}",
                    f"Periode : {period}",
                    f"Dossier de paie : {d.payroll_dossier_number}",
                    "Document de demonstration genere par paysync.",
                ]
            )
            silae.set_payroll(
                d.payroll_dossier_number, period, item.groups, [(f"journal-paie-{period}.pdf", pdf)]
            )

    for firm in (dupont, lemoine):
        config.put_firm(firm)
    for item in world:
        config.put_dossier(item.dossier)
    return DemoWorld(night=night, period=period, firms=[dupont, lemoine], dossiers=world)
