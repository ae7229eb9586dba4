"""Runtime configuration, read once from the environment set by template.yaml.

Every base URL, table, queue and sender is an environment variable so that the same code runs
against AWS, the embedded local stack, or any other compatible server. Each field names its
variable. The tables, queues, secret names and URLs have no default: a function started without
one fails at once, naming the variable, instead of failing later against a made-up resource.
Tunables keep their defaults. An empty variable counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SILAE_DEFAULT_SCOPE = "https://silaecloudb2c.onmicrosoft.com/36658aca-9556-41b7-9e48-77e90b006f34/.default"


class EnvironmentVariableError(RuntimeError):
    """A variable the function needs is missing or wrong: a deployment fault, not a firm's."""


class FromEnvironment(BaseModel):
    """Fields read from the variables their ``validation_alias`` names (by field name in code)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Self:
        values = {name: value for name, value in environment.items() if value != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise EnvironmentVariableError(_describe(error)) from error


def _describe(error: ValidationError) -> str:
    """One line naming each variable at fault (a variable two models read is named once)."""
    missing = list(dict.fromkeys(str(e["loc"][-1]) for e in error.errors() if e["type"] == "missing"))
    invalid = dict.fromkeys(f"{e['loc'][-1]}: {e['msg']}" for e in error.errors() if e["type"] != "missing")
    problems = [f"invalid environment variable {problem}" for problem in invalid]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems.insert(0, f"missing environment variable{plural} {', '.join(missing)}")
    return "; ".join(problems)


class SilaeSettings(FromEnvironment):
    auth_url: str = Field(validation_alias="SILAE_AUTH_URL")
    api_url: str = Field(validation_alias="SILAE_API_URL")
    scope: str = Field(default=SILAE_DEFAULT_SCOPE, validation_alias="SILAE_SCOPE")
    timeout_seconds: float = Field(default=20.0, gt=0, validation_alias="HTTP_TIMEOUT_SECONDS")
    max_attempts: int = Field(default=3, ge=1, validation_alias="SILAE_MAX_ATTEMPTS")
    backoff_seconds: float = Field(default=0.5, ge=0, validation_alias="HTTP_BACKOFF_SECONDS")
    # The ``etatDossier`` values of ListeDossiers that mean a closed payroll dossier: Silae does not
    # document them (README, "Things the vendors do not document"). Comma-separated.
    closed_dossier_states: tuple[int, ...] = Field(
        default=(2,), validation_alias="SILAE_CLOSED_DOSSIER_STATES"
    )

    @field_validator("closed_dossier_states", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return tuple(int(part) for part in value.split(",") if part.strip())
        except ValueError:
            raise ValueError("integers separated by commas expected") from None


class MyUnisoftSettings(FromEnvironment):
    api_url: str = Field(validation_alias="MYUNISOFT_API_URL")
    timeout_seconds: float = Field(default=20.0, gt=0, validation_alias="HTTP_TIMEOUT_SECONDS")
    max_attempts: int = Field(default=4, ge=1, validation_alias="MYUNISOFT_MAX_ATTEMPTS")
    backoff_seconds: float = Field(default=0.5, ge=0, validation_alias="HTTP_BACKOFF_SECONDS")
    # Documented limit: 20 requests per 10 seconds per API token.
    rate_limit: int = Field(default=20, ge=1, validation_alias="MYUNISOFT_RATE_LIMIT")
    rate_window_seconds: float = Field(default=10.0, gt=0, validation_alias="MYUNISOFT_RATE_WINDOW_SECONDS")


class Settings(FromEnvironment):
    """What every function needs (template.yaml's Globals set these variables on all of them)."""

    silae: SilaeSettings
    myunisoft: MyUnisoftSettings
    config_table: str = Field(validation_alias="CONFIG_TABLE")
    runs_table: str = Field(validation_alias="RUNS_TABLE")
    ledger_table: str = Field(validation_alias="LEDGER_TABLE")
    account_links_table: str = Field(validation_alias="ACCOUNT_LINKS_TABLE")
    society_facts_table: str = Field(validation_alias="SOCIETY_FACTS_TABLE")
    sync_queue_url: str = Field(validation_alias="SYNC_QUEUE_URL")
    secrets_prefix: str = Field(validation_alias="SECRETS_PREFIX")
    partner_secret_name: str = Field(validation_alias="PARTNER_SECRET_NAME")
    secrets_cache_seconds: int = Field(default=300, ge=0, validation_alias="SECRETS_CACHE_SECONDS")
    timezone: str = Field(default="Europe/Paris", validation_alias="PAYSYNC_TIMEZONE")
    # SQS receives after which a transient failure is declared final on the run (matches the redrive policy).
    max_receive_count: int = Field(default=5, ge=1, validation_alias="SYNC_MAX_RECEIVE_COUNT")
    # How long a ledger claim protects an entry being posted before another run may take it over.
    claim_lease_seconds: int = Field(default=900, ge=1, validation_alias="CLAIM_LEASE_SECONDS")
    # How long an email claim stays with its owner; longer than the reminders function's timeout.
    notification_lease_seconds: int = Field(default=600, ge=1, validation_alias="NOTIFICATION_LEASE_SECONDS")
    # How long a society's journal, fiscal years and chart are reused without asking MyUnisoft
    # again (when nothing contradicts them); 0: never reused.
    society_facts_max_age_days: int = Field(default=7, ge=0, validation_alias="SOCIETY_FACTS_MAX_AGE_DAYS")

    @model_validator(mode="before")
    @classmethod
    def _vendors_read_the_same_environment(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {"silae": data, "myunisoft": data, **data}
        return data


class ReminderSettings(FromEnvironment):
    """The reminders function's own variables (template.yaml sets them on it alone): required there
    only, and read when the reminders first run."""

    notifications_table: str = Field(validation_alias="NOTIFICATIONS_TABLE")
    sender_email: str = Field(validation_alias="SENDER_EMAIL")
    reply_to_email: str | None = Field(default=None, validation_alias="REPLY_TO_EMAIL")
    ses_configuration_set: str | None = Field(default=None, validation_alias="SES_CONFIGURATION_SET")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment; raises :class:`EnvironmentVariableError` naming what is missing."""
    return Settings.from_environment(os.environ)


@lru_cache(maxsize=1)
def get_reminder_settings() -> ReminderSettings:
    return ReminderSettings.from_environment(os.environ)


__all__ = [
    "EnvironmentVariableError",
    "MyUnisoftSettings",
    "ReminderSettings",
    "Settings",
    "SilaeSettings",
    "get_reminder_settings",
    "get_settings",
]
