"""Writes are never blindly repeated: a lost answer is resolved by looking the entry up, an
attachment's is raised. Over the fake on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from local.fakes.myunisoft import DUPLICATE_REFUSALS, DuplicateRefusal, FakeMyUnisoft, LookupNotFound
from local.fakes.server import Fault
from paysync.myunisoft.errors import (
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftExistsUnfoundError,
    MyUnisoftTransientError,
    says_already_exists,
)
from tests.unit.myunisoft_client.support import (
    SOCIETY,
    Harness,
    books,
    entry,
)


# -- writes are never blindly repeated --------------------------------------------------------------------
class LoseFirstAnswer(httpx.BaseTransport):
    """The request reaches the server and is applied; its answer never comes back."""

    def __init__(self, path: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._path = path
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        if request.method == "POST" and request.url.path.endswith(self._path) and not self.lost:
            response.read()
            response.close()
            self.lost += 1
            raise httpx.ReadTimeout("answer lost", request=request)
        return response

    def close(self) -> None:
        self._inner.close()


class AppliedLate(httpx.BaseTransport):
    """The first POST times out while the server is still working on it: it lands only after the
    next request (the client's lookup) has been answered, as on a loaded MyUnisoft."""

    def __init__(self, path: str) -> None:
        self._inner = httpx.HTTPTransport()
        self._path = path
        self._held: httpx.Request | None = None
        self.timed_out = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith(self._path) and not self.timed_out:
            self.timed_out += 1
            request.read()
            self._held = request
            raise httpx.ReadTimeout("no answer yet", request=request)
        response = self._inner.handle_request(request)
        if self._held is not None:
            response.read()
            late, self._held = self._held, None
            self._inner.handle_request(late).read()
        return response

    def close(self) -> None:
        self._inner.close()


def test_a_post_that_may_still_be_running_is_not_posted_again_on_a_lookup_made_too_soon(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    ids = books(fake)
    client = harness.client(transport=AppliedLate("/entry"))
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        client.create_entry(entry(ids))
    assert caught.value.still_running
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id"]
    assert len(fake.entries(SOCIETY)) == 1  # the first POST landed after the lookup: once


def test_a_gateway_timeout_on_create_is_left_to_a_later_attempt(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    ids = books(fake)
    fake.faults.add(Fault("status", times=1, status=504, path_contains="/api/v1/entry"))
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        harness.client().create_entry(entry(ids))
    assert caught.value.still_running
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id"]


def test_a_lost_answer_is_resolved_by_looking_the_entry_up(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    transport = LoseFirstAnswer("/entry")
    client = harness.client(transport=transport)
    created = client.create_entry(entry(ids))
    assert transport.lost == 1
    assert created.recovered
    [stored] = fake.entries(SOCIETY)
    assert created.entry_id == stored["entry_id"]
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id"]


def test_an_entry_not_applied_is_posted_again_once(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("reset", times=1, path_contains="/api/v1/entry"))
    client = harness.client()
    created = client.create_entry(entry(ids))
    assert not created.recovered
    assert len(fake.entries(SOCIETY)) == 1
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry/id", "/api/v1/entry"]
    assert harness.sleeps == [0.5]


def test_a_5xx_on_create_is_checked_before_posting_again(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("status", times=1, status=500, path_contains="/api/v1/entry"))
    created = harness.client().create_entry(entry(ids))
    assert len(fake.entries(SOCIETY)) == 1
    assert created.entry_id == fake.entries(SOCIETY)[0]["entry_id"]


def test_a_rate_limited_create_is_simply_retried(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("rate_limit", times=1, seconds=1, path_contains="/api/v1/entry"))
    client = harness.client()
    client.create_entry(entry(ids))
    assert [r.url.path for r in harness.sent] == ["/api/v1/entry", "/api/v1/entry"]  # no look-up needed
    assert len(fake.entries(SOCIETY)) == 1


def test_without_a_partner_id_a_lost_answer_is_raised(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    client = harness.client(transport=LoseFirstAnswer("/entry"))
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        client.create_entry(entry(ids, partner_id=None))
    assert isinstance(caught.value, MyUnisoftTransientError)
    assert client.calls == 1
    assert len(fake.entries(SOCIETY)) == 1  # it was applied: the caller must not blindly repost


@pytest.mark.parametrize("refusal", DUPLICATE_REFUSALS)
@pytest.mark.parametrize("not_found", ["404", "200-empty"])
def test_a_refusal_saying_the_entry_exists_returns_the_existing_entry(
    harness: Harness, fake: FakeMyUnisoft, refusal: DuplicateRefusal, not_found: LookupNotFound
) -> None:
    fake.configure(partner_id_unique=True, duplicate_refusal=refusal, lookup_not_found=not_found)
    ids = books(fake)
    client = harness.client()
    first = client.create_entry(entry(ids))
    second = client.create_entry(entry(ids))
    assert second.entry_id == first.entry_id
    assert second.recovered
    assert len(fake.entries(SOCIETY)) == 1
    assert [r.url.path for r in harness.sent][-2:] == ["/api/v1/entry", "/api/v1/entry/id"]


@pytest.mark.parametrize("refusal", DUPLICATE_REFUSALS)
def test_an_existing_entry_the_lookup_cannot_find_is_said_precisely_not_posted_again(
    harness: Harness, fake: FakeMyUnisoft, refusal: DuplicateRefusal
) -> None:
    fake.configure(partner_id_unique=True, duplicate_refusal=refusal, lookup_lag_seconds=3600)
    ids = books(fake)
    client = harness.client()
    client.create_entry(entry(ids))
    with pytest.raises(MyUnisoftExistsUnfoundError) as caught:
        client.create_entry(entry(ids))
    assert caught.value.code == {"GBL6": "GBL6", "409": "ENTRY-CONFLICT", "other": "PARTNER-ID-USED"}[refusal]
    assert caught.value.request_id is not None and caught.value.request_id in client.request_ids
    assert len(fake.entries(SOCIETY)) == 1
    assert [r.url.path for r in harness.sent].count("/api/v1/entry") == 2  # no retry loop


def test_without_uniqueness_the_client_itself_does_not_deduplicate(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    """What keeps an entry single is paysync's protocol (ledger, lookup), not this call."""
    ids = books(fake)
    client = harness.client()
    client.create_entry(entry(ids))
    client.create_entry(entry(ids))
    assert len(fake.entries(SOCIETY)) == 2


def test_a_lost_answer_whose_lookup_fails_is_ambiguous(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("lost_response", times=1, path_contains="/api/v1/entry", method="POST"))
    fake.faults.add(Fault("maintenance", times=None, path_contains="/api/v1/entry/id"))
    with pytest.raises(MyUnisoftAmbiguousWriteError):
        harness.client().create_entry(entry(ids))
    assert len(fake.entries(SOCIETY)) == 1  # it landed: the caller must keep its claim


def test_a_post_refused_at_the_gateway_every_time_is_not_ambiguous(
    harness: Harness, fake: FakeMyUnisoft
) -> None:
    ids = books(fake)
    fake.faults.add(Fault("maintenance", times=None, path_contains="/api/v1/entry", method="POST"))
    with pytest.raises(MyUnisoftTransientError) as caught:
        harness.client().create_entry(entry(ids))
    assert not isinstance(caught.value, MyUnisoftAmbiguousWriteError)  # nothing can have landed
    assert fake.entries(SOCIETY) == []


def test_a_refusal_after_a_lost_answer_stays_ambiguous(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    fake.faults.add(Fault("reset", times=1, path_contains="/api/v1/entry", method="POST"))
    fake.faults.add(Fault("maintenance", times=None, path_contains="/api/v1/entry", method="POST"))
    with pytest.raises(MyUnisoftAmbiguousWriteError):
        harness.client().create_entry(entry(ids))


@pytest.mark.parametrize(
    ("status", "code", "message", "exists"),
    [
        (400, "GBL6", "Cet élément existe déjà.", True),
        (409, "ANY", "", True),
        (400, "PARTNER-ID-USED", "L'identifiant partenaire est déjà utilisé.", True),
        (400, "ENTRY-EXISTS", "", True),
        (422, "X", "Entry already exists", True),
        (400, "COMPTE2", "Le compte n'existe pas.", False),
        (400, "ENTRY-NOT-EXISTS", "", False),
        (400, "ECR1", "Impossible de valider une écriture...", False),
    ],
)
def test_what_says_already_exists(status: int, code: str, message: str, exists: bool) -> None:
    assert says_already_exists(MyUnisoftError(code, message, status=status)) is exists


def test_a_lost_attachment_answer_is_not_repeated(harness: Harness, fake: FakeMyUnisoft) -> None:
    ids = books(fake)
    entry_id = harness.client().create_entry(entry(ids)).entry_id
    fake.faults.add(Fault("status", times=1, status=502, path_contains="/document"))
    client = harness.client()
    with pytest.raises(MyUnisoftAmbiguousWriteError) as caught:
        client.attach_document(entry_id, "a.pdf", b"%PDF")
    assert (caught.value.code, caught.value.status, client.calls) == ("ERR-HTTP", 502, 1)
    fake.faults.add(Fault("maintenance", times=1, path_contains="/document"))
    client.attach_document(entry_id, "a.pdf", b"%PDF")  # refused at the gateway: safe to repeat
    assert client.calls == 3
