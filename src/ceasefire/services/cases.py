"""Allegations and rulings: filing, answer, review, ruling, sign-off, publication, escalation.

The life of an allegation:

    submitted --review--> under_review --rule--> ruled --publish--> published
        \\______________withdraw______________/

A ruling is *joint* once every member of its panel (the agreement's
`adjudicators` when it was proposed) has signed, agreeing or dissenting. Only a
joint ruling can be published before the deadline (`due_at`, filing time plus
the agreement's `ruling_due_days`). After the deadline, a case without a joint
ruling can be published as `no_joint_ruling`, listing each member's stated
position or their silence: the record shows who did not rule.

Every change is appended to the ledger in the same transaction. Each mutating
function locks the ledger head before reading, so changes to cases are applied
one after another and none works from a stale state. The caller owns the unit
of work (the `Record` in `CaseContext.rec`): a step's change and its ledger entry
commit together when the record does, or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ceasefire.core.engine import TEXT
from ceasefire.core.model import Agreement
from ceasefire.core.policy import (
    Action,
    CaseFacts,
    NotFound,
    Principal,
    Rule,
    Settings,
    can,
    require,
    role_of,
    rule_for,
)
from ceasefire.services import ledger, users
from ceasefire.services.visibility import IncidentSource, incident_visible, visible_incident
from ceasefire.storage.cases import (
    OPEN_STATUSES,
    OUTCOMES,
    POSITIONS,
    PUBLISHED,
    Allegation,
    AllegationIncident,
    Answer,
    Evidence,
    Referral,
    Ruling,
    Signature,
)
from ceasefire.storage.cases_store import CaseFilter, CaseStore, Scope, case_facts

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

INCIDENT_REF = re.compile(r"^[A-Za-z0-9_.-]+:\S+$")
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
OPEN = OPEN_STATUSES
#: Outcomes a panel may propose; `no_joint_ruling` is only ever the deadline's verdict.
PROPOSABLE = tuple(o for o in OUTCOMES if o != "no_joint_ruling")
NO_PROPOSAL = "No ruling was proposed before the deadline."


class CaseError(Exception):
    """A case request that cannot be carried out; `status` is the HTTP status for the API."""

    status = 409


class InvalidRequest(CaseError):
    status = 422


class StateConflict(CaseError):
    status = 409


class AgreementLookup(Protocol):
    """Where agreement terms come from (a `Catalogue`, or the stored agreements)."""

    def agreement(self, agreement_id: str) -> Agreement: ...  # KeyError when unknown


class StoredAgreements:
    """Agreement terms as loaded into the record (`ceasefire agreements load`)."""

    def __init__(self, rec: Record) -> None:
        self.store = rec.agreements

    def agreement(self, agreement_id: str) -> Agreement:
        found = self.store.agreement(agreement_id)
        if found is None:
            raise KeyError(agreement_id)
        return found


def stored_incident_status(rec: Record) -> Callable[[str], str | None] | None:
    """The status of an incident `source:source_id` in the record; None if it holds none."""
    store = rec.cases
    return store.incident_status if store.holds_incidents() else None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CaseContext:
    """What every case operation needs: the unit of work, a signer, the terms, a clock."""

    rec: Record
    signer: ledger.Signer
    agreements: AgreementLookup
    clock: Callable[[], dt.datetime] = utcnow
    settings: Settings = field(default_factory=Settings)
    #: When set, incident references must name incidents the filer may see: the status of
    #: `source:source_id` (`accepted`, `candidate`), None when the record does not hold it.
    incident_status: Callable[[str], str | None] | None = None

    @property
    def store(self) -> CaseStore:
        return self.rec.cases

    def now(self) -> dt.datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must give time-zone aware times")
        return moment.astimezone(dt.UTC)

    def agreement(self, agreement_id: str) -> Agreement:
        try:
            return self.agreements.agreement(agreement_id)
        except KeyError:
            raise InvalidRequest(f"unknown agreement {agreement_id!r}") from None


@dataclass(frozen=True)
class EvidenceFile:
    """A file to attach; it is stored under the SHA-256 of its content."""

    filename: str
    content: bytes
    media_type: str | None = None


# ------------------------------------------------------------------ views


def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _View:
    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (times as UTC ISO 8601 text)."""
        return _plain(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class EvidenceInfo(_View):
    sha256: str
    filename: str
    media_type: str
    size: int


@dataclass(frozen=True)
class AnswerView(_View):
    by_user: str
    party: str
    text: str
    at: dt.datetime


@dataclass(frozen=True)
class Position(_View):
    """A panel member's stated position; `position` None means it never signed."""

    adjudicator: str
    position: str | None
    statement: str
    user: str | None
    at: dt.datetime | None


@dataclass(frozen=True)
class RulingView(_View):
    outcome: str
    proposed_outcome: str | None
    reasons: str
    findings: list[Any]
    panel: list[str]
    positions: list[Position]
    joint: bool
    created_by: str | None
    created_at: dt.datetime
    published_at: dt.datetime | None


@dataclass(frozen=True)
class CaseSummary(_View):
    id: str
    agreement_id: str
    complainant: str
    respondent: str
    status: str
    filed_at: dt.datetime
    due_at: dt.datetime
    overdue: bool
    outcome: str | None


@dataclass(frozen=True)
class CaseView(_View):
    """One allegation as the viewer may see it: evidence and ruling only where allowed."""

    id: str
    agreement_id: str
    complainant: str
    respondent: str
    narrative: str
    status: str
    filed_by: str
    filed_at: dt.datetime
    due_at: dt.datetime
    updated_at: dt.datetime
    overdue: bool
    incidents: list[str]
    evidence: list[EvidenceInfo] | None
    answers: list[AnswerView]
    ruling: RulingView | None
    #: What the viewer may do next, by the policy and the case's state (for forms and menus).
    actions: list[str]


@dataclass(frozen=True)
class ReferralView(_View):
    id: str
    agreement_id: str
    respondent: str
    allegations: list[str]
    violations: int
    days: int
    created_at: dt.datetime


@dataclass(frozen=True)
class PublishResult:
    ruling: RulingView
    referral: ReferralView | None


# ---------------------------------------------------------------- helpers


def facts(allegation: Allegation, panel: Sequence[str] = ()) -> CaseFacts:
    """What the policy needs to know about an allegation."""
    return case_facts(allegation, panel)


def reading_scope(user: Principal | None) -> Scope:
    """The allegations `user` may read: the policy's cell for its role, with its party."""
    return Scope(
        rule_for(role_of(user), Action.allegations_read),
        user.party if user is not None else None,
    )


def is_joint(ruling: Ruling | None) -> bool:
    if ruling is None or not ruling.panel:
        return False
    signed = {s.adjudicator for s in ruling.signatures}
    return all(member in signed for member in ruling.panel)


def is_overdue(allegation: Allegation, now: dt.datetime) -> bool:
    """Open, past its deadline, and without a joint ruling."""
    return (
        allegation.status in OPEN and now >= allegation.due_at and not is_joint(allegation.ruling)
    )


def _load(
    ctx: CaseContext,
    user: Principal | None,
    allegation_id: str,
    action: Action,
    *,
    write: bool = True,
) -> Allegation:
    """The allegation, if the user may do `action` on it; unseen ones are `NotFound`."""
    if write:
        ledger.lock_head(ctx.rec)
    allegation = ctx.store.get(allegation_id, reading_scope(user))
    what = f"allegation {allegation_id}"
    if allegation is None:
        raise NotFound(f"{what} not found")
    panel: Sequence[str] = ()
    if action is Action.rulings_sign:
        ruling = allegation.ruling
        panel = ruling.panel if ruling else ctx.agreement(allegation.agreement_id).adjudicators
    require(user, action, facts(allegation, panel), ctx.settings, what=what)
    return allegation


def _log(
    ctx: CaseContext,
    user: Principal,
    action: str,
    payload: dict[str, Any],
    now: dt.datetime,
    detached: bytes | None = None,
) -> None:
    """Append the entry: signed by `detached` (the user's own key) or by the context's signer.

    The server never signs for a user who holds their own key (`users.OwnKeyRequired`).
    """
    if detached is None:
        row = ctx.rec.users.get(user.name)
        if row is not None:
            users.require_server_key(row, ctx.signer, action)
    ledger.append(ctx.rec, user.name, action, payload, signer=ctx.signer, at=now, detached=detached)


def _text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRequest(f"{what} is empty")
    return text


def _positions(ruling: Ruling) -> list[Position]:
    by_member = {s.adjudicator: s for s in ruling.signatures}
    out = []
    for member in ruling.panel:
        s = by_member.get(member)
        out.append(
            Position(member, s.position, s.statement, s.user_name, s.at)
            if s
            else Position(member, None, "", None, None)
        )
    return out


def ruling_view(ruling: Ruling) -> RulingView:
    return RulingView(
        outcome=ruling.outcome,
        proposed_outcome=ruling.proposed_outcome,
        reasons=ruling.reasons,
        findings=list(ruling.findings or []),
        panel=list(ruling.panel),
        positions=_positions(ruling),
        joint=is_joint(ruling),
        created_by=ruling.created_by,
        created_at=ruling.created_at,
        published_at=ruling.published_at,
    )


def _summary(user: Principal | None, allegation: Allegation, now: dt.datetime) -> CaseSummary:
    ruling = allegation.ruling
    shown = ruling is not None and can(user, Action.rulings_read, facts(allegation))
    return CaseSummary(
        id=allegation.id,
        agreement_id=allegation.agreement_id,
        complainant=allegation.complainant,
        respondent=allegation.respondent,
        status=allegation.status,
        filed_at=allegation.filed_at,
        due_at=allegation.due_at,
        overdue=is_overdue(allegation, now),
        outcome=ruling.outcome if shown and ruling is not None else None,
    )


def _view(ctx: CaseContext, user: Principal | None, allegation: Allegation) -> CaseView:
    fact = facts(allegation)
    ruling = allegation.ruling
    return CaseView(
        id=allegation.id,
        agreement_id=allegation.agreement_id,
        complainant=allegation.complainant,
        respondent=allegation.respondent,
        narrative=allegation.narrative,
        status=allegation.status,
        filed_by=allegation.filed_by,
        filed_at=allegation.filed_at,
        due_at=allegation.due_at,
        updated_at=allegation.updated_at,
        overdue=is_overdue(allegation, ctx.now()),
        incidents=[i.incident_ref for i in allegation.incidents],
        evidence=(
            [EvidenceInfo(e.sha256, e.filename, e.media_type, e.size) for e in allegation.evidence]
            if can(user, Action.evidence_read, fact, ctx.settings)
            else None
        ),
        answers=[AnswerView(a.by_user, a.party, a.text, a.at) for a in allegation.answers],
        ruling=(
            ruling_view(ruling)
            if ruling is not None and can(user, Action.rulings_read, fact, ctx.settings)
            else None
        ),
        actions=next_actions(ctx, user, allegation),
    )


def next_actions(ctx: CaseContext, user: Principal | None, allegation: Allegation) -> list[str]:
    """The steps `user` may take on the allegation now: the same tests the actions make."""
    if user is None:
        return []
    ruling = allegation.ruling
    fact = facts(allegation, ruling.panel if ruling else ())  # no ruling: nothing to sign
    status = allegation.status

    def may(action: Action) -> bool:
        return can(user, action, fact, ctx.settings)

    early = status in ("submitted", "under_review")
    signed = {s.adjudicator for s in ruling.signatures} if ruling else set()
    steps = {
        "answer": early and may(Action.allegations_answer),
        "review": status == "submitted" and may(Action.allegations_review),
        "rule": status == "under_review" and may(Action.rulings_propose),
        "sign": status == "ruled"
        and may(Action.rulings_sign)
        and getattr(user, "party", None) not in signed,
        "publish": status in OPEN
        and may(Action.rulings_publish)
        and (is_joint(ruling) or ctx.now() >= allegation.due_at),
        "withdraw": early and may(Action.allegations_withdraw),
    }
    return [name for name, ok in steps.items() if ok]


# ---------------------------------------------------------------- actions


def may_file_own(user: Principal) -> bool:
    """Whether the user may file an allegation for its own party (an admin: for any)."""
    party = getattr(user, "party", None) or ""
    return can(user, Action.allegations_file, CaseFacts(complainant=party, respondent=""))


def reading_reach(user: Principal) -> str:
    """Which allegations the user may read, in the policy's own words (the queue says it)."""
    rule = rule_for(role_of(user), Action.allegations_read)
    return "every allegation" if rule is Rule.yes else rule.value


def file_allegation(
    ctx: CaseContext,
    user: Principal,
    *,
    agreement_id: str,
    complainant: str,
    respondent: str,
    narrative: str,
    incidents: Sequence[str] = (),
    evidence: Sequence[EvidenceFile] = (),
) -> CaseView:
    """File an allegation; a party representative only in its own party's name."""
    now = ctx.now()
    ledger.lock_head(ctx.rec)
    require(user, Action.allegations_file, CaseFacts(complainant, respondent), ctx.settings)
    agreement = ctx.agreement(agreement_id)
    parties = {p.actor for p in agreement.party_list()}
    if complainant == respondent:
        raise InvalidRequest("complainant and respondent are the same actor")
    if complainant not in parties | set(agreement.guarantors):
        raise InvalidRequest(
            f"{complainant!r} is neither a party nor a guarantor of {agreement.id}"
        )
    if respondent not in parties:
        raise InvalidRequest(f"{respondent!r} is not a party to {agreement.id}")
    text = _text(narrative, "narrative")
    refs: list[str] = []
    for ref in incidents:
        if not INCIDENT_REF.match(ref):
            raise InvalidRequest(f"incident reference {ref!r} is not like `source:source_id`")
        if ctx.incident_status is not None:
            status = ctx.incident_status(ref)
            # A candidate the filer may not review is answered as an id the record lacks.
            if status is None or not incident_visible(user, status, ctx.settings):
                raise InvalidRequest(f"no incident {ref!r} is stored")
        if ref not in refs:
            refs.append(ref)
    files: dict[str, Evidence] = {}
    for item in evidence:
        name = item.filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise InvalidRequest("an evidence file has no name")
        if len(item.content) > MAX_EVIDENCE_BYTES:
            raise InvalidRequest(f"evidence {name!r} is larger than {MAX_EVIDENCE_BYTES} bytes")
        digest = hashlib.sha256(item.content).hexdigest()
        media = item.media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.setdefault(
            digest,
            Evidence(
                sha256=digest,
                filename=name,
                media_type=media,
                size=len(item.content),
                content=item.content,
            ),
        )
    allegation_id = ctx.store.next_id(f"A-{now.year}-")
    allegation = Allegation(
        id=allegation_id,
        agreement_id=agreement.id,
        complainant=complainant,
        respondent=respondent,
        narrative=text,
        status="submitted",
        filed_by=user.name,
        filed_at=now,
        due_at=now + dt.timedelta(days=agreement.ruling_due_days),
        updated_at=now,
    )
    allegation.incidents = [
        AllegationIncident(incident_ref=ref, position=i) for i, ref in enumerate(refs)
    ]
    allegation.evidence = list(files.values())
    ctx.store.add(allegation)
    _log(
        ctx,
        user,
        "allegation.file",
        {
            "allegation": allegation_id,
            "agreement": agreement.id,
            "complainant": complainant,
            "respondent": respondent,
            "narrative": text,
            "incidents": refs,
            "evidence": [
                {
                    "sha256": e.sha256,
                    "filename": e.filename,
                    "media_type": e.media_type,
                    "size": e.size,
                }
                for e in files.values()
            ],
            "due_at": allegation.due_at,
        },
        now,
    )
    return _view(ctx, user, allegation)


def answer_allegation(ctx: CaseContext, user: Principal, allegation_id: str, text: str) -> CaseView:
    """The respondent's answer, before a ruling is proposed."""
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.allegations_answer)
    if allegation.status not in ("submitted", "under_review"):
        raise StateConflict(
            f"allegation {allegation_id} is {allegation.status}: too late to answer"
        )
    body = _text(text, "answer")
    allegation.answers.append(
        Answer(by_user=user.name, party=allegation.respondent, text=body, at=now)
    )
    allegation.updated_at = now
    ctx.store.flush()
    _log(
        ctx,
        user,
        "allegation.answer",
        {"allegation": allegation_id, "party": allegation.respondent, "text": body},
        now,
    )
    return _view(ctx, user, allegation)


