"""Where each entry of a synced period stands: the watch's state machine, pure.

Three sources are compared, per entry (a Silae group, known by its version-1 partner id, the
*base id*): what Silae says now (its content), what paysync posted (its versions: entries and
reversals, with their fingerprints), and what MyUnisoft holds (the fingerprints of the entries its
listing shows, by partner id; ``None`` when the listing could not be read). The states:

- ``in_sync``: the live version is in MyUnisoft as posted, and Silae still says the same;
- ``changed_in_silae``: Silae's OD changed after posting (or the group is gone from Silae);
- ``deleted_in_myunisoft``: the live version is no longer in MyUnisoft;
- ``changed_in_myunisoft``: someone edited it in MyUnisoft (shown, never overwritten by itself);
- ``new_in_silae``: a group no sync of the period had seen;
- ``not_posted``: seen by a sync, not in MyUnisoft yet (or reversed and its new version not yet);
- ``blocked``: the period's last sync blocked it (its diagnoses say why).

An edit in MyUnisoft wins over a change in Silae: an accountant's correction is never reversed
by paysync on its own. Only ``changed_in_silae``, ``deleted_in_myunisoft`` and ``new_in_silae``
are what a replace fixes (``REPLACEABLE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from paysync.domain.entries import EntryDraft
from paysync.domain.fingerprint import EntryContent, LineDifference, StepKind, differences, parse_partner_id

EntryState = Literal[
    "in_sync",
    "changed_in_silae",
    "deleted_in_myunisoft",
    "changed_in_myunisoft",
    "new_in_silae",
    "not_posted",
    "blocked",
]
REPLACEABLE: frozenset[EntryState] = frozenset({"changed_in_silae", "deleted_in_myunisoft", "new_in_silae"})


@dataclass(frozen=True)
class PostedVersion:
    """One step paysync posted for an entry: a version of it, or the reversal of a version."""

    base_id: str
    partner_id: str
    step: StepKind
    version: int
    label: str
    content: EntryContent
    entry_id: int | None = None
    posted_at: str | None = None

    @property
    def fingerprint(self) -> str:
        return self.content.fingerprint

    def as_json(self) -> dict[str, Any]:
        return {
            "base_id": self.base_id,
            "partner_id": self.partner_id,
            "step": self.step,
            "version": self.version,
            "label": self.label,
            "content": self.content.as_json(),
            "entry_id": self.entry_id,
            "posted_at": self.posted_at,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PostedVersion:
        return cls(
            base_id=str(raw["base_id"]),
            partner_id=str(raw["partner_id"]),
            step=raw["step"],
            version=int(raw["version"]),
            label=str(raw["label"]),
            content=EntryContent.from_json(raw["content"]),
            entry_id=raw.get("entry_id"),
            posted_at=raw.get("posted_at"),
        )


@dataclass(frozen=True)
class PostedEntry:
    """Everything posted for one base id: its versions and reversals."""

    base_id: str
    steps: tuple[PostedVersion, ...]

    @property
    def live(self) -> PostedVersion | None:
        """The version that counts in the books: the newest one not reversed (None: none, e.g. a
        replace reversed it and has not posted the next version yet)."""
        reversed_versions = {s.version for s in self.steps if s.step == "reversal"}
        versions = [s for s in self.steps if s.step == "entry" and s.version not in reversed_versions]
        return max(versions, key=lambda s: s.version, default=None)

    @property
    def last_version(self) -> int:
        return max((s.version for s in self.steps if s.step == "entry"), default=0)


def draft_version(draft: EntryDraft) -> PostedVersion | None:
    """What the period's record keeps of a draft once posted (its step and version read from its
    partner id)."""
    if draft.content is None:
        return None
    base_id, step, version = parse_partner_id(draft.partner_id)
    return PostedVersion(base_id, draft.partner_id, step, version, draft.label, draft.content)


def posted_entries(versions: Iterable[PostedVersion]) -> dict[str, PostedEntry]:
    by_base: dict[str, list[PostedVersion]] = {}
    for version in versions:
        by_base.setdefault(version.base_id, []).append(version)
    return {
        base: PostedEntry(base, tuple(sorted(steps, key=lambda s: (s.version, s.step))))
        for base, steps in by_base.items()
    }


@dataclass(frozen=True)
class SilaeEntry:
    """A group as Silae gives it now: its base id, label and content."""

    base_id: str
    label: str
    content: EntryContent


@dataclass(frozen=True)
class EntryFinding:
    """One entry's state, with what a firm needs to act: versions, ids, totals, differences."""

    base_id: str
    label: str
    state: EntryState
    version: int | None = None  # the live version's number
    partner_id: str | None = None  # the live version's partner id
    entry_id: int | None = None  # its MyUnisoft entry id
    posted_at: str | None = None
    posted: EntryContent | None = None  # what the live version says (as posted)
    current: EntryContent | None = None  # what Silae says now
    in_myunisoft: EntryContent | None = None  # what MyUnisoft holds now, when it differs
    differences: tuple[LineDifference, ...] = ()

    @property
    def replaceable(self) -> bool:
        return self.state in REPLACEABLE


