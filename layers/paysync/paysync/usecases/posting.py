"""Posting one entry into MyUnisoft exactly once: the claim protocol.

MyUnisoft documents neither what its lookup answers for an unknown ``entry_origin_partner_id``, nor
whether it refuses a second entry with the same one. So what keeps an entry single is paysync's
own protocol, each step answering one way things go wrong (``tests/integration/test_protections.py``
removes each in turn and watches the harm it lets through):

1. **Claim** the entry in the ledger: one conditional write. Two runs cannot both be between the
   lookup and the POST of one entry (a scheduler retry, an on-demand run beside the nightly one).
2. **A posted record is final**: the claim is refused and the entry recorded as already posted,
   without asking MyUnisoft, whose lookup may not see a fresh entry yet.
3. **Look it up** in MyUnisoft before posting: an attempt that died after its POST and before the
   ledger write left the entry there; it is found, not posted again. How is the ``existence``
   check's: one lookup per entry (``GET /entry/id?id_origin=``) by default; a sync's run asks
   ``paysync.usecases.existence`` (no call for a period never attempted, else one listing of the
   period, and lookups where the listing cannot be trusted, such as a claim taken over).
4. **POST**, never blindly twice: the client looks the entry up after an answer lost in transit
   (``MyUnisoftClient.create_entry``).
5. **Mark** it posted in the ledger (with its version and fingerprint, when the caller gives
   them, also in the period's record the watch reads: written again by any later attempt that
   finds the entry posted, so a crash between the two writes is mended by the retry).

**The claim is given back on every way out where nothing can have landed**: the lookup failed
(transient or refused), the POST was refused, or every attempt was refused before it could be
applied. It stays only when the POST may have landed (a transient failure after sending,
``MyUnisoftAmbiguousWriteError``): the next attempt of the same run takes it again at once and its
lookup settles it; another run waits for the lease. So a refusal never wedges a later run, and no
POST is ever sent without a lookup made under a held claim.

What each way out becomes: a transient failure is retried (SQS), a refusal is a precise diagnosis
naming MyUnisoft's code and request-id (the run fails for a refused lookup, the entry is blocked for
a refused POST or an entry MyUnisoft says exists but cannot find).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from paysync.domain.diagnoses import DiagnosisKind, myunisoft_doubt
from paysync.domain.models import Run
from paysync.domain.period_states import PostedVersion
from paysync.errors import ConfigurationError, DataError, TransientError
from paysync.myunisoft.client import MyUnisoftClient
from paysync.myunisoft.errors import (
    MyUnisoftAmbiguousWriteError,
    MyUnisoftError,
    MyUnisoftExistsUnfoundError,
    MyUnisoftTransientError,
)
from paysync.myunisoft.models import FoundEntry
from paysync.observability import logger
from paysync.storage.ledger import Ledger, LedgerRecord
from paysync.usecases.diagnose import diagnose_myunisoft
from paysync.usecases.existence import ExistenceCheck, LookupEach


@dataclass(frozen=True)
class Posted:
    """An entry that is in MyUnisoft. ``already``: it was there before (an earlier attempt or run
    posted it), so this run neither created it nor attached its files."""

    entry_id: int | None
    request_id: str | None
    already: bool = False


class EntryBeingPostedError(TransientError):
    """Another live run holds the entry's claim: try again later (its lease bounds the wait)."""

    def __init__(self, partner_id: str, holder: LedgerRecord | None) -> None:
        super().__init__(f"entry {partner_id} is being posted by run {holder.run_id if holder else '?'}")
        self.partner_id = partner_id