def review_allegation(ctx: CaseContext, user: Principal, allegation_id: str) -> CaseView:
    """An adjudicator takes the allegation up: submitted → under_review."""
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.allegations_review)
    if allegation.status != "submitted":
        raise StateConflict(f"allegation {allegation_id} is {allegation.status}, not submitted")
    allegation.status = "under_review"
    allegation.updated_at = now
    _log(ctx, user, "allegation.review", {"allegation": allegation_id}, now)
    return _view(ctx, user, allegation)


def propose_ruling(
    ctx: CaseContext,
    user: Principal,
    allegation_id: str,
    *,
    outcome: str,
    reasons: str,
    findings: Sequence[str] = (),
) -> CaseView:
    """An adjudicator proposes the ruling; the panel is fixed now, for the signatures."""
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.rulings_propose)
    if allegation.status != "under_review":
        hint = "; review it first" if allegation.status == "submitted" else ""
        raise StateConflict(f"allegation {allegation_id} is {allegation.status}{hint}")
    if outcome not in PROPOSABLE:
        raise InvalidRequest(f"unknown outcome {outcome!r}; choose one of {', '.join(PROPOSABLE)}")
    body = _text(reasons, "reasons")
    agreement = ctx.agreement(allegation.agreement_id)
    panel = list(agreement.adjudicators)
    if not panel:
        raise InvalidRequest(
            f"agreement {agreement.id} names no adjudicators, so nobody could sign a ruling; "
            "add `adjudicators:` to the agreement"
        )
    allegation.ruling = Ruling(
        outcome=outcome,
        proposed_outcome=None,
        reasons=body,
        findings=list(findings),
        panel=panel,
        created_by=user.name,
        created_at=now,
    )
    allegation.status = "ruled"
    allegation.updated_at = now
    ctx.store.flush()
    _log(
        ctx,
        user,
        "ruling.propose",
        {
            "allegation": allegation_id,
            "outcome": outcome,
            "reasons": body,
            "findings": list(findings),
            "panel": panel,
        },
        now,
    )
    return _view(ctx, user, allegation)


