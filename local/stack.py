"""The whole AWS side of the local stack: a moto server, the template provisioned on it, and the
process environment that points every boto3 client at it (including those Powertools creates at
import)."""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from types import TracebackType

from local.cfn import DEFAULT_TEMPLATE
from local.moto_server import MotoServer
from local.provision import DEFAULT_REGION, DUMMY_CREDENTIALS, LocalResources, provision

__all__ = ["LocalStack", "endpoint_environment"]


def endpoint_environment(endpoint_url: str, region: str, env: Mapping[str, str]) -> dict[str, str | None]:
    """What points every boto3 client at ``endpoint_url`` with dummy credentials, given the
    environment ``env`` as it is: each variable's new value, or ``None`` to remove it."""
    wanted: dict[str, str | None] = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": DUMMY_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": DUMMY_CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
    }
    # Per-service endpoints (AWS_ENDPOINT_URL_DYNAMODB, ...) would win over AWS_ENDPOINT_URL.
    wanted.update(dict.fromkeys(key for key in list(env) if key.startswith("AWS_ENDPOINT_URL_")))
    return wanted


class LocalStack:
    """MotoServer + provision + the environment that points every boto3 client at it.

    ``start()`` sets ``AWS_ENDPOINT_URL``, the region (``AWS_DEFAULT_REGION``/``AWS_REGION``) and
    dummy credentials in ``env`` (default ``os.environ``), removes what could reach real AWS
    (``AWS_PROFILE``, ``AWS_SESSION_TOKEN``, per-service ``AWS_ENDPOINT_URL_*``), provisions the
    template and returns the :class:`LocalResources`. ``stop()`` restores ``env`` as it was.
    """

    def __init__(
        self,
        template_path: str | Path = DEFAULT_TEMPLATE,
        *,
        parameter_overrides: dict[str, str] | None = None,
        name_prefix: str = "paysync-local",
        region: str = DEFAULT_REGION,
        env: MutableMapping[str, str] | None = None,
        server: MotoServer | None = None,
    ) -> None:
        self.template_path = template_path
        self.parameter_overrides = parameter_overrides
        self.name_prefix = name_prefix
        self.region = region
        self.env: MutableMapping[str, str] = os.environ if env is None else env
        self.server = server or MotoServer()
        self.resources: LocalResources | None = None
        self._saved_env: dict[str, str | None] | None = None

    @property
    def endpoint_url(self) -> str | None:
        return self.server.endpoint_url

    def start(self) -> LocalResources:
        if self.resources is not None:
            return self.resources
        endpoint_url = self.server.start()
        try:
            self._apply_env(endpoint_url)
            self.resources = provision(
                self.template_path,
                endpoint_url=endpoint_url,
                parameter_overrides=self.parameter_overrides,
                name_prefix=self.name_prefix,
                region=self.region,
            )
        except BaseException:
            self.stop()
            raise
        return self.resources

    def stop(self) -> None:
        self._restore_env()
        self.server.stop()
        self.resources = None

    def _apply_env(self, endpoint_url: str) -> None:
        wanted = endpoint_environment(endpoint_url, self.region, self.env)
        self._saved_env = {key: self.env.get(key) for key in wanted}
        for key, value in wanted.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value

    def _restore_env(self) -> None:
        if self._saved_env is None:
            return
        for key, value in self._saved_env.items():
            if value is None:
                self.env.pop(key, None)
            else:
                self.env[key] = value
        self._saved_env = None

    def __enter__(self) -> LocalResources:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
