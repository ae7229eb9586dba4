"""Values go to DynamoDB and come back exactly as boto3's resource sends and gives them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from paysync.aws.conditions import Attr, Key
from paysync.aws.dynamodb import _request, marshal, unmarshal

VALUES: list[Any] = [
    "été",
    "",
    0,
    -12,
    10**30,
    Decimal("1.25"),
    Decimal("-0.000001"),
    True,
    False,
    None,
    b"\x00\xff",
    {"a", "b"},
    {1, Decimal("2.5")},
    [1, "x", None, {"nested": [True, Decimal("3")]}],
    {"map": {"deep": ["v", 7]}, "empty": {}, "list": []},
]


def _stable_id(value: Any) -> str:
    """A set's repr follows the hash seed, which differs per xdist worker: sort it."""
    if isinstance(value, set):
        return "{" + ", ".join(sorted(map(repr, value))) + "}"
    return repr(value)


@pytest.mark.parametrize("value", VALUES, ids=_stable_id)
def test_marshal_is_boto3_s(value: Any) -> None:
    ours, theirs = marshal(value), TypeSerializer().serialize(value)
    if "B" in theirs:  # boto3 leaves bytes to botocore, which sends them base64-encoded
        assert unmarshal(ours) == value
        return
    if isinstance(value, set):  # a set's order on the wire means nothing
        (kind, items), *_ = ours.items()
        assert theirs.keys() == {kind} and sorted(items) == sorted(theirs[kind])
    else:
        assert ours == theirs
    expected = TypeDeserializer().deserialize(theirs)
    assert unmarshal(ours) == expected


@pytest.mark.parametrize(
    "bad", [1.5, Decimal("NaN"), Decimal("1.23456789012345678901234567890123456789123"), set(), object()]
)
def test_what_dynamodb_cannot_hold_is_refused(bad: Any) -> None:
    with pytest.raises((TypeError, ValueError, ArithmeticError)):
        marshal(bad)


def test_conditions_render_with_placeholders_only() -> None:
    condition = Attr("status").eq("claimed") & (Attr("run_id").eq("r-1") | Attr("claimed_at").lt("2026"))
    request = _request("t", {"Key": {"pk": "a"}, "ConditionExpression": condition})
    assert request["ConditionExpression"] == "(#n0 = :v0 AND (#n1 = :v1 OR #n2 < :v2))"
    assert request["ExpressionAttributeNames"] == {"#n0": "status", "#n1": "run_id", "#n2": "claimed_at"}
    assert request["ExpressionAttributeValues"] == {
        ":v0": {"S": "claimed"},
        ":v1": {"S": "r-1"},
        ":v2": {"S": "2026"},
    }
    assert request["Key"] == {"pk": {"S": "a"}}


def test_conditions_keep_the_caller_s_own_names_and_values() -> None:
    request = _request(
        "t",
        {
            "UpdateExpression": "SET #s = :s",
            "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":s": "sent"},
            "ConditionExpression": Attr("status").is_in(["a", "b"]) & ~Attr("owner").exists(),
        },
    )
    assert request["ConditionExpression"] == "(#n1 IN (:v1, :v2) AND (NOT attribute_exists(#n2)))"
    assert request["ExpressionAttributeNames"] == {"#s": "status", "#n1": "status", "#n2": "owner"}
    assert request["ExpressionAttributeValues"][":s"] == {"S": "sent"}


def test_key_conditions() -> None:
    condition = Key("firm_id").eq("f") & Key("pk").begins_with("DOSSIER#")
    assert _request("t", {"KeyConditionExpression": condition})["KeyConditionExpression"] == (
        "(#n0 = :v0 AND begins_with(#n1, :v1))"
    )
    between = _request("t", {"KeyConditionExpression": Key("p").eq(1) & Key("d").between("a", "b")})
    assert between["KeyConditionExpression"] == "(#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2)"