def ruling_sign_payload(
    allegation_id: str, adjudicator: str, position: str, statement: str = ""
) -> dict[str, Any]:
    """The exact payload of a `ruling.sign` entry.

    The service records it, and a client holding its own key signs
    `ledger.statement(user, "ruling.sign", this)`: one function, so both agree.
    """
    return {
        "allegation": allegation_id,
        "adjudicator": adjudicator,
        "position": position,
        "statement": (statement or "").strip(),
    }


def sign_ruling(
    ctx: CaseContext,
    user: Principal,
    allegation_id: str,
    *,
    position: str,
    statement: str = "",
    signature: bytes | None = None,
) -> CaseView:
    """A panel member signs for its actor: `agree`, or `dissent` with a statement.

    `signature` is the member's own Ed25519 signature of the entry's statement
    (`ruling_sign_payload`); without it the context's signer signs, which a
    member who holds their own key does not allow.
    """
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.rulings_sign)
    ruling = allegation.ruling
    if ruling is None:
        raise StateConflict(f"allegation {allegation_id} has no proposed ruling to sign")
    if allegation.status != "ruled":
        raise StateConflict(f"allegation {allegation_id} is {allegation.status}")
    if position not in POSITIONS:
        raise InvalidRequest(f"position must be one of {', '.join(POSITIONS)}")
    said = (statement or "").strip()
    if position == "dissent" and not said:
        raise InvalidRequest("a dissent needs a statement")
    member = user.party
    assert member is not None  # the policy only lets panel members sign
    if any(s.adjudicator == member for s in ruling.signatures):
        raise StateConflict(f"{member} has already signed this ruling")
    ruling.signatures.append(
        Signature(
            adjudicator=member, user_name=user.name, position=position, statement=said, at=now
        )
    )
    allegation.updated_at = now
    ctx.store.flush()
    payload = ruling_sign_payload(allegation_id, member, position, said)
    _log(ctx, user, "ruling.sign", payload, now, detached=signature)
    return _view(ctx, user, allegation)


