"""Everything a use case talks to, built once per container from the settings.

Tests build it with other factories (fakes, clocks); handlers use ``Services.from_settings``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from paysync.config import Settings
from paysync.domain.models import utcnow
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.silae.client import SilaeClient, SilaeCredentials
from paysync.storage.account_links import AccountLinks
from paysync.storage.config_table import ConfigRepository
from paysync.storage.ledger import Ledger
from paysync.storage.queue import RunQueue
from paysync.storage.runs import RunRepository
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
    http: httpx.Client | None = None  # the container's connection pool, shared by the API clients

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        http = http_pool()
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
            silae=lambda credentials: SilaeClient(credentials, settings.silae, http=http),
            myunisoft=lambda access: MyUnisoftClient(access, settings.myunisoft, http=http),
            http=http,
        )


def http_pool() -> httpx.Client:
    """One HTTP connection pool per container, shared by every Silae and MyUnisoft client.

    Building an ``httpx.Client`` loads the CA bundle (about 20 ms of CPU) and a fresh pool pays a
    TLS handshake per run: one pool per container spares both. Each request passes its own timeout
    and headers; cookies are refused, since one pool serves every firm.
    """
    return httpx.Client(cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))
