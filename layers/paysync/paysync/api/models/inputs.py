"""What the API accepts (the sync area's body is with its answers, in ``sync.py``). The routes
convert these to the use cases' own inputs.

Requests are strict about shape (unknown fields refused, bounded lengths, JSON types not
coerced: an integer is a JSON integer, a date a ``YYYY-MM-DD`` string) so that bad input is a clear
4xx, never a 500. Secrets are ``SecretStr``: they are masked in any repr or log, written to
Secrets Manager only. A create-or-update body is documented as either a creation (with the fields
a creation requires) or an update (nothing required): generated clients know both shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    SecretStr,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from paysync.api.models.common import (
    DATE_PATTERN,
    DOSSIER_NUMBER_PATTERN,
    EMAIL_PATTERN,
    ID_PATTERN,
    PRINTABLE_PATTERN,
    VISIBLE_ASCII_MESSAGE,
    VISIBLE_ASCII_PATTERN,
    InputModel,
    PeriodText,
)

# -- value types ----------------------------------------------------------------------------------
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]  # 1 to 64 characters
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PRINTABLE_PATTERN)]
Email = Annotated[str, StringConstraints(min_length=6, max_length=254, pattern=EMAIL_PATTERN)]
Emails = Annotated[list[Email], Field(max_length=20)]
DossierNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=DOSSIER_NUMBER_PATTERN)]
SocietyId = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
RunDay = Annotated[StrictInt, Field(ge=1, le=31)]
AccountId = Annotated[StrictInt, Field(ge=1, le=2**53)]
ClientId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=VISIBLE_ASCII_PATTERN)
]


def _secret(max_length: int) -> Callable[[Any], Any]:
    """Credentials travel in HTTP headers: visible ASCII only. Checked before becoming a SecretStr
    (which takes no pattern); surrounding blanks of a paste are dropped. Messages never quote the value."""

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # SecretStr refuses it: "doit être une chaîne de caractères"
        value = value.strip()
        if not value:
            raise ValueError("ne peut pas être vide")
        if len(value) > max_length:
            raise ValueError(f"au plus {max_length} caractères")
        if not re.fullmatch(VISIBLE_ASCII_PATTERN, value):
            raise ValueError(VISIBLE_ASCII_MESSAGE)
        return value

    return check


def _secret_schema(max_length: int) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "password",
        "writeOnly": True,
        "minLength": 1,
        "maxLength": max_length,
        "pattern": VISIBLE_ASCII_PATTERN,
    }


EARLIEST_SECRET_DATE = date(2016, 1, 1)  # Silae's API secrets are younger; an older date is a typo


def _secret_date(value: Any) -> Any:
    """A ``YYYY-MM-DD`` string only: neither a number (days since 1970) nor a date-time."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("doit être une date au format AAAA-MM-JJ")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("date invalide : ce jour n'existe pas") from None
    if day < EARLIEST_SECRET_DATE:
        raise ValueError(f"date invalide : au plus tôt le {EARLIEST_SECRET_DATE:%d/%m/%Y}")
    return day


SecretDate = Annotated[
    date,
    BeforeValidator(_secret_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]

Secret = Annotated[SecretStr, BeforeValidator(_secret(512)), WithJsonSchema(_secret_schema(512))]
Token = Annotated[SecretStr, BeforeValidator(_secret(4096)), WithJsonSchema(_secret_schema(4096))]


# -- request bodies -------------------------------------------------------------------------------
class PayrollCredentialsIn(InputModel):
    """Silae API credentials, as shown on the payroll API portal ("Mes comptes API")."""

    client_id: ClientId
    client_secret: Secret
    subscription_key: Secret = Field(description="The clé de configuration (primary key).")
    secret_generated_on: SecretDate = Field(
        description="When the Client secret was generated (valid one year): `YYYY-MM-DD`, from "
        f"{EARLIEST_SECRET_DATE.isoformat()} to today (Europe/Paris)."
    )


class _CreateOrUpdate:
    """Documents a create-or-update body as ``anyOf: [creation, update]``: the creation model
    requires what a creation needs, the update requires nothing. Requests are validated as updates;
    the use case refuses a creation without its required fields (422)."""

    def __init__(self, creation: type[BaseModel]) -> None:
        self.creation = creation

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(self.creation.__pydantic_core_schema__), handler(schema)]}