def publish_ruling(ctx: CaseContext, user: Principal, allegation_id: str) -> PublishResult:
    """Publish a joint ruling; past the deadline without one, publish `no_joint_ruling`."""
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.rulings_publish)
    if allegation.status not in OPEN:
        raise StateConflict(f"allegation {allegation_id} is {allegation.status}")
    agreement = ctx.agreement(allegation.agreement_id)
    ruling = allegation.ruling
    joint = is_joint(ruling)
    if ruling is not None and joint:
        pass
    elif now >= allegation.due_at:
        if ruling is None:
            ruling = Ruling(
                outcome="no_joint_ruling",
                proposed_outcome=None,
                reasons=NO_PROPOSAL,
                findings=[],
                panel=list(agreement.adjudicators),
                created_by=user.name,
                created_at=now,
            )
            allegation.ruling = ruling
        else:
            ruling.proposed_outcome = ruling.outcome
            ruling.outcome = "no_joint_ruling"
    else:
        waiting = (
            [m for m in ruling.panel if m not in {s.adjudicator for s in ruling.signatures}]
            if ruling is not None
            else []
        )
        state = f"waiting for {', '.join(waiting)} to sign" if ruling else "no ruling proposed"
        raise StateConflict(
            f"allegation {allegation_id} has no joint ruling ({state}); without one it can "
            f"be published only after its deadline, {iso(allegation.due_at)}"
        )
    ruling.published_at = now
    ruling.published_by = user.name
    allegation.status = "published"
    allegation.updated_at = now
    ctx.store.flush()
    view = ruling_view(ruling)
    _log(
        ctx,
        user,
        "ruling.publish",
        {
            "allegation": allegation_id,
            "outcome": ruling.outcome,
            "proposed_outcome": ruling.proposed_outcome,
            "joint": joint,
            "positions": [
                {"adjudicator": p.adjudicator, "position": p.position, "statement": p.statement}
                for p in view.positions
            ],
        },
        now,
    )
    referral = None
    if ruling.outcome == "violation_confirmed" and agreement.escalation is not None:
        referral = _escalate(ctx, user, allegation, ruling, agreement, now)
    return PublishResult(view, referral)


