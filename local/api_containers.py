"""Lambda's side of the local API: each function runs in as many containers as it has concurrent
invocations, one invocation per container at a time, as Lambda scales a function out (the API
functions reserve no concurrency: they draw on the account's pool, so no local limit either).

In one process, two things that Lambda keeps apart are kept apart here:

- Powertools keeps the request being resolved in class attributes of its routers (on Lambda, one
  invocation per process at a time): :func:`isolated` makes them per thread;
- a resolver keeps per-request state (its context, its routes' middleware built at their first
  call): while :func:`isolated` is on, ``paysync.api.app``'s resolvers are per container, built
  by the container at its first invocation (its cold start).

What stays shared, as it would not on Lambda: the process's ``Services`` (clients and caches; tests
adjust them) and the Powertools logger's keys (a log line may carry another invocation's request id).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Container", "FunctionContainers", "isolated"]

_REQUEST_STATE = ("current_event", "lambda_context")  # class attributes of Powertools' BaseRouter
_thread = threading.local()


@dataclass
class Container:
    """One execution environment of a function: its own resolvers, one invocation at a time."""

    function: str
    number: int
    resolvers: dict[str, Any] = field(default_factory=dict)
    invocations: int = 0


class FunctionContainers:
    """A function's containers: an idle one takes the next invocation, else a new one starts."""

    def __init__(self, function: str) -> None:
        self.function = function
        self._idle: list[Container] = []
        self._count = 0
        self._lock = threading.Lock()

    @property
    def started(self) -> int:
        return self._count

    @contextmanager
    def invocation(self) -> Iterator[Container]:
        with self._lock:
            if self._idle:
                container = self._idle.pop()
            else:
                self._count += 1
                container = Container(self.function, self._count)
        previous = getattr(_thread, "container", None)
        _thread.container = container
        try:
            container.invocations += 1
            yield container
        finally:
            _thread.container = previous
            with self._lock:
                self._idle.append(container)


class _PerThread:
    """A data descriptor whose value is the calling thread's own."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        try:
            return getattr(_thread, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, instance: object, value: Any) -> None:
        setattr(_thread, self.name, value)


_installed = 0
_install_lock = threading.Lock()
_restore: list[Callable[[], None]] = []


@contextmanager
def isolated() -> Iterator[None]:
    """Concurrent invocations in this process see their own request and their container's resolvers
    (nested uses share one installation)."""
    global _installed  # noqa: PLW0603 - one installation per process, however many local APIs run
    with _install_lock:
        if _installed == 0:
            _restore[:] = [_per_thread_request_state(), _resolvers_per_container()]
        _installed += 1
    try:
        yield
    finally:
        with _install_lock:
            _installed -= 1
            if _installed == 0:
                for undo in reversed(_restore):
                    undo()
                _restore.clear()


def _per_thread_request_state() -> Callable[[], None]:
    """Powertools assigns ``BaseRouter.current_event`` (a class attribute) per request and reads it
    through its resolvers and routers: both go per thread, the assignment through a metaclass
    descriptor, the reads through a class descriptor."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    original_meta = type(BaseRouter)
    saved = {name: BaseRouter.__dict__[name] for name in _REQUEST_STATE if name in BaseRouter.__dict__}
    for name in _REQUEST_STATE:
        type.__setattr__(BaseRouter, name, _PerThread(name))
    meta = type("PerThreadRequestState", (original_meta,), {n: _PerThread(n) for n in _REQUEST_STATE})
    BaseRouter.__class__ = meta  # type: ignore[method-assign]

    def undo() -> None:
        BaseRouter.__class__ = original_meta  # type: ignore[assignment]
        for name in _REQUEST_STATE:
            if name in saved:
                type.__setattr__(BaseRouter, name, saved[name])
            else:
                type.__delattr__(BaseRouter, name)

    return undo


def _resolvers_per_container() -> Callable[[], None]:
    from paysync.api import app

    shared_resolver, shared_area, shared_docs = app.resolver, app.area_resolver, app.docs_resolver

    def resolver(function: str) -> Any:
        container: Container | None = getattr(_thread, "container", None)
        if container is None:
            return shared_resolver(function)
        if function not in container.resolvers:
            container.resolvers[function] = shared_resolver.__wrapped__(function)
        return container.resolvers[function]

    def area_resolver(area: str) -> Any:
        container: Container | None = getattr(_thread, "container", None)
        if container is None:
            return shared_area(area)
        if f"area {area}" not in container.resolvers:
            container.resolvers[f"area {area}"] = shared_area.__wrapped__(area)
        return container.resolvers[f"area {area}"]

    def docs_resolver() -> Any:
        container: Container | None = getattr(_thread, "container", None)
        if container is None:
            return shared_docs()
        if "docs" not in container.resolvers:
            container.resolvers["docs"] = shared_docs.__wrapped__()
        return container.resolvers["docs"]

    resolver.cache_clear = shared_resolver.cache_clear  # type: ignore[attr-defined]
    area_resolver.cache_clear = shared_area.cache_clear  # type: ignore[attr-defined]
    docs_resolver.cache_clear = shared_docs.cache_clear  # type: ignore[attr-defined]
    setattr(app, "resolver", resolver)  # noqa: B010 - a module attribute, replaced while isolated
    setattr(app, "area_resolver", area_resolver)  # noqa: B010
    setattr(app, "docs_resolver", docs_resolver)  # noqa: B010

    def undo() -> None:
        setattr(app, "resolver", shared_resolver)  # noqa: B010
        setattr(app, "area_resolver", shared_area)  # noqa: B010
        setattr(app, "docs_resolver", shared_docs)  # noqa: B010

    return undo
