"""Runtime configuration, read once from the environment set by template.yaml.

Every base URL, table, queue and sender is an environment variable so that the same code runs
against AWS, the embedded local stack, or any other compatible server.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, HttpUrl

SILAE_DEFAULT_SCOPE = "https://silaecloudb2c.onmicrosoft.com/36658aca-9556-41b7-9e48-77e90b006f34/.default"


class SilaeSettings(BaseModel):
    auth_url: str = "https://payroll-api-auth.silae.fr/oauth2/v2.0/token"
    api_url: str = "https://payroll-api.silae.fr/payroll"
    scope: str = SILAE_DEFAULT_SCOPE
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    backoff_seconds: float = Field(default=0.5, ge=0)


class MyUnisoftSettings(BaseModel):
    api_url: str = "https://api.myunisoft.fr/api/v1"
    timeout_seconds: float = Field(default=20.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    backoff_seconds: float = Field(default=0.5, ge=0)
    # Documented limit: 20 requests per 10 seconds per API token.
    rate_limit: int = Field(default=20, ge=1)
    rate_window_seconds: float = Field(default=10.0, gt=0)


class Settings(BaseModel):
    silae: SilaeSettings = SilaeSettings()
    myunisoft: MyUnisoftSettings = MyUnisoftSettings()
    config_table: str = "paysync-config"
    runs_table: str = "paysync-runs"
    ledger_table: str = "paysync-ledger"
    account_links_table: str = "paysync-account-links"
    sync_queue_url: str = ""
    secrets_prefix: str = "paysync"
    partner_secret_name: str = "paysync/myunisoft/partner"  # noqa: S105 - a name, not a secret
    secrets_cache_seconds: int = Field(default=300, ge=0)
    timezone: str = "Europe/Paris"
    # SQS receives after which a transient failure is declared final on the run (matches the redrive policy).
    max_receive_count: int = Field(default=5, ge=1)
    # How long a ledger claim protects an entry being posted before another run may take it over.
    claim_lease_seconds: int = Field(default=900, ge=1)
    # Key-expiry reminders and failure alerts (SES v2).
    notifications_table: str = "paysync-notifications"
    sender_email: str = "paysync@example.com"
    reply_to_email: str | None = None
    ses_configuration_set: str | None = None
    # How long an email claim stays with its owner; longer than the reminders function's timeout.
    notification_lease_seconds: int = Field(default=600, ge=1)


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings from the environment; unset variables keep the production defaults."""
    silae: dict[str, object] = {}
    for key, env in (
        ("auth_url", "SILAE_AUTH_URL"),
        ("api_url", "SILAE_API_URL"),
        ("scope", "SILAE_SCOPE"),
        ("timeout_seconds", "HTTP_TIMEOUT_SECONDS"),
        ("max_attempts", "SILAE_MAX_ATTEMPTS"),
        ("backoff_seconds", "HTTP_BACKOFF_SECONDS"),
    ):
        if (value := _env(env)) is not None:
            silae[key] = value
    myunisoft: dict[str, object] = {}
    for key, env in (
        ("api_url", "MYUNISOFT_API_URL"),
        ("timeout_seconds", "HTTP_TIMEOUT_SECONDS"),
        ("max_attempts", "MYUNISOFT_MAX_ATTEMPTS"),
        ("backoff_seconds", "HTTP_BACKOFF_SECONDS"),
        ("rate_limit", "MYUNISOFT_RATE_LIMIT"),
        ("rate_window_seconds", "MYUNISOFT_RATE_WINDOW_SECONDS"),
    ):
        if (value := _env(env)) is not None:
            myunisoft[key] = value
    top: dict[str, object] = {}
    for key, env in (
        ("config_table", "CONFIG_TABLE"),
        ("runs_table", "RUNS_TABLE"),
        ("ledger_table", "LEDGER_TABLE"),
        ("account_links_table", "ACCOUNT_LINKS_TABLE"),
        ("sync_queue_url", "SYNC_QUEUE_URL"),
        ("secrets_prefix", "SECRETS_PREFIX"),
        ("partner_secret_name", "PARTNER_SECRET_NAME"),
        ("secrets_cache_seconds", "SECRETS_CACHE_SECONDS"),
        ("timezone", "PAYSYNC_TIMEZONE"),
        ("max_receive_count", "SYNC_MAX_RECEIVE_COUNT"),
        ("claim_lease_seconds", "CLAIM_LEASE_SECONDS"),
        ("notifications_table", "NOTIFICATIONS_TABLE"),
        ("sender_email", "SENDER_EMAIL"),
        ("reply_to_email", "REPLY_TO_EMAIL"),
        ("ses_configuration_set", "SES_CONFIGURATION_SET"),
        ("notification_lease_seconds", "NOTIFICATION_LEASE_SECONDS"),
    ):
        if (value := _env(env)) is not None:
            top[key] = value
    return Settings.model_validate(
        {
            **top,
            "silae": SilaeSettings.model_validate(silae),
            "myunisoft": MyUnisoftSettings.model_validate(myunisoft),
        }
    )


__all__ = ["HttpUrl", "MyUnisoftSettings", "Settings", "SilaeSettings", "get_settings"]
