"""Generated worlds for the benchmarks and the fault tests.

- :func:`seed_night`: firms and dossiers through the fakes' admin methods, DynamoDB and Secrets
  Manager, each dossier with balanced payroll OD (``local.demo_data.payroll_od``) and a PDF. Firms
  are either *cabinet* (one MyUnisoft token for all their dossiers: one FIFO group) or *société*
  (one token, hence one group, per dossier). Every ``own_silae_every``-th dossier has Silae
  credentials of its own (dossier level), so there are more Client IDs than firms.
- :func:`seed_planning`: many configured dossiers, written with DynamoDB batch writes, of which
  only ``due`` are due on the night.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from local.demo_data import CHART, PARTNER_SECRET, payroll_od
from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.silae import FakeSilae
from local.pdf import simple_pdf
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.domain.payroll import PayrollGroup
from paysync.domain.periods import Period
from paysync.storage.config_table import ConfigRepository
from paysync.storage.secrets import PayrollSecret, SecretStore


@dataclass(frozen=True)
class FirmSpec:
    dossiers: int
    cabinet: bool  # one MyUnisoft cabinet token for the firm; else a société token per dossier


# 10 firms, 306 dossiers: five cabinet tokens (one of 120 dossiers), five firms of société tokens.
NIGHT_FIRMS: tuple[FirmSpec, ...] = (
    FirmSpec(120, True),
    FirmSpec(60, True),
    FirmSpec(40, True),
    FirmSpec(25, True),
    FirmSpec(15, True),
    FirmSpec(12, False),
    FirmSpec(10, False),
    FirmSpec(10, False),
    FirmSpec(8, False),
    FirmSpec(6, False),
)


# 20 firms, 2 000 dossiers: fifteen cabinet tokens from 15 to 400 dossiers, five firms of société
# tokens (210 tokens of one dossier).
BIG_NIGHT_FIRMS: tuple[FirmSpec, ...] = (
    *(FirmSpec(n, True) for n in (400, 300, 220, 180, 150, 120, 100, 80, 60, 50, 40, 30, 25, 20, 15)),
    *(FirmSpec(n, False) for n in (60, 50, 40, 35, 25)),
)


@dataclass
class SeededDossier:
    dossier: Dossier
    groups: list[PayrollGroup]
    client_id: str  # the Silae Client ID it is synced with
    token: str  # the MyUnisoft token (its identity is the FIFO group's)
    files_bytes: int


@dataclass
class World:
    night: date
    period: Period
    firms: list[Firm]
    dossiers: list[SeededDossier] = field(default_factory=list)

    @property
    def client_ids(self) -> set[str]:
        return {d.client_id for d in self.dossiers}

    @property
    def entries(self) -> int:
        return sum(len(d.groups) for d in self.dossiers)

    def by_group(self) -> dict[str, list[SeededDossier]]:
        groups: dict[str, list[SeededDossier]] = {}
        for item in self.dossiers:
            groups.setdefault(item.dossier.message_group, []).append(item)
        return groups

    def by_token(self) -> dict[str, list[SeededDossier]]:
        tokens: dict[str, list[SeededDossier]] = {}
        for item in self.dossiers:
            tokens.setdefault(item.token, []).append(item)
        return tokens


def entries_of(index: int) -> int:
    """1 to 3 OD per dossier (one per établissement), 1.35 on average."""
    return 1 + (index % 4 == 0) + (index % 10 == 0)


def seed_night(
    silae: FakeSilae,
    myunisoft: FakeMyUnisoft,
    config: ConfigRepository,
    secrets: SecretStore,
    night: date,
    *,
    firms: Sequence[FirmSpec] = NIGHT_FIRMS,
    own_silae_every: int = 25,
    file_bytes: int = 0,
    files: int = 1,
    entries: Any = entries_of,
    watched: bool = True,
) -> World:
    """Seed ``firms``; every dossier is due on ``night`` for the month before it.

    Each dossier has ``files`` PDFs, padded to ``file_bytes`` in all when that is larger (memory
    benchmark); ``entries(index)`` says how many OD its payroll has. ``watched``: synced periods
    are watched afterwards (the dossier's default ``watch_days``), else never.
    """
    period = Period.of(night).previous()
    now = datetime.now(UTC)
    secrets.put_partner_secret(PARTNER_SECRET)
    myunisoft.add_partner_secret(PARTNER_SECRET)
    world = World(night=night, period=period, firms=[])
    index = 0
    for number, spec in enumerate(firms):
        firm_id = f"firm-{number:02d}"
        client_id, secret, key = f"cid-{firm_id}", f"secret-{firm_id}", f"key-{firm_id}"
        silae.add_api_account(client_id, secret, secret_expires_at=now + timedelta(days=300))
        numbers = [f"{number:02d}{j:04d}" for j in range(spec.dossiers)]
        silae.add_access_configuration(key, client_id, numbers)
        firm = Firm(
            firm_id=firm_id,
            name=f"Cabinet {number:02d}",
            payroll=PayrollCredentialsInfo(
                client_id_masked=mask(client_id), secret_generated_on=(now - timedelta(days=60)).date()
            ),
            has_cabinet_token=spec.cabinet,
        )
        secrets.put_payroll("firm", firm_id, PayrollSecret(client_id, secret, key))
        cabinet_token = f"tok-cabinet-{firm_id}"
        if spec.cabinet:
            secrets.put_myunisoft_token("firm", firm_id, cabinet_token)
            myunisoft.add_cabinet_token(cabinet_token, schema_id=number + 1)
        config.put_firm(firm)
        world.firms.append(firm)

        for j, dossier_number in enumerate(numbers):
            index += 1
            society_id = 10_000 + index
            dossier_id = f"{firm_id}-d{j:03d}"
            override = None
            dossier_client = client_id
            if own_silae_every and index % own_silae_every == 0:
                dossier_client = f"cid-{dossier_id}"
                own_key = f"key-{dossier_id}"
                silae.add_api_account(
                    dossier_client, f"secret-{dossier_id}", secret_expires_at=now + timedelta(days=300)
                )
                silae.add_access_configuration(own_key, dossier_client, [dossier_number])
                secrets.put_payroll(
                    "dossier", dossier_id, PayrollSecret(dossier_client, f"secret-{dossier_id}", own_key)
                )
                override = PayrollCredentialsInfo(
                    client_id_masked=mask(dossier_client),
                    secret_generated_on=(now - timedelta(days=30)).date(),
                )
            dossier = Dossier(
                dossier_id=dossier_id,
                firm_id=firm_id,
                name=f"Dossier {dossier_number}",
                society_id=society_id,
                payroll_dossier_number=dossier_number,
                auto_pull=True,
                run_day=min(night.day, 5),
                pending_period=str(period),
                payroll_override=override,
                has_societe_token=not spec.cabinet,
                **({} if watched else {"watch_days": 0}),
            )
            myunisoft.add_society(society_id, dossier.name, schema_id=number + 1)
            token = cabinet_token
            if not spec.cabinet:
                token = f"tok-societe-{society_id}"
                myunisoft.add_society_token(token, society_id)
                secrets.put_myunisoft_token("dossier", dossier_id, token)
            myunisoft.add_diary(society_id, "OD PAIE", "OD de paie", diary_type_code="OD_PAIE")
            for account, label in CHART:
                myunisoft.add_account(society_id, account, label)
            myunisoft.add_exercice(society_id, date(period.year, 1, 1), date(period.year, 12, 31))
            groups = [
                payroll_od(f"Paie {period} - {dossier.name} - étab. {k + 1}", Decimal(9000 + 137 * index + k))
                for k in range(entries(index))
            ]
            pdfs = [
                (
                    f"journal-paie-{period}-{n + 1}.pdf" if files > 1 else f"journal-paie-{period}.pdf",
                    _pdf(dossier.name, period, file_bytes // files),
                )
                for n in range(files)
            ]
            silae.set_payroll(dossier_number, period, groups, pdfs)
            config.put_dossier(dossier)
            size = sum(len(content) for _, content in pdfs)
            world.dossiers.append(SeededDossier(dossier, groups, dossier_client, token, size))
    return world


def seed_next_month(silae: FakeSilae, world: World, night: date) -> World:
    """The same firms and dossiers a month later: each dossier's payroll of the following period,
    with as many OD as the month before, in Silae. Returns the world of ``night``'s run."""
    period = world.period.next()
    later = World(night=night, period=period, firms=world.firms)
    for index, item in enumerate(world.dossiers, start=1):
        dossier = item.dossier
        groups = [
            payroll_od(f"Paie {period} - {dossier.name} - étab. {k + 1}", Decimal(9100 + 137 * index + k))
            for k in range(len(item.groups))
        ]
        pdf = _pdf(dossier.name, period, item.files_bytes)
        silae.set_payroll(
            dossier.payroll_dossier_number or "", period, groups, [(f"journal-paie-{period}.pdf", pdf)]
        )
        later.dossiers.append(SeededDossier(dossier, groups, item.client_id, item.token, len(pdf)))
    return later


def _pdf(name: str, period: Period, size: int) -> bytes:
    pdf = simple_pdf([f"Journal de paie - {name}", f"Periode : {period}"])
    if size > len(pdf):
        # A PDF may carry anything after %%EOF; incompressible-looking bytes, as scans are.
        filler = bytes((i * 7919 + 13) % 251 for i in range(4096))
        missing = size - len(pdf)
        pdf += (filler * (missing // len(filler) + 1))[:missing]
    return pdf


# ------------------------------------------------------------------ planning


def seed_planning(table_name: str, night: date, *, total: int, due: int) -> int:
    """``total`` dossiers in the config table, ``due`` of them due on ``night``; returns how many
    carry automatic retrieval (the sparse index's size).

    The rest: a fifth without automatic retrieval (not in the index), the others due next month.
    """
    import boto3

    from paysync.storage.dynamo import to_item

    if due > total:
        raise ValueError("more due dossiers than dossiers")
    period = Period.of(night).previous()
    table = boto3.resource("dynamodb").Table(table_name)
    indexed = 0
    with table.batch_writer() as batch:
        for i in range(total):
            is_due = i < due
            auto = is_due or i % 5 != 0
            dossier = Dossier(
                dossier_id=f"plan-{i:05d}",
                firm_id=f"plan-firm-{i % 40:02d}",
                name=f"Dossier {i:05d}",
                society_id=50_000 + i,
                payroll_dossier_number=f"{i:06d}",
                auto_pull=auto,
                run_day=min(night.day, 5) if is_due else 5,
                # Not due: its pending month is the current one, due next month.
                pending_period=str(period if is_due else period.next()),
                has_societe_token=i % 3 == 0,
            )
            indexed += auto
            # The repository's own item layout (keys, sparse index attributes).
            batch.put_item(Item=to_item(ConfigRepository._dossier_item(dossier)))
    return indexed
