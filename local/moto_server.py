"""moto's server in a background thread: the AWS endpoint of the local stack."""

from __future__ import annotations

import logging
import urllib.request
from types import TracebackType
from typing import Any

_moto_modules: tuple[str, ...] | None = None


def _route_without_listing_moto() -> None:
    """To route each request, moto's server lists its own package folder (a ``stat`` per service,
    some 180) twice; the folder does not change while it runs, so it is listed once (about a tenth
    of the server's CPU per request)."""
    global _moto_modules  # noqa: PLW0603 - once per process
    if _moto_modules is not None:
        return
    from moto import backends

    modules = _moto_modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


class MotoServer:
    """moto's server in a background thread on ``host`` and a free port.

    moto keeps its state per process: ``start()`` resets it (unless ``reset=False``) so that a new
    server starts empty even if an earlier one in the same process left resources behind.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, reset: bool = True, quiet: bool = True
    ) -> None:
        self.host = host
        self._quiet = quiet
        self.port = port
        self._reset_on_start = reset
        self._server: Any = None
        self.endpoint_url: str | None = None

    def start(self) -> str:
        if self.endpoint_url is not None:
            return self.endpoint_url
        from moto.server import ThreadedMotoServer

        if self._quiet:
            # werkzeug logs one line per request to stderr; the local stack's callers log their own.
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _route_without_listing_moto()
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint_url = f"http://{host}:{port}"
        if self._reset_on_start:
            self.reset()
        return self.endpoint_url

    def reset(self) -> None:
        """Forget every resource of every service (moto's ``/moto-api/reset``)."""
        if self.endpoint_url is None:
            raise RuntimeError("the moto server is not running")
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own local server
            response.read()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        self._server = None
        self.endpoint_url = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
