"""Everything a use case talks to, built once per container from the settings.

Handlers use ``Services.from_settings``. The vendor clients, and the HTTP pool they share, are built
by the first call that needs one: the functions that never call Silae or MyUnisoft (settings,
planning, reminders) do not import httpx nor load its CA bundle. Each repository is built, its
module imported, when a use case first reads it: an API request loads the storage it uses only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from paysync.config import Settings
from paysync.domain.models import utcnow

if TYPE_CHECKING:
    import httpx

    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
    from paysync.silae.client import SilaeClient, SilaeCredentials
    from paysync.storage.account_links import AccountLinks
    from paysync.storage.config_table import ConfigRepository
    from paysync.storage.ledger import Ledger
    from paysync.storage.period_attempts import PeriodAttempts
    from paysync.storage.queue import RunQueue
    from paysync.storage.runs import RunRepository
    from paysync.storage.secrets import SecretStore
    from paysync.storage.society_facts import SocietyFactsRepository

T = TypeVar("T")


@dataclass
class Services:
    """Everything a use case talks to, one per container: each repository built at its first use."""

    settings: Settings
    silae: Callable[[SilaeCredentials], SilaeClient]
    myunisoft: Callable[[MyUnisoftAccess], MyUnisoftClient]
    clock: Callable[[], datetime] = field(default=utcnow)
    pool: SharedPool | None = None  # the container's connection pool, shared by the API clients
    _built: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def _once(self, name: str, build: Callable[[], T]) -> T:
        """The repository ``name``, built at its first use (once: threads share the container's)."""
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = build()
        built: T = self._built[name]
        return built

    @property
    def config(self) -> ConfigRepository:
        from paysync.storage.config_table import ConfigRepository

        return self._once("config", lambda: ConfigRepository(self.settings.config_table))

    @property
    def runs(self) -> RunRepository:
        from paysync.storage.runs import RunRepository

        return self._once("runs", lambda: RunRepository(self.settings.runs_table))

    @property
    def ledger(self) -> Ledger:
        from paysync.storage.ledger import Ledger

        return self._once("ledger", lambda: Ledger(self.settings.ledger_table))

    @property
    def links(self) -> AccountLinks:
        from paysync.storage.account_links import AccountLinks

        return self._once("links", lambda: AccountLinks(self.settings.account_links_table))

    @property
    def secrets(self) -> SecretStore:
        from paysync.storage.secrets import SecretStore

        settings = self.settings
        return self._once(
            "secrets",
            lambda: SecretStore(
                settings.secrets_prefix, settings.partner_secret_name, settings.secrets_cache_seconds
            ),
        )

    @property
    def queue(self) -> RunQueue:
        from paysync.storage.queue import RunQueue

        return self._once("queue", lambda: RunQueue(self.settings.sync_queue_url))

    # Kept between runs: each society's journal, fiscal years and chart; the periods attempted.
    # Without them a run asks MyUnisoft for all three and checks every entry by lookup.
    @property
    def society_facts(self) -> SocietyFactsRepository | None:
        from paysync.storage.society_facts import SocietyFactsRepository

        return self._once("society_facts", lambda: SocietyFactsRepository(self.settings.society_facts_table))

    @property
    def attempts(self) -> PeriodAttempts | None:
        from paysync.storage.period_attempts import PeriodAttempts

        return self._once("attempts", lambda: PeriodAttempts(self.settings.runs_table))

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

        return cls(settings=settings, silae=silae, myunisoft=myunisoft, pool=pool)


class SharedPool:
    """One HTTP connection pool per container, shared by every Silae and MyUnisoft client, built
    when the first of them is.

    A fresh pool pays a TLS handshake per run, with each vendor: one pool per container spares them. Each request passes its own timeout
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
