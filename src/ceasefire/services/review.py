"""Reviewing what waits: candidate incidents, possible duplicates, and people's claims.

A *candidate* is an incident extracted from an article or sent by a monitor;
it counts for nothing until a reviewer accepts it (as it is, or edited), merges
it into an event already on the record, or rejects it with a reason. A
*duplicate* is a pair of reports the matcher (`services.events`) scored between
its thresholds: a reviewer links them into one event, or dismisses the pair.
A person may also record who acted (a claim, with its basis), withdraw that
claim, or discount the recorded attribution.

Every function checks the policy first (`incidents.review`, or
`attributions.record` for claims), works in the caller's unit of work, and
appends the decision to the ledger in the same transaction, so the change and
its entry commit together or not at all. An accepted or re-attributed incident
is judged at once: its findings are recomputed in that transaction.

A queue item is named by its *ref*: a candidate by its incident's
`source:source_id` (or its row key), a duplicate pair by the item's id.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from ceasefire.core.errors import InputError
from ceasefire.core.policy import Action, NotFound, Principal, Settings, require
from ceasefire.core.timing import iso
from ceasefire.formats.native import NativeIncident, problems, validate_record
from ceasefire.formats.sources import Content
from ceasefire.services import ledger, users
from ceasefire.services.cases import StateConflict
from ceasefire.services.record import recompute_findings, workspace_region
from ceasefire.services.visibility import incident_sight
from ceasefire.storage.models import REVIEW_KINDS
from ceasefire.storage.record import Record
from ceasefire.storage.review_store import PERSON_KINDS, Item

#: A queue item's id (sha256 hex); anything else is an incident's ref or row key.
ITEM_ID = re.compile(r"[0-9a-f]{64}")
#: Fields of a native record a reviewer may edit (the id and source name the report).
EDITABLE = tuple(k for k in NativeIncident.model_fields if k not in ("id", "source"))
#: Edited fields that are numbers, when a form or the command line gives them as text.
NUMBERS = (
    "place.lon", "place.lat", "place.radius_km", "killed", "killed.low", "killed.best",
    "killed.high",
)  # fmt: skip
#: Edited fields that are lists, when given as text (`gov, russia`).
LISTS = ("perpetrators", "targets")
ROLES = ("perpetrator", "target")
MAX_TEXT = 10_000


class ReviewConflict(StateConflict):
    """The item is not in a state this decision applies to (HTTP 409)."""


# ---------------------------------------------------------------------- what is shown


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue: a candidate, or a pair that may be one event."""

    ref: str
    kind: str
    incident: dict[str, Any]
    other: dict[str, Any] | None = None
    score: float | None = None


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Span:
    """Words of the source's text that the incident's fields rest on (`text[start:end]`)."""

    start: int
    end: int
    label: str
    words: str


@dataclass
class ReviewView:
    """One item with what a reviewer needs to decide it."""

    ref: str
    kind: str
    status: str
    incident: dict[str, Any]
    other: dict[str, Any] | None = None
    score: float | None = None
    decided_by: str | None = None
    reason: str | None = None
    actions: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- resolving refs


def _require_review(who: Principal, settings: Settings) -> None:
    require(who, Action.incidents_review, settings=settings, what="review item")


def _incident(rec: Record, who: Principal, key: int | str, settings: Settings) -> dict[str, Any]:
    """A visible incident by row key or `source:source_id`; `NotFound` otherwise."""
    text = str(key).strip()
    lookup: int | str = int(text) if text.isdigit() else text
    if isinstance(lookup, int) and not 1 <= lookup <= 2**62:
        raise NotFound(f"no incident {text}")
    if isinstance(lookup, str) and ":" not in lookup:
        raise NotFound(f"no incident {text!r}: name one by its row key or source:id")
    found = rec.incidents.get(lookup, sight=incident_sight(who, settings))
    if found is None:
        raise NotFound(f"no incident {text}")
    return found


def ref_of(incident: Mapping[str, Any]) -> str:
    return f"{incident['source']}:{incident['source_id']}"


