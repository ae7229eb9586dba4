"""The account links of each dossier (seed 004): one item per dossier and payroll account number.

Table AccountLinksTable: hash ``dossier_id``, range ``account_number`` — a dossier's links are read
with one query per run. A creation is claimed first (``status = creating``, conditional write), so
two runs racing on one number cannot both create it, and a claim left by a crash is taken over after
its lease (``POST /account`` finds the account the crashed run created instead of making another).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from paysync.aws.conditions import Attr, Key
from paysync.aws.errors import AwsServiceError
from paysync.aws.services import dynamodb
from paysync.domain.accounts import AccountLink
from paysync.storage.dynamo import conditional_check_failed, query_items

if TYPE_CHECKING:
    from paysync.aws.dynamodb import Table


class LinkRecord(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """An item of the account links table: a number linked, its account being created, or only seen."""

    dossier_id: str
    number: str
    status: Literal["linked", "creating", "seen"]
    account_id: int | None = None
    myunisoft_number: str | None = None
    myunisoft_label: str | None = None
    payroll_label: str | None = None
    origin: Literal["found", "created", "manual"] | None = None
    linked_at: str | None = None

    def as_link(self) -> AccountLink | None:
        if self.status != "linked" or self.account_id is None or self.origin is None:
            return None
        return AccountLink(number=self.number, account_id=self.account_id, origin=self.origin)


class AccountLinks:
    def __init__(self, table_name: str) -> None:
        self._table: Table = dynamodb().Table(table_name)

    def list(self, dossier_id: str) -> list[LinkRecord]:
        items = query_items(
            self._table, KeyConditionExpression=Key("dossier_id").eq(dossier_id), ConsistentRead=True
        )
        return [
            LinkRecord(
                dossier_id=str(item["dossier_id"]),
                number=str(item["account_number"]),
                status=item["status"],
                account_id=int(item["account_id"]) if "account_id" in item else None,
                myunisoft_number=item.get("myunisoft_number"),
                myunisoft_label=item.get("myunisoft_label"),
                payroll_label=item.get("payroll_label"),
                origin=item.get("origin"),
                linked_at=item.get("linked_at"),
            )
            for item in items
        ]

    def claim_creation(
        self, dossier_id: str, number: str, *, run_id: str, now: datetime, lease: timedelta
    ) -> bool:
        """The right to create this account. False when it is linked, or a live claim holds it."""
        try:
            self._table.put_item(
                Item={
                    "dossier_id": dossier_id,
                    "account_number": number,
                    "status": "creating",
                    "claimed_by": run_id,
                    "claimed_at": now.isoformat(),
                },
                ConditionExpression=Attr("account_number").not_exists()
                | Attr("status").eq("seen")
                | (
                    Attr("status").eq("creating")
                    & (Attr("claimed_by").eq(run_id) | Attr("claimed_at").lt((now - lease).isoformat()))
                ),
            )
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True

    def note_seen(self, dossier_id: str, number: str, payroll_label: str, now: datetime) -> None:
        """Remember a payroll number that matched nothing, for the dossier's account list."""
        try:
            self._table.put_item(
                Item={
                    "dossier_id": dossier_id,
                    "account_number": number,
                    "status": "seen",
                    "payroll_label": payroll_label,
                    "seen_at": now.isoformat(),
                },
                ConditionExpression=Attr("account_number").not_exists() | Attr("status").eq("seen"),
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise

    def release(self, dossier_id: str, number: str, *, run_id: str) -> None:
        try:
            self._table.delete_item(
                Key={"dossier_id": dossier_id, "account_number": number},
                ConditionExpression=Attr("status").eq("creating") & Attr("claimed_by").eq(run_id),
            )
        except AwsServiceError as error:
            if not conditional_check_failed(error):
                raise

    def record(
        self,
        dossier_id: str,
        number: str,
        *,
        account_id: int,
        myunisoft_number: str,
        myunisoft_label: str,
        payroll_label: str,
        origin: Literal["found", "created", "manual"],
        now: datetime,
        replace: bool = False,
        state: str | None = None,
    ) -> bool:
        """Record a link. A found link never overwrites an existing one; a creation replaces its claim;
        a manual link (``replace=True``) replaces whatever was there. True when written."""
        item = {
            "dossier_id": dossier_id,
            "account_number": number,
            "status": "linked",
            "account_id": account_id,
            "myunisoft_number": myunisoft_number,
            "myunisoft_label": myunisoft_label,
            "payroll_label": payroll_label,
            "origin": origin,
            "linked_at": now.isoformat(),
            # The matching state when the link was made; the account list recomputes today's.
            "state": state or ("ok" if myunisoft_number == number else "ok_different_code"),
        }
        kwargs: dict[str, Any] = {"Item": item}
        if not replace:
            kwargs["ConditionExpression"] = Attr("account_number").not_exists() | Attr("status").is_in(
                ["creating", "seen"]
            )
        try:
            self._table.put_item(**kwargs)
        except AwsServiceError as error:
            if conditional_check_failed(error):
                return False
            raise
        return True