@dataclass(frozen=True)
class PeriodFacts:
    """What the watch gathered about one period."""

    silae: tuple[SilaeEntry, ...]
    posted: Mapping[str, PostedEntry]
    # MyUnisoft's listing: partner id -> what the entry says there; None: no listing (unknown)
    listed: Mapping[str, EntryContent] | None
    seen_by_sync: frozenset[str] = frozenset()  # base ids a sync of the period built
    blocked: frozenset[str] = frozenset()  # base ids the period's last sync blocked
    myunisoft_ids: Mapping[str, int] = field(default_factory=dict)  # partner id -> entry id listed


def entry_states(facts: PeriodFacts) -> list[EntryFinding]:
    """Each entry's state: Silae's groups in their order, then posted entries Silae no longer has."""
    findings: list[EntryFinding] = []
    silae = {entry.base_id: entry for entry in facts.silae}
    for base_id in [*silae, *(b for b in facts.posted if b not in silae)]:
        findings.append(_state(base_id, silae.get(base_id), facts.posted.get(base_id), facts))
    return findings


def _state(
    base_id: str, now: SilaeEntry | None, posted: PostedEntry | None, facts: PeriodFacts
) -> EntryFinding:
    current = now.content if now is not None else None
    live = posted.live if posted is not None else None
    label = now.label if now is not None else (posted.steps[-1].label if posted else base_id)
    if live is None:
        if base_id in facts.blocked:
            state: EntryState = "blocked"
        elif posted is None and facts.seen_by_sync and base_id not in facts.seen_by_sync:
            state = "new_in_silae"
        else:
            state = "not_posted"
        return EntryFinding(base_id, label, state, current=current)
    found = EntryFinding(
        base_id,
        label,
        "in_sync",
        version=live.version,
        partner_id=live.partner_id,
        entry_id=facts.myunisoft_ids.get(live.partner_id, live.entry_id),
        posted_at=live.posted_at,
        posted=live.content,
        current=current,
    )
    if facts.listed is not None:
        there = facts.listed.get(live.partner_id)
        if there is None:
            return _with(found, "deleted_in_myunisoft", differences(live.content, current))
        if there.fingerprint != live.fingerprint:
            return _with(found, "changed_in_myunisoft", differences(live.content, there), in_myunisoft=there)
    if current is None or current.fingerprint != live.fingerprint:
        return _with(found, "changed_in_silae", differences(live.content, current))
    return found


def _with(
    found: EntryFinding,
    state: EntryState,
    diff: list[LineDifference],
    *,
    in_myunisoft: EntryContent | None = None,
) -> EntryFinding:
    from dataclasses import replace

    return replace(found, state=state, differences=tuple(diff), in_myunisoft=in_myunisoft)