def _item(rec: Record, ref: str) -> Item | None:
    text = ref.strip().lower()
    return rec.review.item(text) if ITEM_ID.fullmatch(text) else None


def _summary(rec: Record, incident: Mapping[str, Any]) -> dict[str, Any]:
    """What a queue line shows of an incident."""
    pk = int(incident["pk"])
    return {
        "pk": pk,
        "ref": ref_of(incident),
        "status": incident["status"],
        "start": incident["start"],
        "end": incident["end"],
        "place": incident.get("place_name") or incident.get("area_name") or "",
        "act": incident["act"],
        "killed_best": incident.get("killed_best"),
        "source_text": incident.get("source_text") or "",
        "submitted_by": incident.get("submitted_by"),
        "event": _event_ref(rec, pk),
    }


def _event_ref(rec: Record, pk: int) -> str | None:
    event = rec.review.event_of(pk)
    if event is None:
        return None
    labels = rec.incidents.labels([event])
    return str(labels[event]["id"]) if event in labels else None


# ---------------------------------------------------------------------- the queue


def queue(
    rec: Record,
    who: Principal,
    kind: str | None = None,
    *,
    limit: int = 50,
    offset: int = 0,
    settings: Settings | None = None,
) -> QueuePage:
    """A page of what waits: candidates (oldest first), then open duplicate pairs (best first)."""
    settings = settings or Settings()
    _require_review(who, settings)
    if kind is not None and kind not in REVIEW_KINDS:
        raise InputError(f"unknown kind {kind!r}: one of {', '.join(REVIEW_KINDS)}", field="kind")
    if limit < 1 or offset < 0:
        raise InputError("limit must be at least 1 and offset not negative", field="limit")
    sight = incident_sight(who, settings)
    n_candidates = rec.review.count_candidates() if kind in (None, "candidate") else 0
    n_pairs = rec.review.count_items(kind="duplicate") if kind in (None, "duplicate") else 0
    items: list[QueueItem] = []
    if offset < n_candidates:
        for pk in rec.review.candidates(limit=limit, offset=offset):
            found = rec.incidents.get(pk, sight=sight)
            if found is not None:
                items.append(QueueItem(ref_of(found), "candidate", _summary(rec, found)))
    room = limit - len(items)
    if room > 0 and n_pairs:
        start = max(0, offset - n_candidates)
        for it in rec.review.items(kind="duplicate", limit=room, offset=start):
            one = rec.incidents.get(it.incident_pk, sight=sight)
            two = rec.incidents.get(it.other_pk, sight=sight) if it.other_pk else None
            if one is None or two is None:
                continue
            items.append(
                QueueItem(it.id, "duplicate", _summary(rec, one), _summary(rec, two), it.score)
            )
    return QueuePage(items, n_candidates + n_pairs, limit, offset)


def evidence_spans(incident: Mapping[str, Any], claims: Sequence[Mapping[str, Any]]) -> list[Span]:
    """Where in the source's text the place, the actors and the claims' words are."""
    text = str(incident.get("source_text") or "")
    out: list[Span] = []
    for claim in claims:
        span = claim.get("span")
        if isinstance(span, list | tuple) and len(span) == 2:
            s, e = int(span[0]), int(span[1])
            if 0 <= s < e <= len(text):
                out.append(Span(s, e, f"who acted ({claim.get('basis_kind')})", text[s:e]))
    lowered = text.lower()
    words: list[tuple[str, str]] = [("place", str(incident.get("place_name") or ""))]
    for key, label in (("perpetrator_text", "perpetrator"), ("target_text", "target")):
        raw = incident.get(key) or ""
        try:
            named = json.loads(raw) if str(raw).startswith("[") else [raw]
        except ValueError:
            named = [raw]
        words += [(label, str(n)) for n in named if isinstance(n, str)]
    for label, word in words:
        word = word.strip()
        if len(word) < 3:
            continue
        at = lowered.find(word.lower())
        if at >= 0 and not any(s.start <= at < s.end for s in out):
            out.append(Span(at, at + len(word), label, text[at : at + len(word)]))
    return sorted(out, key=lambda s: (s.start, s.end))


