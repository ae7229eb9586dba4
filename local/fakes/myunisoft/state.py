"""What the fake MyUnisoft holds in memory, and the Python admin methods tests use to set it up.

The records are the package's shared model: the gateway reads secrets, tokens and societies, the
routes and :mod:`local.fakes.myunisoft.entries` read and write the dossiers' books, always under
``lock``. Tests never touch them: they go through the admin methods and read back with ``entries()``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from local.fakes.myunisoft.behaviour import Behaviour

# Diary types of the Postman collection's ``GET /diary`` description: code -> (id, name).
DIARY_TYPES: dict[str, tuple[int, str]] = {
    "ACH": (1, "Achat"),
    "VTE": (2, "Vente"),
    "BQ": (3, "Banque"),
    "CAISSE": (4, "Caisse"),
    "OD": (5, "OD"),
    "OD_AUDIT": (6, "OD Audit"),
    "OD_SIMUL": (7, "OD Simulation"),
    "A_EXT": (8, "À extourner"),
    "EXT": (9, "Extourne"),
    "AN": (10, "À Nouveaux"),
    "OD_PAIE": (11, "OD Paie"),
    "OD_LET": (12, "OD Lettrage"),
    "NDF": (13, "Note de frais"),
    "OD_DECL_FISCALE": (14, "OD TVA"),
}


@dataclass
class Token:
    kind: Literal["api", "firm"]  # api: société access; firm: cabinet access
    schema_id: int
    society_id: int | None
    revoked: bool = False
    activated: bool = False


@dataclass
class Society:
    society_id: int
    name: str
    schema_id: int
    siret: str | None = None  # as typed in MyUnisoft: a SIREN, a SIRET, or nothing
    city: str | None = None
    postal_code: str | None = None
    folder_reference: str | None = None


@dataclass
class Account:
    account_id: int
    society_id: int
    number: str
    label: str
    deleted: bool = False


@dataclass
class Exercice:
    exercice_id: int
    society_id: int
    start: dt.date
    end: dt.date
    closed: bool
    label: str | None


@dataclass
class EntryRecord:
    entry_id: int
    society_id: int
    record: dict[str, Any] = field(default_factory=dict)
    posted_at: float = field(default_factory=time.monotonic)  # GET /mad/entries may lag behind it


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _copy_record(record: dict[str, Any]) -> dict[str, Any]:
    copied = dict(record)
    copied["lines"] = [dict(line) for line in record["lines"]]
    copied["attachments"] = [dict(a) for a in record["attachments"]]
    return copied


class MyUnisoftState:
    """Partner secrets, tokens, societies and their books (diaries, accounts, exercices, entries)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.partner_secrets: dict[str, tuple[int, bool]] = {}  # secret -> (third party id, active)
        self.societies: dict[int, Society] = {}
        self.tokens: dict[str, Token] = {}
        self.diaries: dict[int, dict[str, Any]] = {}
        self.accounts: dict[int, Account] = {}
        self.exercices: dict[int, Exercice] = {}
        self.entry_records: dict[int, EntryRecord] = {}
        # (society, entry_origin_partner_id) -> its entries, oldest first (several when not unique)
        self.origin_ids: dict[tuple[int, str], list[int]] = {}
        self.behaviour = Behaviour()
        self.duplicates_refused = 0  # POSTs refused because their partner id was used (uniqueness on)
        self.ids = {
            "third_party": itertools.count(101),
            "diary": itertools.count(31420),
            "account": itertools.count(1157868),
            "exercice": itertools.count(6353),
            "entry": itertools.count(1945319),
            "document": itertools.count(3644183),
            "line": itertools.count(8756022),
        }

    # == admin (Python) ====================================================================================
    def configure(self, behaviour: Behaviour | None = None, **switches: Any) -> Behaviour:
        """Choose the answers the docs leave open (:mod:`local.fakes.myunisoft.behaviour`): a whole
        ``behaviour``, or some switches by name (``partner_id_unique=True``...). Takes effect at
        once, also on a running server; returns the behaviour now in force."""
        with self.lock:
            self.behaviour = (behaviour or self.behaviour).changed(**switches)
            return self.behaviour

    def add_partner_secret(self, secret: str, active: bool = True) -> int:
        """Register an integrator's ``X-Third-Party-Secret``; returns its third-party id."""
        with self.lock:
            third_party = (
                self.partner_secrets[secret][0]
                if secret in self.partner_secrets
                else next(self.ids["third_party"])
            )
            self.partner_secrets[secret] = (third_party, active)
            return third_party

    def set_partner_secret_active(self, secret: str, active: bool) -> None:
        with self.lock:
            self.partner_secrets[secret] = (self.partner_secrets[secret][0], active)

    def add_society(
        self,
        society_id: int,
        name: str,
        *,
        schema_id: int,
        siret: str | None = None,
        city: str | None = None,
        postal_code: str | None = None,
        folder_reference: str | None = None,
    ) -> None:
        with self.lock:
            self.societies[society_id] = Society(
                society_id, name, schema_id, siret, city, postal_code, folder_reference
            )

    def add_society_token(self, token: str, society_id: int) -> None:
        """A société (dossier) access: one dossier, no ``society-id`` header needed."""
        with self.lock:
            society = self.society_of(society_id)
            self.tokens[token] = Token("api", society.schema_id, society_id)

    def add_cabinet_token(self, token: str, schema_id: int) -> None:
        """A cabinet (firm) access: every dossier of the schema, chosen with ``society-id``."""
        with self.lock:
            self.tokens[token] = Token("firm", schema_id, None)

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token].revoked = True

    def token_activated(self, token: str) -> bool:
        """Whether the key left "En attente de connexion" (any accepted call activates it)."""
        with self.lock:
            return self.tokens[token].activated

    def add_diary(
        self,
        society_id: int,
        code: str,
        name: str,
        diary_type_code: str = "OD_PAIE",
        closed: bool = False,
    ) -> int:
        with self.lock:
            self.society_of(society_id)
            type_id, type_name = DIARY_TYPES[diary_type_code]
            diary_id = next(self.ids["diary"])
            self.diaries[diary_id] = {
                "society_id": society_id,
                "code": code,
                "name": name,
                "closed": closed,
                "account": None,
                "blocked": False,
                "diary_id": diary_id,
                "diary_type_id": type_id,
                "diary_type_code": diary_type_code,
                "diary_type_name": type_name,
            }
            return diary_id

    def close_diary(self, society_id: int, diary_id: int, closed: bool = True) -> None:
        with self.lock:
            diary = self.diaries[diary_id]
            if diary["society_id"] != society_id:
                raise KeyError(diary_id)
            diary["closed"] = closed

    def add_account(self, society_id: int, number: str, label: str) -> int:
        """Add an account as is (no normalisation); returns its ``account_id``."""
        with self.lock:
            self.society_of(society_id)
            account_id = next(self.ids["account"])
            self.accounts[account_id] = Account(account_id, society_id, number, label)
            return account_id

    def rename_account(
        self, society_id: int, account_id: int, new_number: str | None = None, new_label: str | None = None
    ) -> None:
        with self.lock:
            account = self.account_of(society_id, account_id)
            if new_number is not None:
                account.number = new_number
            if new_label is not None:
                account.label = new_label

    def delete_account(self, society_id: int, account_id: int) -> None:
        with self.lock:
            self.account_of(society_id, account_id).deleted = True

    def add_exercice(
        self,
        society_id: int,
        start: dt.date | str,
        end: dt.date | str,
        closed: bool = False,
        *,
        label: str | None = None,
    ) -> int:
        with self.lock:
            self.society_of(society_id)
            exercice_id = next(self.ids["exercice"])
            self.exercices[exercice_id] = Exercice(
                exercice_id, society_id, _as_date(start), _as_date(end), closed, label
            )
            return exercice_id

    def close_exercice(self, society_id: int, exercice_id: int, closed: bool = True) -> None:
        with self.lock:
            exercice = self.exercices[exercice_id]
            if exercice.society_id != society_id:
                raise KeyError(exercice_id)
            exercice.closed = closed

    def delete_entry(self, society_id: int, entry_id: int) -> None:
        """Someone deletes the entry in MyUnisoft: gone from the books, the listing and the lookup."""
        with self.lock:
            entry = self.entry_records.get(entry_id)
            if entry is None or entry.society_id != society_id:
                raise KeyError(entry_id)
            del self.entry_records[entry_id]
            origin = entry.record["entry_origin_partner_id"]
            if origin is not None:
                kept = [i for i in self.origin_ids.get((society_id, origin), []) if i != entry_id]
                if kept:
                    self.origin_ids[(society_id, origin)] = kept
                else:
                    self.origin_ids.pop((society_id, origin), None)

    def edit_entry(
        self, society_id: int, entry_id: int, change: Callable[[list[dict[str, Any]]], None]
    ) -> None:
        """An accountant edits the entry in MyUnisoft: ``change`` edits its lines in place
        (``account_id``, ``label``, ``debit``, ``credit``); it keeps its partner id."""
        with self.lock:
            entry = self.entry_records.get(entry_id)
            if entry is None or entry.society_id != society_id:
                raise KeyError(entry_id)
            change(entry.record["lines"])

    def entries(self, society_id: int) -> list[dict[str, Any]]:
        """What was posted to a dossier, oldest first, attachments decoded.

        Each: ``entry_id``, ``entry_origin_partner_id``, ``diary_id``, ``date_piece``,
        ``period_from``, ``period_to``, ``etablissement_id``, ``json``, ``comment``, ``lines``
        (``account_id``, ``label``, ``debit``, ``credit``, ``deadline``), ``debit_total``,
        ``credit_total``, ``attachments`` (``name``, ``type``, ``content`` bytes, ``valid_base64``,
        ``source`` ``pj_list``/``line``/``document``), ``body`` (the JSON as received),
        ``request_id``.
        """
        with self.lock:
            return [
                _copy_record(e.record)
                for e in sorted(self.entry_records.values(), key=lambda e: e.entry_id)
                if e.society_id == society_id
            ]

    def origins_by_society(self) -> dict[int, list[str | None]]:
        """Every posted entry's ``entry_origin_partner_id``, by dossier, oldest first: ``entries()``
        of every dossier in one pass (benchmarks check thousands of dossiers)."""
        found: dict[int, list[str | None]] = {}
        with self.lock:
            for entry in sorted(self.entry_records.values(), key=lambda e: e.entry_id):
                found.setdefault(entry.society_id, []).append(entry.record["entry_origin_partner_id"])
        return found

    # == look-ups (callers hold the lock) =================================================================
    def society_of(self, society_id: int) -> Society:
        society = self.societies.get(society_id)
        if society is None:
            raise KeyError(f"unknown society {society_id}: add_society() first")
        return society

    def account_of(self, society_id: int, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None or account.society_id != society_id or account.deleted:
            raise KeyError(f"no account {account_id} in society {society_id}")
        return account

    def accounts_of(
        self, society_id: int | None, *, account_id: str | None = None, begin_by: str | None = None
    ) -> list[Account]:
        """The society's live accounts by number, narrowed to an id and to a number prefix if given."""
        return sorted(
            (
                a
                for a in self.accounts.values()
                if a.society_id == society_id
                and not a.deleted
                and (not account_id or str(a.account_id) == account_id)
                and (not begin_by or a.number.startswith(begin_by))
            ),
            key=lambda a: (a.number, a.account_id),
        )
