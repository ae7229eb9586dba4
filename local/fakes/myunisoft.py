"""A stateful fake of the MyUnisoft API Partenaires, faithful to the vendor's docs and contracts.

Serves ``/api/v1/...`` (every route needs ``Authorization: Bearer`` and ``X-Third-Party-Secret``)
and ``/api/partners/health`` (no auth). State is set up with Python admin methods
(``add_partner_secret``, ``add_society``, ``add_society_token``, ``add_cabinet_token``,
``add_diary``, ``add_account``, ``add_exercice``...) and read back with ``entries()``.

What it enforces, in this order, on every ``/api/v1`` call:
1. ``Authorization`` must be ``Bearer <token>``: else ``ERR-INVALID-AUTH-HEADER``;
2. ``X-Third-Party-Secret`` present (``ERR-SECRET-HEADER-NOT-SET``), known and active
   (``ERR-INVALID-SECRET``);
3. the token exists and is not revoked (``ERR-API-TOKEN-NOT-FOUND``); any call activates a new key;
4. maintenance (``maintenance = True``): 503 ``ERR-API-UNDER-MAINTENANCE``;
5. a sliding window per token (``rate_limit`` calls per ``rate_window_seconds``): 429
   ``ERR-TOO-MANY-REQUEST``;
6. dossier routes with a cabinet token need ``society-id``: missing, ``SOCIETE10`` "Aucune société
   selectionnée" (400); a society outside the token's schema, ``DROIT1`` (403). A société token
   always works on its own dossier (its ``society-id`` header, if any, is ignored);
7. at most ``concurrency_limit`` calls in flight per token and route: 429
   ``ERR-TOO-MANY-CONCURRENT-REQUEST`` (``route_delays`` slows a route down to reach it).

The gateway codes (``ERR-*``) have no HTTP status in errors.json; the fake's choices: 401 for a
missing or malformed credential or an unknown/revoked token, 403 for an unknown or inactive
partner secret and a forbidden route, 429 for both rate limits, 503 for maintenance.

Every response carries a fresh ``request-id``; every ``/api/v1`` response also carries
``X-Rate-Limit-Remaining``, ``X-Rate-Limit-Reset`` (epoch seconds with a fraction, as in the vendor's
examples, or epoch milliseconds with ``rate_reset_unit = "ms"``) and ``X-Rate-Limit-Total``.
Errors are always ``{"error": {"code", "message", "details": {url, method, requestedAt,
requestId}}}`` with the catalogue's French message; shape errors of ``POST /entry`` add
``details.fields`` (which fields are wrong) without changing the message.

Choices where the docs are silent (a caller must know them):
- ``GET /entry/id?id_origin=`` for an unknown id answers 200 with an empty body (no error code
  exists for it in the catalogue, and every non-2xx carries one);
- a second entry with an ``entry_origin_partner_id`` already used in the dossier: 400 ``GBL6``
  "Cet élément existe déjà." (no dedicated code in errors.json);
- ``POST /entry?type=e`` answers the shape documented for its sibling ``POST /entry/temp``:
  ``{type, debit_total, credit_total, entry_array: [{entry_id, ...}]}``;
- ``POST /account`` pads an all-digit number shorter than ``account_number_length`` (6) with zeros,
  as the Postman example does (``251`` gives ``251000``);
- ``pj_list`` contents are base64-decoded leniently (the vendor's own example sends ``"..."``);
  ``entries()`` says whether each attachment was valid base64.

Faults: the generic ones of ``FakeServer`` plus ``rate_limit`` (429 with ``X-Rate-Limit-Reset``
``seconds`` from now, default the window), ``maintenance`` (503) and ``concurrency`` (429
``ERR-TOO-MANY-CONCURRENT-REQUEST``); an injected ``status`` fault answers ``ERR-HTTP``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import itertools
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from local.fakes.server import FakeServer, Fault, Request, Response

# -- the error catalogue ----------------------------------------------------------------------------
# Texts as published in MyUnisoft's errors.json (docs/erreurs.md); a contract test checks that every
# code here exists there with the same message (and the same HTTP status for catalogue codes).
# Gateway codes (ERR-*) carry the status this fake chose (see the module docstring).
CATALOGUE: dict[str, tuple[int, str]] = {
    "ERR-HTTP": (500, ""),
    "ERR-INVALID-AUTH-HEADER": (401, "l’en-tête http “Authorization” doit être préfixé du mot clé Bearer"),
    "ERR-API-TOKEN-NOT-FOUND": (401, "le token n’existe pas ou est révoqué"),
    "ERR-SECRET-HEADER-NOT-SET": (401, "l’en-tête X-Third-Party-Secret est manquante"),
    "ERR-INVALID-SECRET": (403, "l’en-tête X-Third-Party-Secret n’est pas valide"),
    "ERR-FORBIDDEN-ROUTE": (403, "vous n’avez pas les droits d’accès pour la route"),
    "ERR-API-UNDER-MAINTENANCE": (503, "l'api n'est pas disponible pour cause de maintenance"),
    "ERR-TOO-MANY-REQUEST": (429, "vous avez dépassé la limite autorisée de votre jeton"),
    "ERR-TOO-MANY-CONCURRENT-REQUEST": (
        429,
        "vous avez dépassé la limite autorisée de demandes concurrentes "
        "à un dossier de production/une société",
    ),
    "SOCIETE10": (400, "Aucune société selectionnée"),
    "DROIT1": (403, "Vous n'avez pas accès à cette société"),
    "COMPTE3": (400, "Veuillez saisir un numéro de compte."),
    "COMPTE4": (400, "Veuillez saisir un intitulé pour le compte."),
    "COMPTE5": (400, "Le compte n'appartient pas à la société."),
    "COMPTE6": (400, "Le premier caractère du numéro de compte doit être compris entre 1 et 9."),
    "COMPTE7": (400, "Le numéro de compte saisi ne doit pas dépasser 20 caractères."),
    "ECR1": (400, "Impossible de valider une écriture possédant un total débit différent du total crédit"),
    "ECR2": (400, "Les valeurs débit et crédit sont invalides."),
    "ECR4": (400, "L'écriture est invalide"),
    "ECR9": (400, "Impossible de saisir dans un exercice cloturé."),
    "ECR10": (400, "La date de l'écriture n'appartient à aucun exercice."),
    "ECR17": (400, "Impossible de créer une écriture de type %1"),
    "ECR27": (400, "Impossible de renseigner une valeur au débit et au crédit."),
    "ECR43": (400, "La liste d'écriture est vide"),
    "ECR48": (400, "L'etablissement ne correspond pas"),
    "JOURNAL2": (400, "Impossible d'ajouter une écriture dans un journal clôturé"),
    "JOURNAL3": (400, "Le journal est invalide."),
    "JOURNAL13": (400, 'Impossible d\'envoyer une écriture dans un journal de type "À-Nouveaux"'),
    "GBL6": (400, "Cet élément existe déjà."),
    "DOCUMENT4": (400, "Veuillez saisir le nom du fichier"),
    "DOCUMENT6": (400, "Une erreur sur la pièce jointe à été détectée."),
    "DOCUMENT9": (400, "L'extension du fichier n'est pas acceptée."),
}
GATEWAY_CODES = frozenset(code for code in CATALOGUE if code.startswith("ERR-"))
DUPLICATE_ORIGIN_CODE = "GBL6"

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

# The file extensions accepted by add_all_types (the PJ mime types: ``PjType`` below).
DOCUMENT_EXTENSIONS = frozenset(
    {
        *("gif", "jpeg", "jpg", "pjpeg", "bmp", "png", "tif", "tiff", "pdf"),
        *("xls", "xlsx", "doc", "docx", "ppt", "pptx", "odt", "txt", "csv"),
    }
)
PJ_MAX_BYTES = 50 * 1024 * 1024  # "PDF allowed, ≤ 50 MB"
CENT = Decimal("0.01")


# -- NewEntry, written from the partner docs (docs/accounting/folder/import/json.md) ----------------
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: str) -> str:
    """JSON Schema ``format: date``: an RFC 3339 full-date, ``YYYY-MM-DD``."""
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD")
    dt.date.fromisoformat(value)  # raises on 2024-02-30
    return value


Number = Annotated[float, Strict()]  # JSON number: int or float, never a bool or a string
IsoDate = Annotated[str, AfterValidator(_iso_date)]
PjType = Literal[
    "image/gif",
    "image/jpeg",
    "image/pjpeg",
    "image/jpg",
    "image/bmp",
    "image/png",
    "image/x-png",
    "image/tiff",
    "image/tif",
    "application/pdf",
    "application/vnd.ms-excel",
    "application/msword",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "text/plain",
]
PJ_TYPES: tuple[str, ...] = get_args(PjType)  # the PJ definition's mime types, spelled once


class _Shape(BaseModel):
    """Optional members may be absent but never ``null`` (the TypeScript ``key?: type``)."""

    @model_validator(mode="before")
    @classmethod
    def _no_null_members(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, info in cls.model_fields.items():
                key = info.alias or name
                if key in data and data[key] is None:
                    raise ValueError(f"{key} must not be null")
        return data


class _Closed(_Shape):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Open(_Shape):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class PJ(_Closed):
    content: str  # base64
    name: str = Field(max_length=50)
    type: PjType


class EntryComment(_Closed):
    content: str


class RepartitionInfo(_Closed):
    id_section: Number
    code: str
    label: str
    rate: Number
    amount: Number


class AnalyticRepartition(_Closed):
    id_axe: Number
    code: str
    label: str
    repartition: list[RepartitionInfo]


class NewEntryLine(_Open):
    pj_list: list[PJ] | None = None
    piece: str | None = None
    piece2: str | None = None
    deadline: IsoDate
    credit: Number
    debit: Number
    analytique: list[AnalyticRepartition] | None = None
    currency: str | None = None
    value_currency: Number | None = None
    payment_type_id: Number | None = None
    account_id: Number
    label: str = Field(max_length=50)
    lettrage: str | None = None


class NewEntry(_Open):
    pj_list: list[PJ] | None = None
    entry_list: list[NewEntryLine] = Field(min_length=1)
    date_piece: IsoDate
    period_from: IsoDate | None = None
    period_to: IsoDate | None = None
    etablissement_id: Number
    diary_id: Number
    entry_origin_partner_id: str | None = None
    json_payload: str | None = Field(default=None, alias="json")
    comment: EntryComment | None = None


def validate_new_entry(body: Any) -> NewEntry:
    """The fake's own check of a ``NewEntry`` body (raises ``pydantic.ValidationError``)."""
    return NewEntry.model_validate(body)