def _claims(rec: Record, pk: int) -> list[dict[str, Any]]:
    return rec.review.claims_of(pk)


def _detail(rec: Record, incident: dict[str, Any]) -> dict[str, Any]:
    """An incident with its ref, claims, evidence spans, event and the event's reports."""
    pk = int(incident["pk"])
    claims = _claims(rec, pk)
    reports = rec.review.reports_of(pk)
    labels = rec.incidents.labels(reports)
    reviewed = incident.get("reviewed_at")
    return {
        **incident,
        "reviewed_at": reviewed.isoformat() if isinstance(reviewed, dt.datetime) else reviewed,
        "ref": ref_of(incident),
        "quote": incident.get("source_text") or "",
        "claims": claims,
        "spans": [s.__dict__ for s in evidence_spans(incident, claims)],
        "event": _event_ref(rec, pk),
        "reports": [labels[p]["id"] for p in reports if p in labels],
    }


def show(rec: Record, who: Principal, ref: str, *, settings: Settings | None = None) -> ReviewView:
    """One item: a candidate with its evidence, or a pair of reports side by side."""
    settings = settings or Settings()
    _require_review(who, settings)
    item = _item(rec, ref)
    if item is not None:
        one = _incident(rec, who, item.incident_pk, settings)
        two = _incident(rec, who, item.other_pk, settings) if item.other_pk else None
        actions = ["link", "reject"] if item.status == "open" else []
        if item.status == "linked":
            actions = ["unlink"]
        return ReviewView(
            ref=item.id,
            kind=item.kind,
            status=item.status,
            incident=_detail(rec, one),
            other=_detail(rec, two) if two is not None else None,
            score=item.score,
            decided_by=item.decided_by,
            reason=item.reason,
            actions=actions,
        )
    found = _incident(rec, who, ref, settings)
    status = str(found["status"])
    actions = {
        "candidate": ["accept", "merge", "reject"],
        "accepted": ["link", "unlink"] if rec.review.event_of(int(found["pk"])) else ["link"],
        "rejected": [],
    }.get(status, [])
    return ReviewView(
        ref=ref_of(found),
        kind="candidate" if status in ("candidate", "rejected") else "incident",
        status=status,
        incident=_detail(rec, found),
        decided_by=found.get("reviewed_by"),
        reason=found.get("review_reason"),
        actions=actions,
    )


