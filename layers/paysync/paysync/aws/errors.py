"""What a call to AWS can end in, other than an answer."""

from __future__ import annotations

from typing import Any


class AwsError(Exception):
    """Any failed AWS call. Messages name the service and operation, never a value sent."""


class AwsServiceError(AwsError):
    """AWS answered with an error. ``response`` has botocore's shape (``Error.Code``,
    ``Error.Message``, ``ResponseMetadata.HTTPStatusCode``) plus the fields of the error's body,
    such as DynamoDB's ``Item`` (ALL_OLD on a failed condition) or ``CancellationReasons``."""

    def __init__(
        self, service: str, operation: str, *, status: int, code: str, message: str, body: dict[str, Any]
    ) -> None:
        super().__init__(f"{service} {operation} failed: {code} ({status})")
        self.code = code
        self.status = status
        self.response: dict[str, Any] = {
            **body,
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


class AwsUnreachableError(AwsError):
    """No answer from AWS after the retries (connection refused or reset, timeout)."""