def _field_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in err['loc']) or '(body)'}: {err['msg']}" for err in exc.errors()[:20]]


# -- state ----------------------------------------------------------------------------------------------
@dataclass
class _Token:
    kind: Literal["api", "firm"]  # api: société access; firm: cabinet access
    schema_id: int
    society_id: int | None
    revoked: bool = False
    activated: bool = False


@dataclass
class _Society:
    society_id: int
    name: str
    schema_id: int


@dataclass
class _Account:
    account_id: int
    society_id: int
    number: str
    label: str
    deleted: bool = False


@dataclass
class _Exercice:
    exercice_id: int
    society_id: int
    start: dt.date
    end: dt.date
    closed: bool
    label: str | None


@dataclass
class _Entry:
    entry_id: int
    society_id: int
    record: dict[str, Any] = field(default_factory=dict)


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _amount(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _decode_pj(content: str) -> tuple[bytes, bool]:
    try:
        return base64.b64decode(content, validate=True), True
    except (binascii.Error, ValueError):
        return b"", False


class _RejectedError(Exception):
    """Answer this error instead of going on."""

    def __init__(
        self, code: str, *, fields: list[str] | None = None, placeholders: Iterable[str] = ()
    ) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields
        self.placeholders = tuple(placeholders)


Handler = Callable[[Request, _Token, int | None], Response]


class FakeMyUnisoft(FakeServer):
    """The MyUnisoft API Partenaires on 127.0.0.1, in memory."""

    name = "fake-myunisoft"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: int = 20,
        rate_window_seconds: float = 10.0,
        rate_reset_unit: Literal["s", "ms"] = "s",
        concurrency_limit: int = 10,
        account_number_length: int | None = 6,
    ) -> None:
        super().__init__(host, port)
        # config (may be changed at any time)
        self.rate_limit = rate_limit
        self.rate_window_seconds = rate_window_seconds
        self.rate_reset_unit: Literal["s", "ms"] = rate_reset_unit
        self.concurrency_limit = concurrency_limit
        self.account_number_length = account_number_length
        self.maintenance = False
        # Seconds each admitted call to a route path (e.g. "/api/v1/diary") spends in its handler:
        # a slow dossier, to reach the concurrency limit in tests.
        self.route_delays: dict[str, float] = {}
        # state
        self._lock = threading.RLock()
        self._local = threading.local()
        self._secrets: dict[str, tuple[int, bool]] = {}  # secret -> (third party id, active)
        self._societies: dict[int, _Society] = {}
        self._tokens: dict[str, _Token] = {}
        self._diaries: dict[int, dict[str, Any]] = {}
        self._accounts: dict[int, _Account] = {}
        self._exercices: dict[int, _Exercice] = {}
        self._entries: dict[int, _Entry] = {}
        self._origin_ids: dict[tuple[int, str], int] = {}
        self._windows: dict[str, deque[float]] = {}
        self._in_flight: dict[tuple[str, str], int] = {}
        self._ids = {
            "third_party": itertools.count(101),
            "diary": itertools.count(31420),
            "account": itertools.count(1157868),
            "exercice": itertools.count(6353),
            "entry": itertools.count(1945319),
            "document": itertools.count(3644183),
            "line": itertools.count(8756022),
        }
        self.route("GET", "/api/partners/health", self._health)
        self._api("GET", "/api/v1/key/info", self._key_info, dossier=False)
        self._api("GET", "/api/v1/society", self._society, dossier=False)
        self._api("GET", "/api/v1/society/exercice", self._list_exercices)
        self._api("GET", "/api/v1/diary", self._list_diaries)
        self._api("GET", "/api/v1/account", self._list_accounts)
        self._api("GET", "/api/v1/account/v2", self._list_accounts_v2)
        self._api("POST", "/api/v1/account", self._find_or_create_account)
        self._api("POST", "/api/v1/entry", self._create_entry)
        self._api("GET", "/api/v1/entry/id", self._find_entry)
        self._api("POST", "/api/v1/document/add_all_types", self._add_document)

    # == admin (Python) ====================================================================================
    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    def add_partner_secret(self, secret: str, active: bool = True) -> int:
        """Register an integrator's ``X-Third-Party-Secret``; returns its third-party id."""
        with self._lock:
            third_party = (
                self._secrets[secret][0] if secret in self._secrets else next(self._ids["third_party"])
            )
            self._secrets[secret] = (third_party, active)
            return third_party

    def set_partner_secret_active(self, secret: str, active: bool) -> None:
        with self._lock:
            self._secrets[secret] = (self._secrets[secret][0], active)

    def add_society(self, society_id: int, name: str, *, schema_id: int) -> None:
        with self._lock:
            self._societies[society_id] = _Society(society_id, name, schema_id)

    def add_society_token(self, token: str, society_id: int) -> None:
        """A société (dossier) access: one dossier, no ``society-id`` header needed."""
        with self._lock:
            society = self._society_of(society_id)
            self._tokens[token] = _Token("api", society.schema_id, society_id)

    def add_cabinet_token(self, token: str, schema_id: int) -> None:
        """A cabinet (firm) access: every dossier of the schema, chosen with ``society-id``."""
        with self._lock:
            self._tokens[token] = _Token("firm", schema_id, None)

    def revoke_token(self, token: str) -> None:
        with self._lock:
            self._tokens[token].revoked = True

    def token_activated(self, token: str) -> bool:
        """Whether the key left "En attente de connexion" (any accepted call activates it)."""
        with self._lock:
            return self._tokens[token].activated

    def add_diary(
        self,
        society_id: int,
        code: str,
        name: str,
        diary_type_code: str = "OD_PAIE",
        closed: bool = False,
    ) -> int:
        with self._lock:
            self._society_of(society_id)
            type_id, type_name = DIARY_TYPES[diary_type_code]
            diary_id = next(self._ids["diary"])
            self._diaries[diary_id] = {
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
        with self._lock:
            diary = self._diaries[diary_id]
            if diary["society_id"] != society_id:
                raise KeyError(diary_id)
            diary["closed"] = closed

    def add_account(self, society_id: int, number: str, label: str) -> int:
        """Add an account as is (no normalisation); returns its ``account_id``."""
        with self._lock:
            self._society_of(society_id)
            account_id = next(self._ids["account"])
            self._accounts[account_id] = _Account(account_id, society_id, number, label)
            return account_id

    def rename_account(
        self, society_id: int, account_id: int, new_number: str | None = None, new_label: str | None = None
    ) -> None:
        with self._lock:
            account = self._account_of(society_id, account_id)
            if new_number is not None:
                account.number = new_number
            if new_label is not None:
                account.label = new_label

    def delete_account(self, society_id: int, account_id: int) -> None:
        with self._lock:
            self._account_of(society_id, account_id).deleted = True

    def add_exercice(
        self,
        society_id: int,
        start: dt.date | str,
        end: dt.date | str,
        closed: bool = False,
        *,
        label: str | None = None,
    ) -> int:
        with self._lock:
            self._society_of(society_id)
            exercice_id = next(self._ids["exercice"])
            self._exercices[exercice_id] = _Exercice(
                exercice_id, society_id, _as_date(start), _as_date(end), closed, label
            )
            return exercice_id

    def close_exercice(self, society_id: int, exercice_id: int, closed: bool = True) -> None:
        with self._lock:
            exercice = self._exercices[exercice_id]
            if exercice.society_id != society_id:
                raise KeyError(exercice_id)
            exercice.closed = closed

    def entries(self, society_id: int) -> list[dict[str, Any]]:
        """What was posted to a dossier, oldest first, attachments decoded.

        Each: ``entry_id``, ``entry_origin_partner_id``, ``diary_id``, ``date_piece``,
        ``period_from``, ``period_to``, ``etablissement_id``, ``json``, ``comment``, ``lines``
        (``account_id``, ``label``, ``debit``, ``credit``, ``deadline``), ``debit_total``,
        ``credit_total``, ``attachments`` (``name``, ``type``, ``content`` bytes, ``valid_base64``,
        ``source`` ``pj_list``/``line``/``document``), ``body`` (the JSON as received),
        ``request_id``.
        """
        with self._lock:
            return [
                _copy_record(e.record)
                for e in sorted(self._entries.values(), key=lambda e: e.entry_id)
                if e.society_id == society_id
            ]

    def reset_rate_limits(self) -> None:
        with self._lock:
            self._windows.clear()

    # == plumbing ======================================================================================
    def _society_of(self, society_id: int) -> _Society:
        society = self._societies.get(society_id)
        if society is None:
            raise KeyError(f"unknown society {society_id}: add_society() first")
        return society

    def _account_of(self, society_id: int, account_id: int) -> _Account:
        account = self._accounts.get(account_id)
        if account is None or account.society_id != society_id or account.deleted:
            raise KeyError(f"no account {account_id} in society {society_id}")
        return account

    def _request_id(self) -> str:
        rid = getattr(self._local, "request_id", None)
        if rid is None:
            rid = self._local.request_id = "req-" + secrets.token_hex(8)
        return str(rid)

    def dispatch(self, request: Request) -> Response:
        self._local.request_id = "req-" + secrets.token_hex(8)
        self._local.rate = None
        try:
            response = super().dispatch(request)
            response.headers.setdefault("request-id", self._request_id())
            if request.path.startswith("/api/v1"):
                self._rate_headers(request, response)
            return response
        finally:
            self._local.request_id = None
            self._local.rate = None

    def _format_reset(self, reset_at: float) -> str:
        return str(round(reset_at * 1000)) if self.rate_reset_unit == "ms" else f"{reset_at:.6f}"

    def _rate_headers(self, request: Request, response: Response) -> None:
        rate = getattr(self._local, "rate", None)
        if rate is None:  # the call was not admitted: show the bucket without counting
            rate = self._peek(_bearer(request) or "")
        remaining, reset_at = rate
        response.headers.setdefault("X-Rate-Limit-Remaining", str(remaining))
        response.headers.setdefault("X-Rate-Limit-Reset", self._format_reset(reset_at))
        response.headers.setdefault("X-Rate-Limit-Total", str(self.rate_limit))

    def _window(self, key: str, now: float) -> deque[float]:
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.rate_window_seconds:
            stamps.popleft()
        return stamps

    def _peek(self, key: str) -> tuple[int, float]:
        with self._lock:
            now = time.time()
            stamps = self._window(key, now)
            reset_at = stamps[0] + self.rate_window_seconds if stamps else now + self.rate_window_seconds
            return max(0, self.rate_limit - len(stamps)), reset_at

    def _admit(self, key: str) -> bool:
        with self._lock:
            now = time.time()
            stamps = self._window(key, now)
            if len(stamps) >= self.rate_limit:
                self._local.rate = (0, stamps[0] + self.rate_window_seconds)
                return False
            stamps.append(now)
            self._local.rate = (self.rate_limit - len(stamps), stamps[0] + self.rate_window_seconds)
            return True

    def _url(self, request: Request) -> str:
        base = self.url if self._httpd is not None else ""
        query = f"?{urlencode(request.query)}" if request.query else ""
        return f"{base}{request.path}{query}"

    def _error(
        self,
        request: Request,
        code: str,
        *,
        status: int | None = None,
        fields: list[str] | None = None,
        placeholders: Iterable[str] = (),
        headers: dict[str, str] | None = None,
    ) -> Response:
        default_status, message = CATALOGUE[code]
        for index, value in enumerate(placeholders, start=1):
            message = message.replace(f"%{index}", value)
        details: dict[str, Any] = {
            "url": self._url(request),
            "method": request.method,
            "requestedAt": dt.datetime.now(dt.UTC).strftime("%d %b %Y, %H:%M:%S"),
            "requestId": self._request_id(),
        }
        if fields:
            details["fields"] = fields
        return Response(
            status=status or default_status,
            body={"error": {"code": code, "message": message, "details": details}},
            headers=dict(headers or {}),
        )

    def error_response(self, status: int, request: Request) -> Response:
        return self._error(request, "ERR-HTTP", status=status)

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind == "rate_limit":
            seconds = fault.seconds or self.rate_window_seconds
            reset_at = time.time() + seconds
            self._local.rate = (0, reset_at)
            return self._error(request, "ERR-TOO-MANY-REQUEST")
        if fault.kind == "maintenance":
            return self._error(request, "ERR-API-UNDER-MAINTENANCE")
        if fault.kind == "concurrency":
            return self._error(request, "ERR-TOO-MANY-CONCURRENT-REQUEST")
        return None

    def not_found(self, request: Request) -> Response:
        if not request.path.startswith("/api/v1/"):
            return super().not_found(request)
        guarded = self._authenticate(request)
        if isinstance(guarded, Response):
            return guarded
        return self._error(request, "ERR-FORBIDDEN-ROUTE")

    def _authenticate(self, request: Request) -> _Token | Response:
        """Steps 1 to 5 of the module docstring; an admitted call counts in the token's window."""
        token = _bearer(request)
        secret = request.header("x-third-party-secret")
        with self._lock:
            known = self._secrets.get(secret or "")
            record = self._tokens.get(token or "")
        code: str | None = None
        if not token:
            code = "ERR-INVALID-AUTH-HEADER"
        elif not secret:
            code = "ERR-SECRET-HEADER-NOT-SET"
        elif known is None or not known[1]:
            code = "ERR-INVALID-SECRET"
        elif record is None or record.revoked:
            code = "ERR-API-TOKEN-NOT-FOUND"
        elif self.maintenance:
            code = "ERR-API-UNDER-MAINTENANCE"
        elif not self._admit(token):
            code = "ERR-TOO-MANY-REQUEST"
        if code is not None or record is None:
            return self._error(request, code or "ERR-API-TOKEN-NOT-FOUND")
        with self._lock:
            record.activated = True
        return record

    def _target_society(self, request: Request, token: _Token) -> int | Response:
        if token.kind == "api" and token.society_id is not None:
            return token.society_id
        raw = request.header("society-id")
        if raw is None or not raw.strip():
            return self._error(request, "SOCIETE10")
        try:
            society_id = int(raw.strip())
        except ValueError:
            return self._error(request, "DROIT1")
        with self._lock:
            society = self._societies.get(society_id)
        if society is None or society.schema_id != token.schema_id:
            return self._error(request, "DROIT1")
        return society_id

    def _api(self, method: str, path: str, handler: Handler, *, dossier: bool = True) -> None:
        def guarded(request: Request) -> Response:
            token = self._authenticate(request)
            if isinstance(token, Response):
                return token
            society_id: int | None = None
            if dossier:
                target = self._target_society(request, token)
                if isinstance(target, Response):
                    return target
                society_id = target
            slot = (_bearer(request) or "", path)
            with self._lock:
                busy = self._in_flight.get(slot, 0)
                if busy >= self.concurrency_limit:
                    return self._error(request, "ERR-TOO-MANY-CONCURRENT-REQUEST")
                self._in_flight[slot] = busy + 1
            try:
                if delay := self.route_delays.get(path, 0.0):
                    time.sleep(delay)
                return handler(request, token, society_id)
            except _RejectedError as rejected:
                return self._error(
                    request, rejected.code, fields=rejected.fields, placeholders=rejected.placeholders
                )
            finally:
                with self._lock:
                    self._in_flight[slot] -= 1

        self.route(method, path, guarded)

    # == routes ========================================================================================
    def _health(self, request: Request) -> Response:
        return Response(body={"status": "ok"})

    def _key_info(self, request: Request, token: _Token, _: int | None) -> Response:
        routes = [
            {"path": path.pattern.strip("^$"), "method": method.lower()}
            for method, path, _handler in self._routes
            if path.pattern.startswith("^/api/v1/")
        ]
        if request.query.get("mode") != "extended":
            return Response(body=routes)
        with self._lock:
            third_party = self._secrets[request.header("x-third-party-secret") or ""][0]
        target: dict[str, Any] = {
            "type": token.kind,
            "schemaId": token.schema_id,
            "thirdPartyId": third_party,
        }
        if token.society_id is not None:
            target["societyId"] = token.society_id
        return Response(
            body={
                "target": target,
                "version": {"current": 1, "latest": 1, "beta": False},
                "canBeActivated": True,
                "isActivated": token.activated,
                "routes": routes,
            }
        )

    def _society_body(self, society: _Society) -> dict[str, Any]:
        return {"society_id": society.society_id, "name": society.name, "siret": "", "folder_reference": None}

    def _society(self, request: Request, token: _Token, _: int | None) -> Response:
        if token.kind == "api" or request.header("society-id"):
            target = self._target_society(request, token)
            if isinstance(target, Response):
                return target
            with self._lock:
                return Response(body=self._society_body(self._societies[target]))
        with self._lock:
            rows = [self._society_body(s) for s in self._societies.values() if s.schema_id == token.schema_id]
        return Response(body={"row_numbers": len(rows), "pages_number": None, "society_array": rows})

    def _list_exercices(self, request: Request, token: _Token, society_id: int | None) -> Response:
        with self._lock:
            rows = sorted(
                (e for e in self._exercices.values() if e.society_id == society_id),
                key=lambda e: e.start,
                reverse=True,
            )
            body = [
                {
                    "exercice_id": e.exercice_id,
                    "start_date": e.start.strftime("%Y%m%d"),
                    "end_date": e.end.strftime("%Y%m%d"),
                    "label": e.label if e.label is not None else ("N" if index == 0 else f"N-{index}"),
                    "result": 0,
                    "ca": 0,
                    "closed": e.closed,
                    "duration": (e.end.year - e.start.year) * 12 + e.end.month - e.start.month + 1,
                    "closed_at": e.end.strftime("%Y%m%d") if e.closed else None,
                    "closed_by": None,
                    "review_model": {"label": "Modèle Standard Myunisoft", "id_review_model": 1},
                    "lettering_method_id": 1,
                }
                for index, e in enumerate(rows)
            ]
        return Response(body=body)

    def _list_diaries(self, request: Request, token: _Token, society_id: int | None) -> Response:
        q, kind, code = request.query.get("q"), request.query.get("type"), request.query.get("code")
        with self._lock:
            rows = [
                {k: v for k, v in d.items() if k != "society_id"}
                for d in self._diaries.values()
                if d["society_id"] == society_id
                and (not kind or d["diary_type_code"] == kind)
                and (not code or d["code"] == code)
                and (not q or q.lower() in d["name"].lower() or q.lower() in d["code"].lower())
            ]
        return Response(body=rows)

    def _accounts_of(self, society_id: int | None) -> list[_Account]:
        return sorted(
            (a for a in self._accounts.values() if a.society_id == society_id and not a.deleted),
            key=lambda a: (a.number, a.account_id),
        )

    def _list_accounts(self, request: Request, token: _Token, society_id: int | None) -> Response:
        mode = request.query.get("mode", "1")
        begin_by = request.query.get("begin_by")
        account_id = request.query.get("account_id")
        with self._lock:
            rows = self._accounts_of(society_id)
        if account_id:
            rows = [a for a in rows if str(a.account_id) == account_id]
        if begin_by:
            rows = [a for a in rows if a.number.startswith(begin_by)]
        if mode == "2":
            array = [
                {
                    "row_number": index,
                    "account_id": a.account_id,
                    "society_id": a.society_id,
                    "account_number": a.number,
                    "label": a.label,
                    "solde": 0,
                    "sens": "",
                    "comment": "",
                    "intraco": False,
                    "btp_autoliquidation": False,
                    "presta": False,
                    "exoneration": False,
                    "das_2": False,
                    "closed": False,
                    "blocked": False,
                    "vat_param": None,
                    "counterpart_account": None,
                    "array_counterpart_account": None,
                    "complementary_informations": None,
                }
                for index, a in enumerate(rows, start=1)
            ]
            return Response(body={"rows_number": len(array), "pages_number": 1, "account_array": array})
        # mode 1: the simplified view; "q" matches the label or the start of the number; limit 5 by default
        q = request.query.get("q")
        if q:
            rows = [a for a in rows if a.number.startswith(q) or q.lower() in a.label.lower()]
        try:
            limit = int(request.query.get("limit", "5"))
        except ValueError:
            limit = 5
        return Response(
            body=[
                {"account_id": a.account_id, "account_number": a.number, "label": a.label}
                for a in rows[:limit]
            ]
        )

    def _list_accounts_v2(self, request: Request, token: _Token, society_id: int | None) -> Response:
        begin_by = request.query.get("begin_by")
        account_id = request.query.get("account_id")
        with self._lock:
            rows = self._accounts_of(society_id)
        if account_id:
            rows = [a for a in rows if str(a.account_id) == account_id]
        elif begin_by:
            rows = [a for a in rows if a.number.startswith(begin_by)]
        return Response(
            body=[
                {
                    "das_2": False,
                    "label": a.label,
                    "closed": False,
                    "id_tva": None,
                    "presta": False,
                    "comment": None,
                    "intraco": False,
                    "account_id": a.account_id,
                    "exoneration": False,
                    "param_vat_id": None,
                    "account_number": a.number,
                    "btp_autoliquidation": False,
                    "correspondance_label": None,
                    "id_compte_contrepart": None,
                    "correspondance_no_compte": None,
                }
                for a in rows
            ]
        )

    def _normalise_number(self, number: str) -> str:
        width = self.account_number_length
        if width and number.isdigit() and len(number) < width:
            return number.ljust(width, "0")
        return number

    def _find_or_create_account(self, request: Request, token: _Token, society_id: int | None) -> Response:
        body = _json_object(request)
        number = body.get("account_number")
        label = body.get("label")
        if not isinstance(number, str) or not number.strip():
            raise _RejectedError("COMPTE3")
        number = number.strip()
        if number[0] not in "123456789":
            raise _RejectedError("COMPTE6")
        if len(number) > 20:
            raise _RejectedError("COMPTE7")
        number = self._normalise_number(number)
        with self._lock:
            for account in self._accounts_of(society_id):
                if account.number == number:
                    break
            else:
                if not isinstance(label, str) or not label.strip():
                    raise _RejectedError("COMPTE4")
                if society_id is None:
                    raise _RejectedError("SOCIETE10")
                account = _Account(next(self._ids["account"]), society_id, number, label.strip())
                self._accounts[account.account_id] = account
            return Response(
                body={
                    "account_id": account.account_id,
                    "account_number": account.number,
                    "label": account.label,
                    "counterpart_account": None,
                }
            )

    def _create_entry(self, request: Request, token: _Token, society_id: int | None) -> Response:
        if society_id is None:
            raise _RejectedError("SOCIETE10")
        entry_type = request.query.get("type", "")
        if entry_type.lower() != "e":
            raise _RejectedError("ECR17", placeholders=[entry_type])
        try:
            raw = json.loads(request.body.decode("utf-8")) if request.body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _RejectedError("ECR4", fields=["(body): not JSON"]) from None
        try:
            entry = validate_new_entry(raw)
        except ValidationError as exc:
            lines = raw.get("entry_list") if isinstance(raw, dict) else None
            code = "ECR43" if isinstance(raw, dict) and (lines is None or lines == []) else "ECR4"
            raise _RejectedError(code, fields=_field_errors(exc)) from None
        with self._lock:
            return self._store_entry(request, society_id, entry, raw)

    def _check_entry(self, society_id: int, entry: NewEntry) -> dict[str, Any]:
        """Business rules with the catalogue's codes; returns the diary. Caller holds the lock."""
        if entry.etablissement_id != society_id:
            raise _RejectedError("ECR48")
        diary = self._diaries.get(int(entry.diary_id)) if entry.diary_id.is_integer() else None
        if diary is None or diary["society_id"] != society_id:
            raise _RejectedError("JOURNAL3")
        if diary["closed"]:
            raise _RejectedError("JOURNAL2")
        if diary["diary_type_code"] == "AN":
            raise _RejectedError("JOURNAL13")
        day = dt.date.fromisoformat(entry.date_piece)
        years = [
            e for e in self._exercices.values() if e.society_id == society_id and e.start <= day <= e.end
        ]
        if not years:
            raise _RejectedError("ECR10")
        if all(e.closed for e in years):
            raise _RejectedError("ECR9")
        for line in entry.entry_list:
            account = self._accounts.get(int(line.account_id)) if line.account_id.is_integer() else None
            if account is None or account.society_id != society_id or account.deleted:
                raise _RejectedError("COMPTE5")
            if line.debit < 0 or line.credit < 0:
                raise _RejectedError("ECR2")
            if line.debit != 0 and line.credit != 0:
                raise _RejectedError("ECR27")
        debit = sum((_amount(line.debit) for line in entry.entry_list), Decimal(0))
        credit = sum((_amount(line.credit) for line in entry.entry_list), Decimal(0))
        if debit != credit:
            raise _RejectedError("ECR1")
        partner_id = entry.entry_origin_partner_id
        if partner_id is not None and (society_id, partner_id) in self._origin_ids:
            raise _RejectedError(DUPLICATE_ORIGIN_CODE)
        return diary

    def _store_entry(self, request: Request, society_id: int, entry: NewEntry, raw: Any) -> Response:
        diary = self._check_entry(society_id, entry)
        attachments: list[dict[str, Any]] = []
        groups: list[tuple[str, list[PJ]]] = [("pj_list", entry.pj_list or [])]
        groups.extend(("line", line.pj_list or []) for line in entry.entry_list)
        for source, pjs in groups:
            for pj in pjs:
                content, valid = _decode_pj(pj.content)
                if len(content) > PJ_MAX_BYTES:
                    raise _RejectedError("DOCUMENT6")
                attachments.append(
                    {
                        "name": pj.name,
                        "type": pj.type,
                        "content": content,
                        "valid_base64": valid,
                        "source": source,
                    }
                )
        entry_id = next(self._ids["entry"])
        lines: list[dict[str, Any]] = [
            {
                "line_entry_id": next(self._ids["line"]),
                "account_id": int(line.account_id),
                "label": line.label,
                "debit": line.debit,
                "credit": line.credit,
                "deadline": line.deadline,
            }
            for line in entry.entry_list
        ]
        debit_total = float(sum((_amount(line.debit) for line in entry.entry_list), Decimal(0)))
        record: dict[str, Any] = {
            "entry_id": entry_id,
            "entry_origin_partner_id": entry.entry_origin_partner_id,
            "diary_id": diary["diary_id"],
            "date_piece": entry.date_piece,
            "period_from": entry.period_from,
            "period_to": entry.period_to,
            "etablissement_id": society_id,
            "json": entry.json_payload,
            "comment": entry.comment.content if entry.comment else None,
            "lines": lines,
            "debit_total": debit_total,
            "credit_total": debit_total,
            "attachments": attachments,
            "body": raw,
            "request_id": self._request_id(),
        }
        self._entries[entry_id] = _Entry(entry_id, society_id, record)
        if entry.entry_origin_partner_id is not None:
            self._origin_ids[(society_id, entry.entry_origin_partner_id)] = entry_id
        accounts = {int(line["account_id"]): self._accounts[int(line["account_id"])] for line in lines}
        return Response(
            body={
                "type": "E",
                "debit_total": debit_total,
                "credit_total": debit_total,
                "entry_array": [
                    {
                        "entry_id": entry_id,
                        "diary": {"id": diary["diary_id"], "code": diary["code"], "label": diary["name"]},
                        "date_piece": entry.date_piece,
                        "period_from": entry.period_from,
                        "period_to": entry.period_to,
                        "etablissement_id": society_id,
                        "pj_list": [{"name": a["name"]} for a in attachments],
                        "entry_list": [
                            {
                                "line_entry_id": line["line_entry_id"],
                                "label": line["label"],
                                "debit": line["debit"] or None,
                                "credit": line["credit"] or None,
                                "account": {
                                    "account_id": line["account_id"],
                                    "account_number": accounts[line["account_id"]].number,
                                    "label": accounts[line["account_id"]].label,
                                },
                            }
                            for line in lines
                        ],
                    }
                ],
            }
        )

    def _find_entry(self, request: Request, token: _Token, society_id: int | None) -> Response:
        partner_id = request.query.get("id_origin", "")
        with self._lock:
            entry_id = self._origin_ids.get((society_id or 0, partner_id))
            if entry_id is None:
                return Response(status=200, body=None)  # not found: 200, empty body
            record = self._entries[entry_id].record
            body: dict[str, Any] = {"id_entry": entry_id, "type": "ENTRIES"}
            if record["json"] is not None:
                body["json_metadata_partners"] = record["json"]
            return Response(body=body)

    def _add_document(self, request: Request, token: _Token, society_id: int | None) -> Response:
        location = request.query.get("location", "")
        filename = request.query.get("filename_extension", "")
        if location not in ("ENTRIES", "ENTRIES_TEMP"):
            raise _RejectedError("ECR4", fields=["location: ENTRIES or ENTRIES_TEMP"])
        try:
            object_id = int(request.query.get("object_id", ""))
        except ValueError:
            raise _RejectedError("ECR4", fields=["object_id: not an entry id"]) from None
        if not filename.strip():
            raise _RejectedError("DOCUMENT4")
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        if extension not in DOCUMENT_EXTENSIONS:
            raise _RejectedError("DOCUMENT9")
        if not request.body or len(request.body) > PJ_MAX_BYTES:
            raise _RejectedError("DOCUMENT6")
        with self._lock:
            entry = self._entries.get(object_id)
            if entry is None or entry.society_id != society_id:
                raise _RejectedError("ECR4", fields=["object_id: no such entry in this dossier"])
            document_id = next(self._ids["document"])
            entry.record["attachments"].append(
                {
                    "name": filename,
                    "type": request.header("content-type") or "application/octet-stream",
                    "content": bytes(request.body),
                    "valid_base64": True,
                    "source": "document",
                    "document_id": document_id,
                }
            )
        return Response(body={"document_id": document_id, "name": filename})


def _bearer(request: Request) -> str | None:
    auth = request.header("authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme != "Bearer" or not token.strip():
        return None
    return token.strip()


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body.decode("utf-8")) if request.body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = {}
    return body if isinstance(body, dict) else {}


def _copy_record(record: dict[str, Any]) -> dict[str, Any]:
    copied = dict(record)
    copied["lines"] = [dict(line) for line in record["lines"]]
    copied["attachments"] = [dict(a) for a in record["attachments"]]
    return copied


__all__ = [
    "CATALOGUE",
    "DUPLICATE_ORIGIN_CODE",
    "GATEWAY_CODES",
    "PJ_TYPES",
    "FakeMyUnisoft",
    "NewEntry",
    "NewEntryLine",
    "validate_new_entry",
]