def _escalate(
    ctx: CaseContext,
    user: Principal,
    allegation: Allegation,
    ruling: Ruling,
    agreement: Agreement,
    now: dt.datetime,
) -> ReferralView | None:
    """Refer the respondent when its confirmed violations not yet referred reach K in D days.

    A violation counts from the moment its ruling was published (when it became
    confirmed); each referral lists the allegations it counted, and an allegation
    is counted in one referral only, so a persistent violator is referred again
    after K more, not on every later ruling.
    """
    rule = agreement.escalation
    assert rule is not None
    since = now - dt.timedelta(days=rule.days)
    confirmed = ctx.store.confirmed_since(agreement.id, allegation.respondent, since)
    referred = ctx.store.referred(agreement.id, allegation.respondent)
    fresh = [a for a in confirmed if a not in referred]
    if len(fresh) < rule.violations:
        return None
    referral = Referral(
        id=ctx.store.next_referral_id(f"R-{now.year}-"),
        agreement_id=agreement.id,
        respondent=allegation.respondent,
        allegations=fresh,
        violations=rule.violations,
        days=rule.days,
        ruling_id=ruling.id,
        created_by=user.name,
        created_at=now,
    )
    ctx.store.add_referral(referral)
    _log(
        ctx,
        user,
        "referral.create",
        {
            "referral": referral.id,
            "agreement": agreement.id,
            "respondent": allegation.respondent,
            "allegations": fresh,
            "threshold": {"violations": rule.violations, "days": rule.days},
        },
        now,
    )
    return _referral_view(referral)


