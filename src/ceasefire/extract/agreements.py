"""Agreement statements: which truce, where, from when, for how long, excluding whom.

Each sentence that names an agreement ("regime of quiet", "cessation of
hostilities", "cease-fire", "truce", or "the agreement" once one is known)
is a mention. Mentions are grouped into agreements: one with the same start
date, else the same specific kind, else by tense (a past agreement — "the
cease-fire forged earlier this year", a start weeks before publication — or
the one the article announces); "the agreement" or "that truce" right after a
mention is the agreement just mentioned. Each agreement collects:

- `zones`: places after the agreement word or after "cover", "include",
  "extend to", "in", "for" — not those after "does not include", "excluding",
  "outside", nor "the outskirts of X", nor places after an act word (they
  belong to an incident); the country is dropped when a part of it is named;
- `not_covered`: places after "does not include", "not cover", "leaves out",
  "excluding";
- `start` (local, with `timezone`): a time near "begin", "take effect",
  "implementation", "from", or an announced midnight;
- `readings`: a speaker's duration ("Russia said would last 72 hours") or an
  open end ("the State Department said was open-ended");
- `excluded`: actors before "were excluded" or after "excluding", "except".
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ceasefire.extract.analysis import NEAR_BEFORE, Analysis, PlaceMention
from ceasefire.extract.dates import When, utc_iso
from ceasefire.extract.numbers import word_number

KIND_ORDER = (
    "regime_of_quiet", "cessation_of_hostilities", "humanitarian_pause", "ceasefire", "truce",
    "generic",
)  # fmt: skip
SPECIFIC = frozenset({"regime_of_quiet", "cessation_of_hostilities", "humanitarian_pause"})
FUTURE_CUES = frozenset(
    "will would to starting from begin begins start starts effective shall as coming".split()
)
PAST_MARKERS = (
    "original", "previous", "earlier this year", "last year", "last month", "first month",
    "forged", "collapsed", "collapse",
)  # fmt: skip
UNIT_CODE = {"hour": "h", "day": "d", "week": "w", "month": "d"}


@dataclass
class Mention:
    sent: int
    kind: str
    keyword: tuple[int, int]
    start: When | None = None
    past: bool = False
    zones: list[PlaceMention] = field(default_factory=list)
    not_covered: list[PlaceMention] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    readings: list[dict[str, Any]] = field(default_factory=list)
    duration: str | None = None
    open_ended: bool = False
    announced_by: list[str] = field(default_factory=list)
    parties: list[str] = field(default_factory=list)


@dataclass
class Agreement:
    kind: str
    mentions: list[Mention] = field(default_factory=list)
    start: When | None = None
    past: bool = False
    keyword: str = ""


def _duration_code(text: str) -> str | None:
    """`72 hours` -> `72h`, `three days` -> `3d`, `72-hour` -> `72h`, `a week` -> `1w`."""
    m = re.match(r"^\s*(.+?)\s*-?\s*(hour|day|week|month)s?\s*$", text.lower().replace("-", " "))
    if not m:
        return None
    amount = word_number(m.group(1).split())
    if amount is None or amount <= 0:
        return None
    unit = m.group(2)
    if unit == "month":
        return f"{amount * 30}d"
    return f"{amount}{UNIT_CODE[unit]}"


def _terms(an: Analysis, label: str, k: int) -> list[tuple[str, int, int]]:
    return an.hits_in("term:" + label, k)


def _mention(an: Analysis, k: int, hits: list[tuple[str, int, int]], known: bool) -> Mention | None:
    labels = [h[0].removeprefix("AGR_") for h in hits]
    kind = min(labels, key=KIND_ORDER.index)
    begin = _terms(an, "BEGIN", k)
    durations = _terms(an, "DURATION", k)
    open_ended = _terms(an, "OPEN_ENDED", k)
    if kind == "generic" and not (known or begin or durations or open_ended):
        return None
    kw = next(h for h in hits if h[0].removeprefix("AGR_") == kind)
    mention = Mention(k, kind, (kw[1], kw[2]))
    sent = an.sents[k]
    words = set(an.lower[sent.start : sent.end])
    future = bool(words & FUTURE_CUES) and bool(begin)
    times = [w for w in an.times_in(k, future=future) if not w.running]
    for when in times:
        near_begin = any(
            abs(an.doc.char_span(*when.span, alignment_mode="expand").start - s) <= 5  # type: ignore[union-attr]
            or abs(an.doc.char_span(*when.span, alignment_mode="expand").end - e) <= 5  # type: ignore[union-attr]
            for _, s, e in begin
        )
        if when.precision == "exact" or near_begin:
            mention.start = when
            break
    text = sent.text.lower()
    week_ago = an.published - dt.timedelta(days=7)
    if mention.start is not None and mention.start.start.date() < week_ago:
        mention.past = True
    if any(marker in text for marker in PAST_MARKERS):
        mention.past = True
    if any(w.end.date() <= week_ago for w in an.times_in(k) if not w.running):
        mention.past = True
    _places(an, k, mention)
    _excluded(an, k, mention)
    _readings(an, k, mention, durations, open_ended)
    _parties(an, k, mention)
    return mention


def _places(an: Analysis, k: int, mention: Mention) -> None:
    sent = an.sents[k]
    negations = _terms(an, "NOT_COVER", k)
    covers = _terms(an, "COVER", k)
    acts = [s for label, s, _ in an.hits_in("act", k) if label.startswith("ACT_")]
    kw_start, kw_end = mention.keyword
    for p in an.in_sent(an.places, k):
        before = " ".join(an.words(p.start - 3, p.start))
        if any(s < p.start and p.start - e <= 4 for _, s, e in negations):
            mention.not_covered.append(p)
            continue
        after = an.words(p.end, p.end + 4)
        if "not" in after[:3] and any(
            w in ("covered", "included", "include", "part") for w in after
        ):
            mention.not_covered.append(p)
            continue
        if before.endswith(NEAR_BEFORE) or before.endswith(("site of", "city of")):
            continue
        if any(kw_end <= s < p.start for s in acts) or any(s < p.start for s in acts if s > kw_end):
            continue
        after_keyword = kw_start < p.start and p.start - kw_end <= 18
        after_cover = any(e <= p.start and p.start - e <= 2 for _, s, e in covers)
        before_keyword = p.end <= kw_start and kw_start - p.end <= 1  # "the Aleppo truce"
        if (after_keyword or (after_cover and p.start > kw_start) or before_keyword) and (
            p.start < sent.end
        ):
            mention.zones.append(p)


def _excluded(an: Analysis, k: int, mention: Mention) -> None:
    actors = [m for m in an.in_sent(an.actors, k) if not m.is_source]
    for _, s, e in _terms(an, "EXCLUDE", k):
        word = an.doc[s].lower_
        if word in ("excluding", "except", "exclude", "excludes"):
            found = [m.id for m in actors if e <= m.start <= e + 12]
        else:
            found = [m.id for m in actors if m.end <= s and s - m.end <= 25]
        for ident in found:
            if ident not in mention.excluded:
                mention.excluded.append(ident)


def _readings(
    an: Analysis,
    k: int,
    mention: Mention,
    durations: list[tuple[str, int, int]],
    open_ended: list[tuple[str, int, int]],
) -> None:
    sent = an.sents[k]
    says = [sp for sp in an.speeches if sent.start <= sp.start < sent.end and sp.kind == "SAY"]
    terms = [("duration", s, e) for _, s, e in durations] + [
        ("open", s, e) for _, s, e in open_ended
    ]
    terms.sort(key=lambda t: t[1])
    claimed: set[int] = set()
    for n, sp in enumerate(says):
        limit = says[n + 1].start if n + 1 < len(says) else sent.end
        for kind, s, e in terms:
            if sp.end <= s < limit and s not in claimed and sp.claimant:
                claimed.add(s)
                reading: dict[str, Any] = {"by": sp.claimant, "text": an.doc[s:e].text}
                if kind == "duration":
                    code = _duration_code(an.doc[s:e].text)
                    if code is None:
                        continue
                    reading["duration"] = code
                else:
                    reading["end"] = None
                    reading["open_ended"] = True
                reading["evidence"] = [list(an.char_span(s, e))]
                mention.readings.append(reading)
                break
    for kind, s, e in terms:
        if s in claimed:
            continue
        if kind == "duration":
            code = _duration_code(an.doc[s:e].text)
            if code and mention.duration is None:
                mention.duration = code
        else:
            mention.open_ended = True


def _parties(an: Analysis, k: int, mention: Mention) -> None:
    actors = [m for m in an.in_sent(an.actors, k) if not m.is_source]
    for _, s, e in _terms(an, "AGREE_VERB", k):
        for m in actors:
            if m.end <= s and s - m.end <= 8 and m.id not in mention.announced_by:
                mention.announced_by.append(m.id)
            if e <= m.start <= e + 6 and "with" in an.words(e, m.start + 1):
                if m.id not in mention.parties:
                    mention.parties.append(m.id)
    for sp in an.speeches:
        sent = an.sents[k]
        if sent.start <= sp.start < mention.keyword[0] and sp.kind == "SAY" and sp.claimant:
            subjects = [m.id for m in actors if m.end <= sp.start and sp.start - m.end <= 6]
            for ident in subjects or [sp.claimant]:
                if ident not in mention.announced_by and ident in {m.id for m in actors}:
                    mention.announced_by.append(ident)


def _group(mentions: list[Mention]) -> list[Agreement]:
    agreements: list[Agreement] = []
    last: tuple[int, Agreement] | None = None
    for m in mentions:
        target: Agreement | None = None
        plain = m.kind not in SPECIFIC and m.start is None and not m.past
        if plain and last is not None and m.sent - last[0] <= 2:
            target = last[1]  # "that truce", "the agreement": the one just mentioned
        if target is None and m.start is not None:
            target = next(
                (a for a in agreements if a.start and a.start.start == m.start.start), None
            )
        if target is None and m.kind in SPECIFIC:
            target = next((a for a in agreements if a.kind == m.kind), None)
        if target is None and m.past:
            target = next((a for a in reversed(agreements) if a.past), None)
        if target is None and m.kind in SPECIFIC:
            generic = [a for a in agreements if a.kind not in SPECIFIC]
            same = [a for a in generic if a.past == m.past]
            target = (same or generic)[0] if generic else None
        if target is None and not m.past and m.kind not in SPECIFIC:
            target = next((a for a in agreements if not a.past), None)
        if target is None:
            target = Agreement(m.kind, past=m.past)
            agreements.append(target)
        target.mentions.append(m)
        if KIND_ORDER.index(m.kind) < KIND_ORDER.index(target.kind):
            target.kind = m.kind
        if target.start is None and m.start is not None:
            target.start = m.start
        target.past = target.past or (m.past and m.start is not None)
        last = (m.sent, target)
    return agreements


def _place_dict(p: PlaceMention) -> dict[str, Any]:
    place = p.place
    out: dict[str, Any] = {
        "name": p.text,
        "gazetteer_name": place.name,
        "gazetteer_id": place.id,
        "precision": p.precision,
        "lon": round(place.lon, 5),
        "lat": round(place.lat, 5),
        "radius_km": round(p.radius_km, 1),
        "admin1": place.admin1 or None,
    }
    if p.precision in ("governorate", "country"):
        out["area"] = place.id
        out["geometry"] = f"bundled:{place.id}"
    return out


def _unique_places(items: list[PlaceMention]) -> list[PlaceMention]:
    seen: set[str] = set()
    out = []
    for p in items:
        if p.place.id not in seen:
            seen.add(p.place.id)
            out.append(p)
    return out


def agreement_dicts(an: Analysis, source: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Agreements the article states, and the parties' claims about their terms."""
    mentions: list[Mention] = []
    for k in range(len(an.sents)):
        hits = an.hits_in("agr", k)
        if not hits and mentions and mentions[-1].sent == k - 1:
            # "Russia said it would last three days": terms of the agreement just named
            if _terms(an, "DURATION", k) or _terms(an, "OPEN_ENDED", k):
                first = an.sents[k].start
                hits = [("AGR_generic", first, first)]
        if not hits:
            continue
        mention = _mention(an, k, hits, known=bool(mentions))
        if mention is not None:
            mentions.append(mention)
    out: list[dict[str, Any]] = []
    claims: list[dict[str, Any]] = []
    for n, agreement in enumerate(_group(mentions), start=1):
        ident = f"{source}-a{n}"
        not_covered = _unique_places([p for m in agreement.mentions for p in m.not_covered])
        blocked = {p.place.id for p in not_covered}
        zones = _unique_places(
            [p for m in agreement.mentions for p in m.zones if p.place.id not in blocked]
        )
        if any(z.precision != "country" for z in zones):
            zones = [z for z in zones if z.precision != "country"]
        readings: list[dict[str, Any]] = []
        for m in agreement.mentions:
            for r in m.readings:
                if all(x["by"] != r["by"] for x in readings):
                    readings.append(r)
        excluded = list(dict.fromkeys(x for m in agreement.mentions for x in m.excluded))
        durations = [m.duration for m in agreement.mentions if m.duration]
        start = agreement.start
        record: dict[str, Any] = {
            "id": ident,
            "kind": agreement.kind if agreement.kind != "generic" else "ceasefire",
            "title": _title(an, agreement),
            "zones": [_place_dict(z) for z in zones],
            "not_covered": [_place_dict(p) for p in not_covered],
            "start": start.start.replace(tzinfo=None).isoformat(timespec="minutes")
            if start
            else None,
            "timezone": an.tz.key,
            "start_utc": utc_iso(start.start) if start else None,
            "start_precision": start.precision if start else None,
            "start_text": start.text if start else None,
            "duration": durations[0] if durations else None,
            "open_ended": any(m.open_ended for m in agreement.mentions) or None,
            "readings": [
                {key: r[key] for key in ("by", "duration", "end", "open_ended", "text") if key in r}
                for r in readings
            ],
            "excluded": excluded,
            "announced_by": list(
                dict.fromkeys(x for m in agreement.mentions for x in m.announced_by)
            ),
            "parties": list(dict.fromkeys(x for m in agreement.mentions for x in m.parties)),
            "past": agreement.past,
            "evidence": [
                [an.sents[m.sent].start_char, an.sents[m.sent].end_char] for m in agreement.mentions
            ],
            "confidence": _confidence(agreement, zones, readings),
        }
        out.append(record)
        for r in readings:
            speaker = an.table.actors.get(r["by"])
            term = f"lasts {r['duration']}" if "duration" in r else "is open-ended"
            claims.append(
                {
                    "id": "",
                    "by": r["by"],
                    "by_name": speaker.name if speaker else None,
                    "verb": "said",
                    "about": ident,
                    "role": "agreement_term",
                    "incident": None,
                    "statement": f"the {record['kind'].replace('_', ' ')} {term}",
                    "evidence": r["evidence"],
                }
            )
    return out, claims


def _title(an: Analysis, agreement: Agreement) -> str:
    """The words that name the agreement's kind ("regime of quiet"), else its first name."""
    named = [m for m in agreement.mentions if m.kind == agreement.kind] or agreement.mentions
    return an.doc[slice(*named[0].keyword)].text


def _confidence(agreement: Agreement, zones: list[PlaceMention], readings: list[Any]) -> float:
    score = 0.4
    if agreement.kind != "generic":
        score += 0.1
    if agreement.start is not None:
        score += 0.15
    if zones:
        score += 0.15
    if readings:
        score += 0.1
    return round(min(score, 0.95), 2)
