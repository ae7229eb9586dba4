"""paysync.config: each field reads its own variable; the ones a function cannot work without are
required, and a missing one is named at once (at the handler's import, i.e. the cold start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paysync.config import (
    EnvironmentVariableError,
    ReminderSettings,
    Settings,
    get_reminder_settings,
    get_settings,
)

REPO = Path(__file__).resolve().parents[2]

# What template.yaml's Globals set on every function (values of this test's own).
REQUIRED = {
    "SILAE_AUTH_URL": "https://auth.test/token",
    "SILAE_API_URL": "https://silae.test/payroll",
    "MYUNISOFT_API_URL": "https://myunisoft.test/api/v1",
    "CONFIG_TABLE": "t-config",
    "RUNS_TABLE": "t-runs",
    "LEDGER_TABLE": "t-ledger",
    "ACCOUNT_LINKS_TABLE": "t-links",
    "SOCIETY_FACTS_TABLE": "t-facts",
    "SYNC_QUEUE_URL": "https://sqs.test/1/sync.fifo",
    "SECRETS_PREFIX": "acme",
    "PARTNER_SECRET_NAME": "acme/myunisoft/partner",
}
REMINDERS = {"NOTIFICATIONS_TABLE": "t-notifications", "SENDER_EMAIL": "paie@acme.test"}


def test_every_field_reads_its_variable() -> None:
    settings = Settings.from_environment(
        {
            **REQUIRED,
            "SILAE_SCOPE": "https://scope.test/.default",
            "HTTP_TIMEOUT_SECONDS": "4",
            "HTTP_BACKOFF_SECONDS": "0.25",
            "SILAE_MAX_ATTEMPTS": "1",
            "MYUNISOFT_MAX_ATTEMPTS": "2",
            "MYUNISOFT_RATE_LIMIT": "7",
            "MYUNISOFT_RATE_WINDOW_SECONDS": "3.5",
            "SECRETS_CACHE_SECONDS": "0",
            "PAYSYNC_TIMEZONE": "Europe/Brussels",
            "SYNC_MAX_RECEIVE_COUNT": "3",
            "CLAIM_LEASE_SECONDS": "60",
            "NOTIFICATION_LEASE_SECONDS": "90",
            "SOCIETY_FACTS_MAX_AGE_DAYS": "2",
            "UNRELATED": "ignored",
        }
    )
    silae, myunisoft = settings.silae, settings.myunisoft
    assert (silae.auth_url, silae.api_url, silae.scope) == (
        "https://auth.test/token",
        "https://silae.test/payroll",
        "https://scope.test/.default",
    )
    assert (silae.timeout_seconds, silae.backoff_seconds, silae.max_attempts) == (4.0, 0.25, 1)
    assert myunisoft.api_url == "https://myunisoft.test/api/v1"
    # One timeout and one backoff for both vendors.
    assert (myunisoft.timeout_seconds, myunisoft.backoff_seconds, myunisoft.max_attempts) == (4.0, 0.25, 2)
    assert (myunisoft.rate_limit, myunisoft.rate_window_seconds) == (7, 3.5)
    assert (settings.config_table, settings.runs_table, settings.ledger_table) == (
        "t-config",
        "t-runs",
        "t-ledger",
    )
    assert (settings.account_links_table, settings.society_facts_table) == ("t-links", "t-facts")
    assert settings.sync_queue_url == "https://sqs.test/1/sync.fifo"
    assert (settings.secrets_prefix, settings.partner_secret_name) == ("acme", "acme/myunisoft/partner")
    assert (settings.secrets_cache_seconds, settings.timezone) == (0, "Europe/Brussels")
    assert (settings.max_receive_count, settings.claim_lease_seconds) == (3, 60)
    assert settings.notification_lease_seconds == 90
    assert settings.society_facts_max_age_days == 2


def test_tunables_keep_their_defaults() -> None:
    settings = Settings.from_environment(REQUIRED)
    assert settings.silae.scope.startswith("https://silaecloudb2c.onmicrosoft.com/")
    assert (settings.silae.timeout_seconds, settings.silae.max_attempts, settings.silae.backoff_seconds) == (
        20.0,
        3,
        0.5,
    )
    assert (settings.myunisoft.max_attempts, settings.myunisoft.rate_limit) == (4, 20)
    assert settings.myunisoft.rate_window_seconds == 10.0
    assert (settings.secrets_cache_seconds, settings.timezone, settings.max_receive_count) == (
        300,
        "Europe/Paris",
        5,
    )
    assert (settings.claim_lease_seconds, settings.notification_lease_seconds) == (900, 600)
    assert settings.society_facts_max_age_days == 7


@pytest.mark.parametrize("variable", sorted(REQUIRED))
def test_a_missing_variable_is_named(variable: str) -> None:
    environment = {k: v for k, v in REQUIRED.items() if k != variable}
    with pytest.raises(EnvironmentVariableError) as missing:
        Settings.from_environment(environment)
    assert str(missing.value) == f"missing environment variable {variable}"


def test_every_missing_variable_is_named() -> None:
    with pytest.raises(EnvironmentVariableError) as missing:
        Settings.from_environment({})
    message = str(missing.value)
    assert message.startswith("missing environment variables ")
    assert set(message.removeprefix("missing environment variables ").split(", ")) == set(REQUIRED)


def test_an_empty_variable_counts_as_unset() -> None:
    with pytest.raises(EnvironmentVariableError, match=r"^missing environment variable CONFIG_TABLE$"):
        Settings.from_environment({**REQUIRED, "CONFIG_TABLE": ""})
    settings = Settings.from_environment({**REQUIRED, "HTTP_TIMEOUT_SECONDS": "", "PAYSYNC_TIMEZONE": ""})
    assert settings.silae.timeout_seconds == settings.myunisoft.timeout_seconds == 20.0
    assert settings.timezone == "Europe/Paris"
    reminders = ReminderSettings.from_environment(
        {**REMINDERS, "REPLY_TO_EMAIL": "", "SES_CONFIGURATION_SET": ""}
    )
    assert reminders.reply_to_email is None and reminders.ses_configuration_set is None


def test_a_wrong_value_is_named_once() -> None:
    with pytest.raises(EnvironmentVariableError) as wrong:
        Settings.from_environment({**REQUIRED, "SILAE_MAX_ATTEMPTS": "0", "HTTP_TIMEOUT_SECONDS": "soon"})
    problems = str(wrong.value).split("; ")
    assert len(problems) == 2  # HTTP_TIMEOUT_SECONDS, read for both vendors, is named once
    named = sorted(p.split(":")[0] for p in problems)
    assert named == [
        "invalid environment variable HTTP_TIMEOUT_SECONDS",
        "invalid environment variable SILAE_MAX_ATTEMPTS",
    ]


def test_the_closed_payroll_states_are_a_list_of_integers() -> None:
    assert Settings.from_environment(REQUIRED).silae.closed_dossier_states == (2,)
    given = Settings.from_environment({**REQUIRED, "SILAE_CLOSED_DOSSIER_STATES": " 2, 3 ,"})
    assert given.silae.closed_dossier_states == (2, 3)
    with pytest.raises(EnvironmentVariableError) as wrong:
        Settings.from_environment({**REQUIRED, "SILAE_CLOSED_DOSSIER_STATES": "fermé"})
    assert str(wrong.value).startswith("invalid environment variable SILAE_CLOSED_DOSSIER_STATES:")


def test_the_reminders_variables_are_required_by_the_reminders_only() -> None:
    settings = Settings.from_environment(REQUIRED)  # no NOTIFICATIONS_TABLE, no SENDER_EMAIL: fine
    assert settings.config_table == "t-config"
    with pytest.raises(EnvironmentVariableError) as missing:
        ReminderSettings.from_environment(REQUIRED)
    assert str(missing.value) == "missing environment variables NOTIFICATIONS_TABLE, SENDER_EMAIL"
    reminders = ReminderSettings.from_environment(
        {**REMINDERS, "REPLY_TO_EMAIL": "support@acme.test", "SES_CONFIGURATION_SET": "paysync"}
    )
    assert (reminders.notifications_table, reminders.sender_email) == ("t-notifications", "paie@acme.test")
    assert (reminders.reply_to_email, reminders.ses_configuration_set) == ("support@acme.test", "paysync")


def test_the_process_environment_is_read_once_per_container(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**REQUIRED, **REMINDERS}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    get_reminder_settings.cache_clear()
    try:
        assert get_settings().config_table == "t-config"
        assert get_reminder_settings().sender_email == "paie@acme.test"
        monkeypatch.delenv("CONFIG_TABLE")
        monkeypatch.delenv("SENDER_EMAIL")
        assert get_settings() is get_settings() and get_settings().config_table == "t-config"
        assert get_reminder_settings().sender_email == "paie@acme.test"
        get_settings.cache_clear()
        get_reminder_settings.cache_clear()
        with pytest.raises(EnvironmentVariableError, match=r"^missing environment variable CONFIG_TABLE$"):
            get_settings()
        with pytest.raises(EnvironmentVariableError, match=r"^missing environment variable SENDER_EMAIL$"):
            get_reminder_settings()
    finally:
        get_settings.cache_clear()
        get_reminder_settings.cache_clear()


_IMPORT_EVERY_HANDLER = """
import importlib.util, json, sys
from pathlib import Path
outcomes = {}
for path in sorted(Path("functions").glob("*/app.py")):
    spec = importlib.util.spec_from_file_location(f"handler_{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        outcomes[path.parent.name] = "ok"
    except Exception as error:
        outcomes[path.parent.name] = f"{type(error).__name__}: {error}"
print(json.dumps(outcomes))
"""


def _import_every_handler(environment: dict[str, str]) -> dict[str, str]:
    """Import each handler module in a fresh interpreter (a cold start) with only these variables."""
    paysync_variables = set(REQUIRED) | set(REMINDERS)
    base = {k: v for k, v in os.environ.items() if k not in paysync_variables}
    path = os.pathsep.join([str(REPO / "layers" / "paysync"), str(REPO), base.get("PYTHONPATH", "")])
    answer = subprocess.run(  # noqa: S603 - this interpreter, our own modules
        [sys.executable, "-c", _IMPORT_EVERY_HANDLER],
        cwd=REPO,
        env={**base, **environment, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcomes: dict[str, str] = json.loads(answer.stdout.strip().splitlines()[-1])
    assert set(outcomes) == {p.parent.name for p in (REPO / "functions").glob("*/app.py")}
    return outcomes


def test_a_handler_fails_its_cold_start_naming_the_missing_variable() -> None:
    without_table = {k: v for k, v in REQUIRED.items() if k != "CONFIG_TABLE"}
    for function, outcome in _import_every_handler({**without_table, **REMINDERS}).items():
        assert outcome == "EnvironmentVariableError: missing environment variable CONFIG_TABLE", function
    outcomes = _import_every_handler(REQUIRED)
    assert outcomes.pop("key_expiry_reminders") == (
        "EnvironmentVariableError: missing environment variables NOTIFICATIONS_TABLE, SENDER_EMAIL"
    )
    assert set(outcomes.values()) == {"ok"}
    assert set(_import_every_handler({**REQUIRED, **REMINDERS}).values()) == {"ok"}