def withdraw_allegation(
    ctx: CaseContext, user: Principal, allegation_id: str, reason: str = ""
) -> CaseView:
    """The complainant withdraws, before a ruling is proposed."""
    now = ctx.now()
    allegation = _load(ctx, user, allegation_id, Action.allegations_withdraw)
    if allegation.status not in ("submitted", "under_review"):
        raise StateConflict(
            f"allegation {allegation_id} is {allegation.status}: it can no longer be withdrawn"
        )
    allegation.status = "withdrawn"
    allegation.updated_at = now
    _log(
        ctx,
        user,
        "allegation.withdraw",
        {"allegation": allegation_id, "reason": (reason or "").strip()},
        now,
    )
    return _view(ctx, user, allegation)


# ------------------------------------------------------------------ reads


def show_allegation(ctx: CaseContext, user: Principal | None, allegation_id: str) -> CaseView:
    allegation = _load(ctx, user, allegation_id, Action.allegations_read, write=False)
    return _view(ctx, user, allegation)


def _filter(
    ctx: CaseContext, agreement_id: str | None, status: str | None, overdue: bool | None
) -> CaseFilter:
    return CaseFilter(agreement_id=agreement_id, status=status, overdue=overdue, now=ctx.now())


def list_allegations(
    ctx: CaseContext,
    user: Principal | None,
    *,
    agreement_id: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[CaseSummary]:
    """One page of the allegations the user may see, oldest first, each with its overdue flag.

    Which ones is decided in the database by the same scope as `show_allegation`,
    so a page holds `limit` visible allegations and nothing fetched is discarded.
    """
    now = ctx.now()
    where = _filter(ctx, agreement_id, status, overdue)
    found = ctx.store.page(reading_scope(user), where, limit=limit, offset=offset)
    return [_summary(user, allegation, now) for allegation in found]


def count_allegations(
    ctx: CaseContext,
    user: Principal | None,
    *,
    agreement_id: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
) -> int:
    """How many allegations `list_allegations` would list in all, on every page."""
    return ctx.store.count(reading_scope(user), _filter(ctx, agreement_id, status, overdue))


def published_rulings(
    ctx: CaseContext,
    user: Principal | None,
    *,
    agreement_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[CaseView]:
    """The public register: a page of published allegations with their rulings, oldest first."""
    where = _filter(ctx, agreement_id, PUBLISHED, None)
    found = ctx.store.page(reading_scope(user), where, limit=limit, offset=offset, full=True)
    return [_view(ctx, user, allegation) for allegation in found]


@dataclass(frozen=True)
class LinkedIncident(_View):
    """An incident a case names, as the viewer may see it.

    `incident` is None both when the record does not hold it and when the viewer
    may not see it (a candidate awaiting review): the two look alike.
    """

    ref: str
    incident: dict[str, Any] | None
    #: The incident's findings under the case's agreement, one per reading.
    findings: list[dict[str, Any]]
    #: Readings of the agreement under which the incident is out of scope (no finding).
    outside: list[str]


def linked_incidents(
    ctx: CaseContext, user: Principal | None, allegation_id: str, incidents: IncidentSource
) -> list[LinkedIncident]:
    """The incidents a case names, each shown only where the incident itself would be."""
    allegation = _load(ctx, user, allegation_id, Action.allegations_read, write=False)
    try:
        agreement = ctx.agreements.agreement(allegation.agreement_id)
        readings = [TEXT, *(r.by for r in agreement.readings)]
    except KeyError:
        readings = []
    out = []
    for item in allegation.incidents:
        record = visible_incident(incidents, user, item.incident_ref, ctx.settings)
        mine = [
            f
            for f in (record or {}).get("findings", [])
            if f["agreement_id"] == allegation.agreement_id
        ]
        judged = {f["reading"] for f in mine}
        out.append(
            LinkedIncident(
                ref=item.incident_ref,
                incident=record,
                findings=mine,
                outside=[r for r in readings if r not in judged],
            )
        )
    return out


def get_evidence(
    ctx: CaseContext, user: Principal | None, allegation_id: str, sha256: str
) -> EvidenceFile:
    """An evidence file's content, if the user may read the allegation's evidence."""
    _load(ctx, user, allegation_id, Action.evidence_read, write=False)
    row = ctx.store.evidence(allegation_id, sha256.lower())
    if row is None:
        raise NotFound(f"evidence {sha256} not found")
    return EvidenceFile(row.filename, row.content, row.media_type)


def _referral_view(referral: Referral) -> ReferralView:
    return ReferralView(
        id=referral.id,
        agreement_id=referral.agreement_id,
        respondent=referral.respondent,
        allegations=list(referral.allegations),
        violations=referral.violations,
        days=referral.days,
        created_at=referral.created_at,
    )


def list_referrals(
    ctx: CaseContext,
    user: Principal | None,
    *,
    agreement_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReferralView]:
    """One page of referrals, oldest first (public: `referrals.read`)."""
    require(user, Action.referrals_read, None, ctx.settings)
    found = ctx.store.referrals(agreement_id, limit=limit, offset=offset)
    return [_referral_view(r) for r in found]


def count_referrals(
    ctx: CaseContext, user: Principal | None, *, agreement_id: str | None = None
) -> int:
    require(user, Action.referrals_read, None, ctx.settings)
    return ctx.store.count_referrals(agreement_id)
