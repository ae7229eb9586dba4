"""Everything a use case talks to, built once per container from the settings.

Tests build it with other factories (fakes, clocks); handlers use ``Services.from_settings``.
The vendor clients, and the HTTP pool they share, are built by the first call that needs one: the
functions that never call Silae or MyUnisoft (settings, planning, reminders) do not import httpx
nor load its CA bundle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from paysync.config import Settings
from paysync.domain.models import utcnow
from paysync.storage.account_links import AccountLinks
from paysync.storage.config_table import ConfigRepository
from paysync.storage.ledger import Ledger
from paysync.storage.period_attempts import PeriodAttempts
from paysync.storage.queue import RunQueue
from paysync.storage.runs import RunRepository
from paysync.storage.secrets import SecretStore
from paysync.storage.society_facts import SocietyFactsRepository

if TYPE_CHECKING:
    import httpx

    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
    from paysync.silae.client import SilaeClient, SilaeCredentials


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
    pool: SharedPool | None = None  # the container's connection pool, shared by the API clients
    # Kept between runs: each society's journal, fiscal years and chart; the periods attempted.
    # Without them a run asks MyUnisoft for all three and checks every entry by lookup.
    society_facts: SocietyFactsRepository | None = None
    attempts: PeriodAttempts | None = None

    @property
    def http(self) -> httpx.Client | None:
        return self.pool.client() if self.pool is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        pool = SharedPool()

        def silae(credentials: SilaeCredentials) -> SilaeClient:
            from paysync.silae.client import SilaeClient

            return SilaeClient(credentials, settings.silae, http=pool.client())

        def myunisoft(access: MyUnisoftAccess) -> MyUnisoftClient:
            from paysync.myunisoft.client import MyUnisoftClient

            return MyUnisoftClient(access, settings.myunisoft, http=pool.client())

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
            silae=silae,
            myunisoft=myunisoft,
            pool=pool,
            society_facts=SocietyFactsRepository(settings.society_facts_table),
            attempts=PeriodAttempts(settings.runs_table),
        )


class SharedPool:
    """One HTTP connection pool per container, shared by every Silae and MyUnisoft client, built
    when the first of them is.

    Building an ``httpx.Client`` loads the CA bundle (about 20 ms of CPU) and a fresh pool pays a
    TLS handshake per run: one pool per container spares both. Each request passes its own timeout
    and headers; cookies are refused, since one pool serves every firm.
    """

    def __init__(self) -> None:
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def client(self) -> httpx.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from http.cookiejar import CookieJar, DefaultCookiePolicy  # httpx's own import

                    from paysync.vendor_http.client import new_http_client

                    refuse = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
                    self._client = new_http_client(cookies=refuse)
        return self._client
