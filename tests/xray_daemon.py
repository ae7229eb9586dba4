"""What a test's stand-in for the X-Ray daemon (a UDP socket) received."""

from __future__ import annotations

import contextlib
import json
import socket
from typing import Any


def received(daemon: socket.socket, wait: float = 0.2) -> list[dict[str, Any]]:
    """Every document sent to ``daemon``, each datagram checked for the daemon's header."""
    documents = []
    daemon.settimeout(wait)
    with contextlib.suppress(TimeoutError):
        while True:
            header, _, body = daemon.recv(65536).decode().partition("\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            documents.append(json.loads(body))
    return documents
