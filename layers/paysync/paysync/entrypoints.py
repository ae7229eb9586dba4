"""What the Lambda handlers call: event parsing and the use case, behind one function each.

Services are built once per container (clients, caches) and reused across invocations.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict

from paysync.config import get_reminder_settings, get_settings

if TYPE_CHECKING:
    from paysync.notify.ses import SesMailer
    from paysync.storage.notifications import NotificationLog
    from paysync.usecases.services import Services


@cache
def services() -> Services:
    # Imported here: clients and repositories (boto3, httpx) are not needed to import a handler.
    from paysync.usecases.services import Services

    return Services.from_settings(get_settings())


class NightlyEvent(BaseModel):
    """The Scheduler's input. ``night`` replays a given night (operators, demo); default: today."""

    model_config = ConfigDict(extra="ignore", defer_build=True)  # each built by its own function only
    kind: Literal["nightly"] = "nightly"
    night: date | None = None


class SyncMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    run_id: str


def today_in(timezone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(ZoneInfo(timezone))).astimezone(ZoneInfo(timezone)).date()


def nightly(event: dict[str, Any]) -> dict[str, Any]:
    from paysync.usecases.plan_night import plan_night

    parsed = NightlyEvent.model_validate(event or {})
    svc = services()
    night = parsed.night or today_in(svc.settings.timezone, svc.clock())
    return plan_night(svc, night).as_dict()


class RemindersEvent(BaseModel):
    """The Scheduler's input for the morning reminders (nothing to choose: today is today)."""

    model_config = ConfigDict(extra="ignore", defer_build=True)
    kind: Literal["key_expiry_reminders"] = "key_expiry_reminders"


def reminder_channel() -> tuple[NotificationLog, SesMailer]:
    """The send-once log and the mailer (cheap: their AWS clients are the container's cached ones)."""
    from paysync.notify.ses import SesMailer
    from paysync.storage.notifications import NotificationLog

    settings = get_reminder_settings()
    mailer = SesMailer(
        settings.sender_email,
        reply_to=settings.reply_to_email,
        configuration_set=settings.ses_configuration_set,
    )
    return NotificationLog(settings.notifications_table), mailer


def key_expiry_reminders(event: dict[str, Any], request_id: str) -> dict[str, Any]:
    """One email per firm with something to say today. ``request_id`` owns the send-once claims:
    Lambda retries a failed asynchronous invocation with the same one."""
    from paysync.usecases.reminders import send_reminders

    RemindersEvent.model_validate(event or {})
    notifications, mailer = reminder_channel()
    return send_reminders(services(), notifications, mailer, owner=request_id).as_dict()


def sync_message(body: str, receive_count: int) -> None:
    """One SQS message: one run. Raises to leave the message for redelivery (then the DLQ)."""
    from paysync.usecases.sync_dossier import sync_run

    message = SyncMessage.model_validate_json(body)
    sync_run(services(), message.run_id, receive_count=receive_count)


class ItemFailure(TypedDict):
    itemIdentifier: str


class BatchResponse(TypedDict):
    batchItemFailures: list[ItemFailure]


class BatchFailedError(Exception):
    """Every record of a batch failed: the invocation fails, and SQS gives the whole batch back."""


def sync_batch(event: dict[str, Any]) -> BatchResponse:
    """An SQS batch of runs: every record is tried, and only the failed ones go back to the queue.

    Runs are independent: the FIFO group only serialises one MyUnisoft token's calls. With FIFO's
    usual "stop at the first failure", the runs after a poison message (or a failing dossier) in its
    group would be received again and again without being tried, and parked in the DLQ with it.
    This is what Powertools' ``BatchProcessor`` does for SQS, written out: importing its batch
    utilities builds Powertools' pydantic models of every event source (SQS, Kinesis, DynamoDB
    streams, Kafka), a third of ``import boto3`` at each cold start.
    """
    records = event.get("Records")
    if not isinstance(records, list):
        raise ValueError("not an SQS event: no list of Records")
    failed: list[tuple[str, str]] = []  # message id, error (not the error: its traceback holds frames)
    for record in records:
        try:
            sync_message(record["body"], int(record["attributes"]["ApproximateReceiveCount"]))
        except Exception as error:
            failed.append((str(record.get("messageId", "")), f"{type(error).__name__}: {error}"))
    if records and len(failed) == len(records):
        errors = "; ".join(error for _, error in failed)
        raise BatchFailedError(f"All {len(records)} records failed processing: {errors}")
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id, _ in failed]}


def reset_container_state() -> None:
    """Forget what a Lambda container keeps between invocations: settings, services, AWS clients,
    Silae tokens and MyUnisoft pacers. Local stacks, tests and benchmarks call it to start afresh."""
    from paysync.aws.services import reset_clients
    from paysync.myunisoft.ratelimit import clear_pacers
    from paysync.silae.auth import default_token_cache

    get_settings.cache_clear()
    get_reminder_settings.cache_clear()
    services.cache_clear()
    reset_clients()
    default_token_cache.clear()
    clear_pacers()
