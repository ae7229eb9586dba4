"""The local stack the benchmarks run on: in-process moto (resources from template.yaml), both fakes
on 127.0.0.1, and the functions' environment from the template, with time scaled down.

**Time scale.** A night is long: a cabinet token of 120 dossiers needs minutes of MyUnisoft's
20 requests / 10 s. Every duration of the model is divided by the same factor ``scale``: the fakes'
fixed latency per call, MyUnisoft's rate window (the fake's and the client's, which must agree),
and the clients' backoff. Ratios of durations (makespan ÷ lower bound) are then those of the
unscaled night; only what is not scaled (the local stack's own CPU) weighs ``scale`` times more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from local.fakes.myunisoft import FakeMyUnisoft
from local.fakes.myunisoft.gateway import bearer
from local.fakes.server import Request, Response

# Assumed real-world costs, per call, before scaling (the vendors publish no latency figures).
SILAE_LATENCY_SECONDS = 0.2
MYUNISOFT_LATENCY_SECONDS = 0.1
MYUNISOFT_RATE_LIMIT = 20
MYUNISOFT_RATE_WINDOW_SECONDS = 10.0
HTTP_BACKOFF_SECONDS = 0.5


@dataclass(frozen=True)
class TimeScale:
    """Durations of the real night divided by ``factor``."""

    factor: float = 1.0

    def __call__(self, seconds: float) -> float:
        return seconds / self.factor

    @property
    def silae_latency(self) -> float:
        return self(SILAE_LATENCY_SECONDS)

    @property
    def myunisoft_latency(self) -> float:
        return self(MYUNISOFT_LATENCY_SECONDS)

    @property
    def rate_window(self) -> float:
        return self(MYUNISOFT_RATE_WINDOW_SECONDS)


class CountingMyUnisoft(FakeMyUnisoft):
    """The fake MyUnisoft, recording which token made each ``/api/v1`` call and when (its monotonic
    clock, the executor's): a night's calls per token, and each token's last."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.token_calls: list[tuple[str, str, float]] = []  # (token, path, time)

    def dispatch(self, request: Request) -> Response:
        if request.path.startswith("/api/v1/"):
            with self._calls_lock:
                self.token_calls.append((bearer(request) or "", request.path, self.monotonic()))
        return super().dispatch(request)


@dataclass
class Stack:
    resources: Any
    silae: Any
    myunisoft: Any
    scale: TimeScale
    env: dict[str, str]

    @property
    def queue_url(self) -> str:
        return str(self.resources.queue_url("SyncQueue"))

    @property
    def dlq_url(self) -> str:
        return str(self.resources.queue_url("SyncDeadLetterQueue"))

    @property
    def services(self) -> Any:
        from paysync.entrypoints import services

        return services()

    def use_clock(self, clock: Any) -> None:
        """The fakes wait (latency, rate window) and log their calls on ``clock``
        (``local.virtual_time.VirtualClock``)."""
        for fake in (self.silae, self.myunisoft):
            fake.sleep, fake.monotonic, fake.time = clock.sleep, clock.monotonic, clock.time

    def rescale(self, scale: TimeScale, *, latency: bool = True) -> None:
        """Every duration of the model divided by ``scale.factor`` from now on: the fakes' at once,
        the clients' when they next read their settings (after ``reset_library_caches``)."""
        self.scale = scale
        self.env.update(_scaled_env(scale))
        os.environ.update(_scaled_env(scale))
        self.myunisoft.rate_window_seconds = scale.rate_window
        self.myunisoft.reset_rate_limits()
        self.silae.faults.latency_seconds = scale.silae_latency if latency else 0.0
        self.myunisoft.faults.latency_seconds = scale.myunisoft_latency if latency else 0.0


def _scaled_env(scale: TimeScale) -> dict[str, str]:
    return {
        "MYUNISOFT_RATE_LIMIT": str(MYUNISOFT_RATE_LIMIT),
        "MYUNISOFT_RATE_WINDOW_SECONDS": repr(scale.rate_window),
        "HTTP_BACKOFF_SECONDS": repr(scale(HTTP_BACKOFF_SECONDS)),
    }


def reset_library_caches() -> None:
    """What a new Lambda container starts without: settings, services, clients, tokens, pacers."""
    from paysync.entrypoints import reset_container_state

    reset_container_state()


@contextmanager
def scaled_stack(scale: TimeScale, *, latency: bool = True, **extra_env: str) -> Iterator[Stack]:
    """moto server + fakes + the template's environment; the process environment is restored on exit.
    paysync reaches AWS over HTTP (``paysync.aws``), so moto runs as a server, in this process."""
    from local import moto_speed
    from local.fakes.silae import FakeSilae
    from local.moto_server import MotoServer
    from local.provision import provision

    moto_speed.install()  # a night of 2 000 dossiers: no cost that grows with a table or a queue
    saved = dict(os.environ)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-3")
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.pop("AWS_PROFILE", None)
    server = MotoServer()
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint = server.start()
        silae = FakeSilae()
        myu = CountingMyUnisoft(rate_limit=MYUNISOFT_RATE_LIMIT, rate_window_seconds=scale.rate_window)
        with silae, myu:
            resources = provision(endpoint_url=endpoint)
            env = resources.function_environment("SyncWorkerFunction")
            env.update(resources.function_environment("NightlyPullFunction"))
            env.update(
                {
                    "SILAE_AUTH_URL": silae.auth_url,
                    "SILAE_API_URL": silae.api_url,
                    "MYUNISOFT_API_URL": myu.api_url,
                    **_scaled_env(scale),
                    "POWERTOOLS_TRACE_DISABLED": "true",
                    "POWERTOOLS_METRICS_DISABLED": "true",
                    "POWERTOOLS_LOG_LEVEL": "ERROR",
                    "LOG_LEVEL": "ERROR",
                    **extra_env,
                }
            )
            os.environ.update(env)
            stack = Stack(resources=resources, silae=silae, myunisoft=myu, scale=scale, env=env)
            stack.rescale(scale, latency=latency)
            reset_library_caches()
            try:
                yield stack
            finally:
                reset_library_caches()
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