class EntryPoster:
    """Posts one run's entries with one MyUnisoft client, following the module's protocol."""

    def __init__(
        self,
        ledger: Ledger,
        client: MyUnisoftClient,
        run: Run,
        *,
        clock: Callable[[], datetime],
        lease: timedelta,
        existence: ExistenceCheck | None = None,
    ) -> None:
        self.ledger = ledger
        self.client = client
        self.run = run
        self.clock = clock
        self.lease = lease
        self.existence = existence or LookupEach(client)
        self._taken_over: set[str] = set()  # entries whose claim was another attempt's, unconfirmed

    def post(self, partner_id: str, body: dict[str, Any], *, version: PostedVersion | None = None) -> Posted:
        claim = self.ledger.claim(
            partner_id,
            run_id=self.run.run_id,
            dossier_id=self.run.dossier_id,
            period=self.run.period,
            now=self.clock(),
            lease=self.lease,
        )
        if claim.posted is not None:
            self._record(version, claim.posted.entry_id)
            return Posted(claim.posted.entry_id, claim.posted.request_id, already=True)
        if not claim.granted:
            raise EntryBeingPostedError(partner_id, claim.record)
        if claim.taken_over:
            self._taken_over.add(partner_id)
        with self._released_unless_sent(partner_id):
            found = self._already_in_myunisoft(partner_id)
            if found is not None:
                entry_id, request_id, already = found.id_entry, self.client.last_request_id, True
            else:
                created = self.client.create_entry(body)
                # recovered: MyUnisoft already had it (an earlier answer was lost, or it said so)
                entry_id, request_id, already = created.entry_id, created.request_id, created.recovered
        self.ledger.mark_posted(
            partner_id,
            run_id=self.run.run_id,
            entry_id=entry_id,
            request_id=request_id,
            now=self.clock(),
            version=version,
        )
        self._record(version, entry_id)
        logger.info(
            "entry in MyUnisoft",
            extra={
                "partner_id": partner_id,
                "entry_id": entry_id,
                "request_id": request_id,
                "already": already,
            },
        )
        return Posted(entry_id, request_id, already=already)

    def _record(self, version: PostedVersion | None, entry_id: int | None) -> None:
        if version is not None:
            posted = replace(
                version, entry_id=entry_id, posted_at=version.posted_at or self.clock().isoformat()
            )
            self.ledger.record_version(self.run.dossier_id, self.run.period, posted)

    def _already_in_myunisoft(self, partner_id: str) -> FoundEntry | None:
        """An attempt that died after its POST left the entry in MyUnisoft: find it, don't repost."""
        try:
            return self.existence.find(partner_id, suspect=partner_id in self._taken_over)
        except MyUnisoftTransientError:
            raise
        except MyUnisoftError as error:
            raise ConfigurationError(
                myunisoft_doubt(
                    "MYUNISOFT-LOOKUP-REFUSED",
                    myunisoft_code=error.code,
                    request_id=error.request_id,
                    partner_id=partner_id,
                )
            ) from None

    @contextmanager
    def _released_unless_sent(self, partner_id: str) -> Iterator[None]:
        """Give the claim back on any failure but one after which the POST may have landed; turn
        MyUnisoft's refusals into diagnoses. A dying worker (not an Exception) gives nothing back."""
        try:
            yield
        except MyUnisoftAmbiguousWriteError:
            raise  # kept: the next attempt's lookup settles whether it landed
        except Exception as error:
            self.ledger.release(partner_id, run_id=self.run.run_id)
            if isinstance(error, MyUnisoftError) and not isinstance(error, MyUnisoftTransientError):
                raise _refusal(error, partner_id) from None
            raise


def _refusal(error: MyUnisoftError, partner_id: str) -> ConfigurationError | DataError:
    """A refused POST: the entry is blocked (its data, or MyUnisoft's doubt), or the run fails."""
    if isinstance(error, MyUnisoftExistsUnfoundError):
        return DataError(
            myunisoft_doubt(
                "MYUNISOFT-EXISTS-UNFOUND",
                myunisoft_code=error.code,
                request_id=error.request_id,
                partner_id=partner_id,
            )
        )
    found = diagnose_myunisoft(error)
    if found.kind is DiagnosisKind.DATA:
        return DataError(found)
    return ConfigurationError(found)
