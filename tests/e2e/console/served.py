"""The console and the API served as `make serve` serves them (moto server, the fakes, the demo world,
``local.serve.LocalApi`` with the console at ``/`` and the sync worker draining the queue), after one
night has run so that the dossiers have statuses to show. One per test module, and for screenshots."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

CHROMIUM = "/usr/bin/chromium"
# Debian's chromium, headless; nothing is downloaded and nothing phones home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=fr-FR",
]
DUPONT, LEMOINE = "cabinet-dupont", "fiduciaire-lemoine"
# Menuiserie Girard's apprentices OD uses 438600, absent from its chart; this account bears the same
# label, so the account list suggests it.
GIRARD_SOCIETY, SUGGESTED = 204, ("438700", "Organismes sociaux - charges à payer")


@dataclass
class Served:
    url: str  # the console, e.g. http://127.0.0.1:41234/
    keys: dict[str, str]  # firm id -> its API key
    admin_key: str
    stack: Any
    world: Any
    services: Any  # paysync's services on the stack, for what no route starts (a nightly watch)


def issue_key(firm_id: str | None) -> str:
    """A firm's API key (an operator's with None), in the stack's ConfigTable."""
    from paysync.entrypoints import services
    from paysync.storage.apikeys import ApiKeyRepository
    from paysync.usecases.api_keys import issue

    svc = services()
    _, key = issue(
        ApiKeyRepository(svc.settings.config_table),
        svc.config,
        scope="firm" if firm_id else "admin",
        firm_id=firm_id,
        label="console tests",
        now=svc.clock(),
    )
    return key.plaintext


@contextmanager
def own_environment() -> Iterator[None]:
    """For a stack started in the block: the process environment is given back as it was (the stack
    exports the functions' variables, and would otherwise take vendor URLs left by another)."""
    saved = dict(os.environ)
    for leftover in ("SILAE_AUTH_URL", "SILAE_API_URL", "MYUNISOFT_API_URL"):
        os.environ.pop(leftover, None)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # as local.demo sets it when first imported
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def served_console(port: int = 0) -> Iterator[Served]:
    """The stack, as long as the block lasts, in its own environment."""
    with own_environment(), _served(port) as served:
        yield served


@contextmanager
def _served(port: int) -> Iterator[Served]:
    from local.demo import local_stack, run_night
    from local.demo_data import seed
    from local.serve import LocalApi, worker_loop
    from paysync.entrypoints import services, today_in

    with local_stack() as stack:
        svc = services()
        world = seed(stack.silae, stack.myunisoft, svc.config, svc.secrets, today_in(svc.settings.timezone))
        stack.myunisoft.add_account(GIRARD_SOCIETY, *SUGGESTED)
        run_night(stack.env["SYNC_QUEUE_URL"])
        keys = {firm: issue_key(firm) for firm in (DUPONT, LEMOINE)}
        api = LocalApi(port=port)
        api.start()
        stop = threading.Event()
        worker = threading.Thread(
            target=worker_loop, args=(stack.env["SYNC_QUEUE_URL"], stop, 0.3), name="sync-worker", daemon=True
        )
        worker.start()
        try:
            yield Served(
                url=f"http://{api.host}:{api.port}/",
                keys=keys,
                admin_key=issue_key(None),
                stack=stack,
                world=world,
                services=svc,
            )
        finally:
            stop.set()
            worker.join(timeout=10)
            api.stop()


@dataclass
class Console:
    """One tab on the console, with what it did: errors thrown, CSP refusals, URLs requested."""

    page: Any  # playwright.sync_api.Page
    served: Served
    problems: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        self.page.goto(self.served.url + route)

    def sign_in(self, firm: str, key: str | None = None) -> None:
        self.open()
        self.page.get_by_label("Identifiant du cabinet").fill(firm)
        self.page.get_by_label("Clé d'API").fill(key or self.served.keys[firm])
        self.page.get_by_role("button", name="Se connecter").click()

    def dashboard_loaded(self) -> None:
        """Every dossier line has its status (the statuses are asked for one by one)."""
        self.page.locator("tr[data-dossier]").first.wait_for()
        self.page.wait_for_function("() => !document.querySelector('tr[data-dossier]:not([data-status])')")

    def go(self, route: str) -> None:
        """Navigate inside the signed-in console (the session stays in the tab)."""
        self.page.evaluate("route => { location.hash = route; }", route)

    def signed_in_at(self, firm: str, route: str = "#/") -> None:
        """Sign in through the key prompt, wait for the dashboard, then go to ``route``."""
        self.sign_in(firm)
        self.dashboard_loaded()
        if route != "#/":
            self.go(route)

    def visit(self, route: str, ready: str | None) -> None:
        """Go to ``route`` and wait for the text ``ready`` (None: the dashboard's statuses)."""
        self.go(route)
        if ready is None:
            self.dashboard_loaded()
        else:
            self.page.get_by_text(ready, exact=True).first.wait_for()

    def storage(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(
            "() => ({session: {...sessionStorage}, local: {...localStorage}, cookies: document.cookie})"
        )
        return result
