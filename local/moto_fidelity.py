"""Where moto differs from AWS in a way paysync relies on, put right (process-wide, idempotent).

- DynamoDB applies each write, its condition included, atomically, and what it answers of the old
  item (``ReturnValues``) is the item that write replaced; moto (in-process, or its server, which
  runs in this process too) checks and writes in two steps, reads the old item before the write,
  and runs concurrent requests in threads: one lock around each write request, from the read of
  the old item to the answer, gives back that guarantee, and nothing more.
- Secrets Manager: moving the ``AWSCURRENT`` label with ``UpdateSecretVersionStage`` changes which
  version ``GetSecretValue`` answers and which one the next ``PutSecretValue`` labels
  ``AWSPREVIOUS``. moto keeps its own "default version" apart from the labels and does not move
  it, so a settings save undone (``SecretStore.undo``) would still read as the new value.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def install() -> None:
    global _installed  # noqa: PLW0603 - once per process
    with _lock:
        if _installed:
            return
        from moto.dynamodb.responses import DynamoHandler
        from moto.secretsmanager.models import SecretsManagerBackend

        writes = threading.RLock()
        for name in ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item"):
            setattr(DynamoHandler, name, _locked(getattr(DynamoHandler, name), writes))
        original = SecretsManagerBackend.update_secret_version_stage

        def update_secret_version_stage(
            self: Any,
            secret_id: str,
            version_stage: str,
            remove_from_version_id: str,
            move_to_version_id: str,
        ) -> Any:
            answer = original(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
            if version_stage == "AWSCURRENT" and move_to_version_id:
                self.secrets[secret_id].set_default_version_id(move_to_version_id)
            return answer

        SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]
        _installed = True


def _locked(method: Any, lock: threading.RLock) -> Any:
    def locked(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return method(self, *args, **kwargs)

    return locked
