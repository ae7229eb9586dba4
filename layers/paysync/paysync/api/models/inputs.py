"""What the API accepts. The routes convert these to the use cases' own inputs.

Requests are strict about shape (unknown fields refused, bounded lengths, JSON types not
coerced) so that bad input is a clear 4xx, never a 500. Secrets are ``SecretStr``: they are
masked in any repr or log, written to Secrets Manager only.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from paysync.api.models.common import (
    DOSSIER_NUMBER_PATTERN,
    EMAIL_PATTERN,
    ID_PATTERN,
    PERIOD_PATTERN,
    PRINTABLE_PATTERN,
    VISIBLE_ASCII_MESSAGE,
    VISIBLE_ASCII_PATTERN,
    InputModel,
)

# -- value types ----------------------------------------------------------------------------------
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]  # 1 to 64 characters
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=PRINTABLE_PATTERN)
]
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PRINTABLE_PATTERN)]
Email = Annotated[str, StringConstraints(min_length=6, max_length=254, pattern=EMAIL_PATTERN)]
Emails = Annotated[list[Email], Field(max_length=20)]
PeriodText = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]  # exactly AAAA-MM
DossierNumber = Annotated[str, StringConstraints(strip_whitespace=True, pattern=DOSSIER_NUMBER_PATTERN)]
SocietyId = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
RunDay = Annotated[StrictInt, Field(ge=1, le=31)]
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


Secret = Annotated[SecretStr, BeforeValidator(_secret(512)), WithJsonSchema(_secret_schema(512))]
Token = Annotated[SecretStr, BeforeValidator(_secret(4096)), WithJsonSchema(_secret_schema(4096))]


# -- request bodies -------------------------------------------------------------------------------
class PayrollCredentialsIn(InputModel):
    """Silae API credentials, as shown on the payroll API portal ("Mes comptes API")."""

    client_id: ClientId
    client_secret: Secret
    subscription_key: Secret = Field(description="The clé de configuration (primary key).")
    secret_generated_on: date = Field(description="When the Client secret was generated (valid one year).")


class FirmIn(InputModel):
    """Create or update a firm. Left out (or null): unchanged. ``name`` is required on creation."""

    name: Name | None = None
    contact_emails: Emails | None = None
    payroll: PayrollCredentialsIn | None = Field(default=None, description="Firm-level payroll credentials.")
    myunisoft_cabinet_token: Token | None = Field(default=None, description="The firm's MyUnisoft token.")


class DossierIn(InputModel):
    """Create or update a dossier. Left out (or null): unchanged (defaults on creation).

    ``firm_id`` and ``name`` are required on creation. ``pending_period`` defaults to the last
    closed month (Europe/Paris).
    """

    firm_id: Identifier | None = None
    name: Name | None = None
    society_id: SocietyId | None = Field(default=None, description="The MyUnisoft society id.")
    payroll_dossier_number: DossierNumber | None = Field(default=None, description="The Silae code dossier.")
    auto_pull: StrictBool | None = Field(default=None, description='Automatic retrieval ("Compta").')
    run_day: RunDay | None = Field(default=None, description="Day of the month of the automatic retrieval.")
    auto_create_accounts: StrictBool | None = None
    contact_emails: Emails | None = None
    pending_period: PeriodText | None = Field(default=None, description="The oldest month not yet synced.")
    myunisoft_societe_token: Token | None = Field(
        default=None, description="The dossier's own MyUnisoft token."
    )
    payroll: PayrollCredentialsIn | None = Field(
        default=None, description="Dossier-level payroll credentials."
    )


class SyncIn(InputModel):
    period: PeriodText | None = Field(default=None, description="Default: the last closed month.")
    dry_run: StrictBool = Field(
        default=False, description="Answer the entries that would be posted, post nothing, record no run."
    )


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
    account_id: int = Field(
        ge=1, le=2**53, description="The MyUnisoft account to tie this payroll number to."
    )
