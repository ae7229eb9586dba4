"""Everything a use case talks to, built once per container from the settings.

Tests build it with other factories (fakes, clocks); handlers use ``Services.from_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from paysync.config import Settings
from paysync.domain.models import utcnow
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.silae.client import SilaeClient, SilaeCredentials
from paysync.storage.account_links import AccountLinks
from paysync.storage.queue import RunQueue
from paysync.storage.repositories import ConfigRepository, Ledger, RunRepository
from paysync.storage.secrets import SecretStore


@dataclass
class Services:
    settings: Settings
    config: ConfigRepository
    runs: RunRepository
    ledger: Ledger
    links: AccountLinks
    secrets: SecretStore
    queue: RunQueue
    silae: Callable[[SilaeCredentials], SilaeClient]
    myunisoft: Callable[[MyUnisoftAccess], MyUnisoftClient]
    clock: Callable[[], datetime] = field(default=utcnow)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        return cls(
            settings=settings,
            config=ConfigRepository(settings.config_table),
            runs=RunRepository(settings.runs_table),
            ledger=Ledger(settings.ledger_table),
            links=AccountLinks(settings.account_links_table),
            secrets=SecretStore(
                settings.secrets_prefix, settings.partner_secret_name, settings.secrets_cache_seconds
            ),
            queue=RunQueue(settings.sync_queue_url),
            silae=lambda credentials: SilaeClient(credentials, settings.silae),
            myunisoft=lambda access: MyUnisoftClient(access, settings.myunisoft),
        )
