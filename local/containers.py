"""Lambda containers for :mod:`local.executor`: each one its own copy of the handler module and its
own :class:`paysync.usecases.services.Services`, as separate Lambda containers have."""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.lambda_runtime import Handler

__all__ = [
    "SYNC_WORKER",
    "Container",
    "container_services",
    "load_handler",
    "running_in",
    "services_per_container",
]

REPO = Path(__file__).resolve().parents[1]
SYNC_WORKER = REPO / "functions" / "sync_worker" / "app.py"


@dataclass
class Container:
    """One emulated Lambda container: its handler and its own Services (None: the process's)."""

    number: int
    handler: Handler
    services: Any = None
    invocations: int = 0


def load_handler(path: Path, number: int) -> Handler:
    """``handler`` of a fresh copy of the module at ``path``: module-level state is per container."""
    spec = importlib.util.spec_from_file_location(f"_paysync_container_{number}_{path.parent.name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler: Handler = module.handler
    return handler


def container_services(clock: Any = None) -> Any:
    """A Services of its own, as a fresh container builds one (no cache shared with others).

    ``clock``: an object with ``time()`` and ``sleep()`` (``local.virtual_time.VirtualClock``) that
    the vendor clients and the pacers wait and read the time with; None: the real ones."""
    from paysync.config import get_settings
    from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
    from paysync.myunisoft.ratelimit import RatePacer
    from paysync.silae.client import SilaeClient, SilaeCredentials, TokenCache
    from paysync.usecases.services import Services

    settings = get_settings()
    services = Services.from_settings(settings)
    tokens = TokenCache()
    pacers: dict[str, RatePacer] = {}
    lock = threading.Lock()
    timing: dict[str, Any] = {} if clock is None else {"clock": clock.time, "sleep": clock.sleep}

    def silae(credentials: SilaeCredentials) -> SilaeClient:
        return SilaeClient(credentials, settings.silae, http=services.http, token_cache=tokens, **timing)

    def myunisoft(access: MyUnisoftAccess) -> MyUnisoftClient:
        with lock:
            pacer = pacers.get(access.token_identity)
            if pacer is None:
                limits = settings.myunisoft
                pacer = pacers[access.token_identity] = RatePacer(
                    limits.rate_limit, limits.rate_window_seconds, **timing
                )
        return MyUnisoftClient(access, settings.myunisoft, http=services.http, pacer=pacer, **timing)

    services.silae = silae
    services.myunisoft = myunisoft
    return services


_current = threading.local()


@contextmanager
def running_in(container: Container) -> Iterator[None]:
    """The calling thread works for ``container`` (see :func:`services_per_container`)."""
    _current.container = container
    try:
        yield
    finally:
        _current.container = None


@contextmanager
def services_per_container() -> Iterator[None]:
    """Route ``paysync.entrypoints.services()`` to the calling thread's container, if it has its own."""
    from paysync import entrypoints

    original = entrypoints.services

    def routed() -> Any:
        container: Container | None = getattr(_current, "container", None)
        if container is not None and container.services is not None:
            return container.services
        return original()

    routed.cache_clear = original.cache_clear  # type: ignore[attr-defined]
    entrypoints.services = routed  # type: ignore[assignment]
    try:
        yield
    finally:
        entrypoints.services = original