class FirmUpdate(InputModel):
    """Update a firm: what is left out (or null) keeps its value."""

    name: Name | None = None
    contact_emails: Emails | None = None
    payroll: PayrollCredentialsIn | None = Field(default=None, description="Firm-level payroll credentials.")
    myunisoft_cabinet_token: Token | None = Field(default=None, description="The firm's MyUnisoft token.")


class FirmCreation(FirmUpdate):
    """Create a firm (operators): ``name`` is required."""

    name: Name


class DossierUpdate(InputModel):
    """Update a dossier: what is left out (or null) keeps its value."""

    firm_id: Identifier | None = Field(
        default=None,
        description="The dossier's firm: required to create one with an operator credential (a firm "
        "credential creates in its own firm); it cannot change.",
    )
    name: Name | None = None
    society_id: SocietyId | None = Field(default=None, description="The MyUnisoft society id.")
    payroll_dossier_number: DossierNumber | None = Field(default=None, description="The Silae code dossier.")
    auto_pull: StrictBool | None = Field(default=None, description='Automatic retrieval ("Compta").')
    run_day: RunDay | None = Field(default=None, description="Day of the month of the automatic retrieval.")
    auto_create_accounts: StrictBool | None = None
    watch_days: Annotated[StrictInt, Field(ge=0, le=366)] | None = Field(
        default=None,
        description="Days a synced period stays watched against Silae and MyUnisoft (default 62).",
    )
    watch_interval_days: Annotated[StrictInt, Field(ge=1, le=62)] | None = Field(
        default=None, description="Days between two watches of a period (default 7)."
    )
    auto_replace_corrections: StrictBool | None = Field(
        default=None,
        description="A watch replaces by itself an OD modified in Silae after posting (default false).",
    )
    contact_emails: Emails | None = None
    pending_period: PeriodText | None = Field(
        default=None, description="The oldest month not yet synced (not in the future)."
    )
    myunisoft_societe_token: Token | None = Field(
        default=None, description="The dossier's own MyUnisoft token."
    )
    payroll: PayrollCredentialsIn | None = Field(
        default=None, description="Dossier-level payroll credentials."
    )


class DossierCreation(DossierUpdate):
    """Create a dossier: ``name`` is required (and ``firm_id`` with an operator credential);
    ``pending_period`` defaults to the last closed month (Europe/Paris)."""

    name: Name


FirmIn = Annotated[FirmUpdate, _CreateOrUpdate(FirmCreation)]
DossierIn = Annotated[DossierUpdate, _CreateOrUpdate(DossierCreation)]


class FirmCredentialsIn(InputModel):
    """Firm credentials to use instead of the saved ones (never stored); what is left out is taken
    from the saved firm."""

    payroll: PayrollCredentialsIn | None = None
    myunisoft_cabinet_token: Token | None = None


class CandidateTestIn(FirmCredentialsIn):
    """Credentials to try before saving them; what is left out is taken from the saved firm."""

    payroll_dossier_number: DossierNumber | None = Field(
        default=None, description="A Silae dossier whose access to check."
    )
    society_id: SocietyId | None = Field(
        default=None, description="A MyUnisoft society whose journals to check."
    )


class ApiKeyIn(InputModel):
    scope: Literal["admin", "firm"]
    firm_id: Identifier | None = Field(default=None, description="Required for a firm credential.")
    label: Label = ""


class AccountLinkIn(InputModel):
    account_id: AccountId = Field(description="The MyUnisoft account to tie this payroll number to.")
