"""What the connection test answers: its checks, in order."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from paysync.api.models.common import ViewModel


class CheckView(ViewModel):
    id: str
    label: str
    status: Literal["ok", "failed", "skipped"]
    code: str | None
    message: str
    remedy: str | None
    details: dict[str, Any] = Field(default={})


class ConnectionReport(ViewModel):
    ok: bool
    firm_id: str
    dossier_id: str | None
    checks: list[CheckView]