def nearby(
    rec: Record,
    who: Principal,
    ref: str,
    *,
    days: float = 3.0,
    km: float = 30.0,
    limit: int = 20,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Accepted incidents near this one in time and place, nearest first: the merge picker."""
    settings = settings or Settings()
    _require_review(who, settings)
    found = _incident(rec, who, ref, settings)
    pk = int(found["pk"])
    lon, lat = float(found["lon"]), float(found["lat"])
    reach = km + float(found.get("radius_m") or 0.0) / 1000.0
    dlat = reach / 111.0
    dlon = reach / max(1e-6, 111.0 * math.cos(math.radians(lat)))
    window = int(days * 86_400)
    listed = rec.incidents.find(
        start=int(found["t0"]) - window,
        end=int(found["t1"]) + window,
        bbox=(lon - dlon, lat - dlat, lon + dlon, lat + dlat),
        status="accepted",
        sight=incident_sight(who, settings),
        limit=500,
    )
    out = []
    for other in listed:
        if int(other["pk"]) == pk:
            continue
        x = (float(other["lon"]) - lon) * 111.0 * math.cos(math.radians(lat))
        y = (float(other["lat"]) - lat) * 111.0
        summary = _summary(rec, other)
        summary["km"] = round(math.hypot(x, y), 1)
        out.append(summary)
    out.sort(key=lambda o: (o["km"], o["start"], o["ref"]))
    return out[:limit]


# ---------------------------------------------------------------------- deciding


def _log(
    rec: Record, who: Principal, action: str, payload: dict[str, Any], signer: ledger.Signer
) -> None:
    """The decision's ledger entry, in the change's transaction (never signed for an own key)."""
    row = rec.users.get(who.name)
    if row is None:
        raise ledger.LedgerRefused(
            f"{action} is signed on the ledger by a registered user: act as one "
            "(`--as NAME` on the command line)",
            field="user",
        )
    users.require_server_key(row, signer, action)
    ledger.append(rec, who.name, action, payload, signer=signer)


def _text(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError("must not be blank", field=name)
    if len(text) > MAX_TEXT:
        raise InputError(f"is longer than {MAX_TEXT} characters", field=name)
    return text


def _candidate(rec: Record, who: Principal, ref: str, settings: Settings) -> dict[str, Any]:
    found = _incident(rec, who, ref, settings)
    if found["status"] != "candidate":
        raise ReviewConflict(
            f"incident {ref_of(found)} is {found['status']}, not a candidate awaiting review"
        )
    return found


def native_record(incident: Mapping[str, Any]) -> dict[str, Any]:
    """A stored incident as the native record it would be read from (times in UTC)."""
    place: dict[str, Any] = {"lon": incident["lon"], "lat": incident["lat"]}
    place["radius_km"] = float(incident.get("radius_m") or 0.0) / 1000.0
    if incident.get("place_name"):
        place["name"] = incident["place_name"]
    if incident.get("area_code"):
        place["area"] = incident["area_code"]
    time: dict[str, Any] = {"start": _utc(incident["t0"]), "end": _utc(incident["t1"])}
    if incident.get("time_precision"):
        time["precision"] = incident["time_precision"]
    out: dict[str, Any] = {
        "id": str(incident["source_id"]),
        "source": incident["source"],
        "time": time,
        "place": place,
        "act": incident["act"],
        "perpetrators": [
            {"actor": actor, "claimed_by": by}
            for by, actors in incident.get("perpetrators") or []
            for actor in actors
        ],
        "targets": [str(t) for t in incident.get("targets") or []],
        "directed": bool(incident.get("directed", True)),
    }
    killed = {
        k: incident.get(f"killed_{k}")
        for k in ("low", "best", "high")
        if incident.get(f"killed_{k}") is not None
    }
    if killed:
        out["killed"] = killed
    if incident.get("source_text"):
        out["quote"] = incident["source_text"]
    return out


def _utc(seconds: Any) -> str:
    text = iso(int(seconds))
    return text if text == "open" else text.replace("Z", "+00:00")


def _coerce(path: str, value: Any) -> Any:
    if isinstance(value, str) and path in NUMBERS:
        text = value.strip()
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise InputError(f"{value!r} is not a number", field=path) from None
        if not math.isfinite(number):
            raise InputError(f"{value!r} is not a number", field=path)
        return number
    if isinstance(value, str) and path in LISTS:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def apply_edits(record: dict[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """The record with each `field.sub=value` edit applied; unknown fields are refused."""
    out = json.loads(json.dumps(record))
    for raw_path, value in edits.items():
        path = str(raw_path).strip()
        parts = path.split(".")
        if parts[0] not in EDITABLE or len(parts) > 2 or not all(parts):
            allowed = ", ".join(EDITABLE)
            raise InputError(f"is not a field a reviewer may edit ({allowed})", field=path)
        value = _coerce(path, value)
        if parts[0] == "time" and isinstance(out.get("time"), dict):
            out["time"].pop("precision", None)  # follows from the new start and end
            if parts[1:] == ["start"] and "end" not in edits and "time.end" not in edits:
                out["time"].pop("end", None)
        if len(parts) == 1:
            if value is None:
                out.pop(parts[0], None)
            else:
                out[parts[0]] = value
            continue
        parent = out.get(parts[0])
        if not isinstance(parent, dict):
            parent = {} if parent is None else {"best": parent}
            out[parts[0]] = parent
        if value is None:
            parent.pop(parts[1], None)
        else:
            parent[parts[1]] = value
    return out


def _edited(rec: Record, incident: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    """Store the candidate as edited (validated as a native record); returns the edits made."""
    from ceasefire.formats.incidents import read_incidents

    record = apply_edits(native_record(incident), edits)
    try:
        validate_record(record)
    except ValidationError as exc:
        where, message = problems(exc)[0]
        raise InputError(message, field=where) from None
    catalogue = rec.agreements.catalogue()
    try:
        table, _ = read_incidents(
            Content(json.dumps(record), "edits.jsonl"),
            catalogue.actors,
            format="jsonl",
            region=workspace_region(rec),
        )
    except InputError as exc:
        raise InputError(exc.message, field=exc.field or "edits") from None
    rows = rec.incidents.rows(table)
    rec.incidents.upsert(
        rows,
        np.arange(len(table), dtype=np.int64),
        status="candidate",
        submitted_by=incident.get("submitted_by"),
    )
    return {str(k).strip(): v for k, v in edits.items()}


def accept(
    rec: Record,
    who: Principal,
    ref: str,
    edits: Mapping[str, Any] | None = None,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> ReviewView:
    """Accept a candidate (edited first, if `edits`): it is judged at once, in this transaction."""
    settings = settings or Settings()
    _require_review(who, settings)
    found = _candidate(rec, who, ref, settings)
    pk, incident_ref = int(found["pk"]), ref_of(found)
    made = _edited(rec, found, edits) if edits else {}
    rec.review.set_status(pk, "accepted", who.name)
    for it in rec.review.items(kind="candidate", incident_pk=pk, limit=None):
        rec.review.decide(it.id, "accepted", who.name)
    recompute_findings(rec, [pk])
    payload = {"incident": incident_ref, "edits": made, "status": "accepted"}
    _log(rec, who, "incident.accept", payload, signer)
    return show(rec, who, incident_ref, settings=settings)


def _event(rec: Record, pk: int) -> int:
    return rec.review.event_of(pk) or pk


def _refs(rec: Record, pks: Sequence[int]) -> list[str]:
    labels = rec.incidents.labels(pks)
    return [str(labels[p]["id"]) for p in pks if p in labels]


def merge(
    rec: Record,
    who: Principal,
    ref: str,
    into: str,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> ReviewView:
    """The candidate reports an event already on the record: accepted, and linked into it."""
    settings = settings or Settings()
    _require_review(who, settings)
    found = _candidate(rec, who, ref, settings)
    if not str(into or "").strip():
        raise InputError("name the incident this one is a report of", field="into")
    try:
        target = _incident(rec, who, into, settings)
    except NotFound:
        raise InputError(f"no incident {into!r} to merge into", field="into") from None
    if target["status"] != "accepted":
        raise InputError(
            f"incident {ref_of(target)} is {target['status']}: merge into an accepted one",
            field="into",
        )
    pk = int(found["pk"])
    event = _event(rec, int(target["pk"]))
    if event == pk:
        raise InputError("an incident cannot be merged into itself", field="into")
    moved = _refs(rec, rec.review.reports_of(pk))
    rec.review.set_status(pk, "accepted", who.name)
    rec.review.link(pk, event, who.name)
    for it in rec.review.items(kind="candidate", incident_pk=pk, limit=None):
        rec.review.decide(it.id, "merged", who.name)
    recompute_findings(rec, [pk])
    payload = {
        "incident": ref_of(found),
        "into": _refs(rec, [event])[0],
        "score": None,
        "status": "accepted",
        "moved": moved,
    }
    _log(rec, who, "incident.merge", payload, signer)
    return show(rec, who, ref_of(found), settings=settings)


def reject(
    rec: Record,
    who: Principal,
    ref: str,
    reason: str,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> ReviewView:
    """Reject a candidate with a reason (kept, seen only by reviewers), or dismiss a pair."""
    settings = settings or Settings()
    _require_review(who, settings)
    why = _text(reason, "reason")
    item = _item(rec, ref)
    if item is not None and item.kind == "duplicate":
        if item.status != "open":
            raise ReviewConflict(f"the pair {item.id[:12]}… is {item.status}, not open")
        one = _incident(rec, who, item.incident_pk, settings)
        two = _incident(rec, who, item.other_pk or 0, settings)
        rec.review.decide(item.id, "dismissed", who.name, why)
        payload = {"incident": ref_of(one), "other": ref_of(two), "reason": why}
        _log(rec, who, "incident.dismiss", payload, signer)
        return show(rec, who, item.id, settings=settings)
    found = _candidate(rec, who, ref, settings)
    pk = int(found["pk"])
    rec.review.set_status(pk, "rejected", who.name, reason=why)
    for it in rec.review.items(incident_pk=pk, limit=None):
        rec.review.decide(it.id, "rejected" if it.kind == "candidate" else "dismissed", who.name)
    payload = {"incident": ref_of(found), "reason": why, "status": "rejected"}
    _log(rec, who, "incident.reject", payload, signer)
    return show(rec, who, ref_of(found), settings=settings)


def _accepted(rec: Record, who: Principal, key: int | str, settings: Settings) -> dict[str, Any]:
    found = _incident(rec, who, key, settings)
    if found["status"] != "accepted":
        raise ReviewConflict(
            f"incident {ref_of(found)} is {found['status']}: accept or merge it first"
        )
    return found


def link(
    rec: Record,
    who: Principal,
    ref: str,
    into: str | None = None,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> ReviewView:
    """Two reports are of one event: `ref` (a pair, or an incident) is linked into `into`.

    For a pair without `into`, the report already standing for an event (else the
    older) is the event's representative.
    """
    settings = settings or Settings()
    _require_review(who, settings)
    item = _item(rec, ref)
    score: float | None = None
    if item is not None:
        if item.status != "open" or item.other_pk is None:
            raise ReviewConflict(f"the pair {item.id[:12]}… is {item.status}, not open")
        one = _accepted(rec, who, item.incident_pk, settings)
        two = _accepted(rec, who, item.other_pk, settings)
        pair = {int(one["pk"]): one, int(two["pk"]): two}
        if into:
            chosen = _incident(rec, who, into, settings)
            if int(chosen["pk"]) not in pair:
                raise InputError("name one of the pair as the event", field="into")
            event_pk = int(chosen["pk"])
        else:
            linked = [p for p in sorted(pair) if rec.review.reports_of(p)]
            event_pk = linked[0] if linked else min(pair)
        report = pair[next(p for p in pair if p != event_pk)]
        event = _event(rec, event_pk)
        score = item.score
    else:
        report = _accepted(rec, who, ref, settings)
        if not str(into or "").strip():
            raise InputError("name the incident this one is a report of", field="into")
        try:
            event = _event(rec, int(_accepted(rec, who, str(into), settings)["pk"]))
        except NotFound:
            raise InputError(f"no incident {into!r} to link into", field="into") from None
    pk = int(report["pk"])
    if event == pk or rec.review.event_of(pk) == event:
        raise ReviewConflict(f"incident {ref_of(report)} is already a report of that event")
    moved = _refs(rec, rec.review.reports_of(pk))
    rec.review.link(pk, event, who.name, score=score)
    if item is not None:
        rec.review.decide(item.id, "linked", who.name)
    payload = {
        "incident": ref_of(report),
        "into": _refs(rec, [event])[0],
        "score": score,
        "moved": moved,
    }
    _log(rec, who, "incident.link", payload, signer)
    return show(rec, who, item.id if item is not None else ref_of(report), settings=settings)


def unlink(
    rec: Record,
    who: Principal,
    ref: str,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> ReviewView:
    """A report linked into an event is its own event again (a linked pair: its report)."""
    settings = settings or Settings()
    _require_review(who, settings)
    item = _item(rec, ref)
    if item is not None:
        pks = [item.incident_pk, *([item.other_pk] if item.other_pk else [])]
        linked = [p for p in pks if rec.review.event_of(p) is not None]
        if not linked:
            raise ReviewConflict("neither report of the pair is linked into an event")
        found = _incident(rec, who, linked[0], settings)
    else:
        found = _incident(rec, who, ref, settings)
    pk = int(found["pk"])
    if not rec.review.unlink(pk):
        raise ReviewConflict(f"incident {ref_of(found)} is not linked into an event")
    if item is not None and item.status == "linked":
        rec.review.decide(item.id, "dismissed", who.name, "unlinked")
    _log(rec, who, "incident.unlink", {"incident": ref_of(found)}, signer)
    return show(rec, who, item.id if item is not None else ref_of(found), settings=settings)


# ---------------------------------------------------------------------- people's claims


def _recordable(
    rec: Record, who: Principal, pk: int | str, settings: Settings | None
) -> dict[str, Any]:
    """The incident a person's claim, withdrawal or discount is about, once they may record one."""
    settings = settings or Settings()
    require(who, Action.attributions_record, settings=settings, what="attribution")
    return _incident(rec, who, pk, settings)


def _actors(rec: Record, actors: Sequence[str]) -> list[str]:
    known = rec.agreements.actors().actors
    names = [str(a).strip() for a in actors if str(a).strip()]
    if not names:
        raise InputError("name at least one actor", field="actors")
    unknown = [a for a in names if a not in known]
    if unknown:
        raise InputError(f"unknown actor id {unknown[0]!r}", field="actors")
    return list(dict.fromkeys(names))


def claim(
    rec: Record,
    who: Principal,
    pk: int | str,
    actors: Sequence[str],
    basis: str,
    *,
    role: str = "perpetrator",
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> str:
    """A person's claim of who acted (or was hit), with its basis; returns the claim's id."""
    found = _recordable(rec, who, pk, settings)
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: one of {', '.join(ROLES)}", field="role")
    named = _actors(rec, actors)
    why = _text(basis, "basis")
    by = f"user:{who.name}"
    ident = rec.attributions.add(
        int(found["pk"]),
        role=role,
        actors=named,
        claimed_by=by,
        basis_kind="person",
        basis=why,
        created_by=who.name,
    )
    recompute_findings(rec, [int(found["pk"])])
    payload = {
        "attribution": ident,
        "incident": ref_of(found),
        "actors": named,
        "role": role,
        "claimed_by": by,
        "basis": why,
    }
    _log(rec, who, "attribution.claim", payload, signer)
    return str(ident)


def _person_claim(rec: Record, pk: int, ident: str) -> Any:
    row = rec.attributions.get(ident)
    if row is None or int(row["incident_pk"]) != pk or row["basis_kind"] not in PERSON_KINDS:
        raise NotFound(f"no claim {ident!r} recorded by a person on this incident")
    return row.get


def withdraw(
    rec: Record,
    who: Principal,
    pk: int | str,
    attribution: str,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> None:
    """Withdraw a person's claim (or discount); the incident is judged again."""
    found = _recordable(rec, who, pk, settings)
    get = _person_claim(rec, int(found["pk"]), str(attribution))
    if get("status") != "active":
        raise ReviewConflict(f"claim {attribution!r} is already {get('status')}")
    rec.attributions.set_status(str(attribution), "withdrawn")
    recompute_findings(rec, [int(found["pk"])])
    payload = {"attribution": str(attribution), "incident": ref_of(found)}
    _log(rec, who, "attribution.withdraw", payload, signer)


def discount(
    rec: Record,
    who: Principal,
    pk: int | str,
    reason: str,
    *,
    signer: ledger.Signer,
    settings: Settings | None = None,
) -> str:
    """A person finds the recorded attribution wrong: its grade becomes `discounted`."""
    found = _recordable(rec, who, pk, settings)
    why = _text(reason, "reason")
    by = f"user:{who.name}"
    ident = rec.attributions.add(
        int(found["pk"]),
        role="perpetrator",
        actors=[],
        claimed_by=by,
        basis_kind="discount",
        basis=why,
        created_by=who.name,
    )
    recompute_findings(rec, [int(found["pk"])])
    payload = {"attribution": ident, "incident": ref_of(found), "reason": why, "claimed_by": by}
    _log(rec, who, "attribution.discount", payload, signer)
    return str(ident)


__all__ = [
    "QueueItem",
    "QueuePage",
    "ReviewConflict",
    "ReviewView",
    "Span",
    "accept",
    "apply_edits",
    "claim",
    "discount",
    "evidence_spans",
    "link",
    "merge",
    "native_record",
    "nearby",
    "queue",
    "reject",
    "show",
    "unlink",
    "withdraw",
]
