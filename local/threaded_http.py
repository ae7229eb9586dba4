"""An HTTP server on a background thread, started and stopped the same way by the vendor fakes and
the local API."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN_BACKLOG = 128  # connections the kernel holds until accepted: a burst of 50 clients waits, none refused


class BackgroundServer(ThreadingHTTPServer):
    """One thread per connection, and a listen backlog for bursts (socketserver's default is 5)."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True


def serve_in_background(
    address: tuple[str, int], handler: type[BaseHTTPRequestHandler], name: str
) -> ThreadingHTTPServer:
    """A server on ``address`` (port 0: a free one), answering on a daemon thread named ``name``."""
    server = BackgroundServer(address, handler)
    # A short poll interval makes stop_server() return at once instead of after half a second.
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    ).start()
    return server


def stop_server(server: ThreadingHTTPServer | None) -> None:
    if server is not None:
        server.shutdown()
        server.server_close()
