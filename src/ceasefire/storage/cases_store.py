"""Allegations, rulings, evidence and referrals: every statement about them, and nothing else.

The rules (who may file, see, rule or publish) live in `ceasefire.services.cases`;
this store reads and writes rows in the session it is given, so its work commits
with the change it belongs to and that change's ledger entry.

One rule decides which allegations a user may see, and it is the policy's: the
service passes the policy's cell for `allegations.read` (a `Rule`) and the
user's party, and `Scope.clause` turns that cell into a where-clause. Listing
and fetching one allegation both go through it, so a list is paginated in the
database and never shows what fetching by id would deny. `case_facts` says the
same thing about one loaded row, for the policy's other questions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    inspect,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, selectinload

from ceasefire.core.policy import CaseFacts, Rule
from ceasefire.storage.cases import (
    OPEN_STATUSES,
    PUBLISHED,
    Allegation,
    Evidence,
    Referral,
    Ruling,
    Signature,
)
from ceasefire.storage.models import ActorRow, IncidentRow


class UnscopedRule(ValueError):
    """A cell of the matrix that needs more than an allegation's row to decide."""


@dataclass(frozen=True)
class Scope:
    """The policy's cell for reading allegations, for one user: which rows it reaches."""

    rule: Rule
    party: str | None = None

    def clause(self) -> ColumnElement[bool]:
        """The cell as SQL over `allegations` (the twin of `core.policy.can` on `case_facts`)."""
        party = self.party
        complainant = Allegation.complainant == party if party is not None else false()
        respondent = Allegation.respondent == party if party is not None else false()
        published = Allegation.status == PUBLISHED
        clauses: dict[Rule, ColumnElement[bool]] = {
            Rule.yes: true(),
            Rule.no: false(),
            Rule.own_complainant: complainant,
            Rule.own_respondent: respondent,
            Rule.own_case: or_(complainant, respondent),
            Rule.own_case_or_published: or_(complainant, respondent, published),
            Rule.published: published,
        }
        try:
            return clauses[self.rule]
        except KeyError:
            raise UnscopedRule(
                f"the rule {self.rule.value!r} cannot be decided from an allegation's row"
            ) from None


def case_facts(allegation: Allegation, panel: Sequence[str] = ()) -> CaseFacts:
    """What the policy needs to know about an allegation (the same columns `Scope` reads)."""
    return CaseFacts(
        complainant=allegation.complainant,
        respondent=allegation.respondent,
        published=allegation.status == PUBLISHED,
        panel=tuple(panel),
    )


def _joint() -> ColumnElement[bool]:
    """The allegation has a ruling every panel member signed (signers are panel members)."""
    signed = (
        select(func.count())
        .select_from(Signature)
        .where(Signature.ruling_id == Ruling.id)
        .scalar_subquery()
    )
    size = func.json_array_length(Ruling.panel)
    return exists().where(Ruling.allegation_id == Allegation.id, size > 0, signed >= size)


def overdue_clause(now: dt.datetime) -> ColumnElement[bool]:
    """Open, past its deadline, and without a joint ruling (as `services.cases.is_overdue`)."""
    return and_(Allegation.status.in_(OPEN_STATUSES), Allegation.due_at <= now, ~_joint())


@dataclass(frozen=True)
class CaseFilter:
    """What a list of allegations is narrowed to, besides the reader's scope."""

    agreement_id: str | None = None
    status: str | None = None
    overdue: bool | None = None
    now: dt.datetime | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.agreement_id is not None:
            out.append(Allegation.agreement_id == self.agreement_id)
        if self.status is not None:
            out.append(Allegation.status == self.status)
        if self.overdue is not None:
            if self.now is None:
                raise ValueError("an overdue filter needs the time it is judged at")
            late = overdue_clause(self.now)
            out.append(late if self.overdue else ~late)
        return out


class CaseStore:
    """Allegations and what hangs off them, in one session (the unit of work's)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------ allegations

    def get(self, allegation_id: str, scope: Scope) -> Allegation | None:
        """The allegation with its ruling, incidents, evidence list and answers, if in scope.

        Re-read from the database (not the session's cache), so a caller that has
        just locked the ledger head works on the state that lock protects.
        """
        statement = (
            select(Allegation)
            .where(Allegation.id == allegation_id, scope.clause())
            .options(
                selectinload(Allegation.ruling).selectinload(Ruling.signatures),
                selectinload(Allegation.incidents),
                selectinload(Allegation.evidence),
                selectinload(Allegation.answers),
            )
            .execution_options(populate_existing=True)
        )
        return self.session.execute(statement).scalar_one_or_none()

    def _listed(self, scope: Scope, where: CaseFilter) -> Select[Any]:
        return select(Allegation).where(scope.clause(), *where.clauses())

    def page(
        self,
        scope: Scope,
        where: CaseFilter,
        *,
        limit: int | None = None,
        offset: int = 0,
        full: bool = False,
    ) -> list[Allegation]:
        """One page of the allegations in scope, oldest first, with their rulings.

        `full` also loads incidents, evidence lists and answers (for whole views).
        """
        loads = [selectinload(Allegation.ruling).selectinload(Ruling.signatures)]
        if full:
            loads += [
                selectinload(Allegation.incidents),
                selectinload(Allegation.evidence),
                selectinload(Allegation.answers),
            ]
        statement = (
            self._listed(scope, where)
            .options(*loads)
            .order_by(Allegation.filed_at, Allegation.id)
            .offset(offset)
        )
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))

    def count(self, scope: Scope, where: CaseFilter) -> int:
        statement = select(func.count()).select_from(self._listed(scope, where).subquery())
        return int(self.session.scalar(statement) or 0)

    def facts_for(self, allegation_ids: Iterable[str]) -> dict[str, CaseFacts]:
        """The policy's facts of several allegations at once (for redacting ledger entries)."""
        wanted = sorted(set(allegation_ids))
        if not wanted:
            return {}
        rows = self.session.scalars(select(Allegation).where(Allegation.id.in_(wanted)))
        return {a.id: case_facts(a) for a in rows}

    def next_id(self, prefix: str) -> str:
        """The next allegation id with this prefix (writers are serialised by the ledger lock)."""
        return _next(self.session, Allegation.id, prefix)

    def add(self, allegation: Allegation) -> None:
        self.session.add(allegation)
        self.session.flush()

    def flush(self) -> None:
        self.session.flush()

    def evidence(self, allegation_id: str, sha256: str) -> Evidence | None:
        return self.session.get(Evidence, (allegation_id, sha256))

    # ------------------------------------------------------------ escalation

    def confirmed_since(self, agreement_id: str, respondent: str, since: dt.datetime) -> list[str]:
        """Allegations against `respondent` whose confirmed violation was published since then."""
        statement = (
            select(Allegation.id)
            .join(Ruling, Ruling.allegation_id == Allegation.id)
            .where(
                Allegation.agreement_id == agreement_id,
                Allegation.respondent == respondent,
                Ruling.outcome == "violation_confirmed",
                Ruling.published_at.is_not(None),
                Ruling.published_at >= since,
            )
            .order_by(Ruling.published_at, Allegation.id)
        )
        return list(self.session.scalars(statement))

    def referred(self, agreement_id: str, respondent: str) -> set[str]:
        """Allegations already counted in a referral of this respondent under this agreement."""
        out: set[str] = set()
        for earlier in self.session.scalars(
            select(Referral).where(
                Referral.agreement_id == agreement_id, Referral.respondent == respondent
            )
        ):
            out.update(earlier.allegations)
        return out

    def next_referral_id(self, prefix: str) -> str:
        return _next(self.session, Referral.id, prefix)

    def add_referral(self, referral: Referral) -> None:
        self.session.add(referral)
        self.session.flush()

    def referrals(
        self, agreement_id: str | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[Referral]:
        """One page of referrals, oldest first."""
        statement = select(Referral).order_by(Referral.created_at, Referral.id).offset(offset)
        if agreement_id is not None:
            statement = statement.where(Referral.agreement_id == agreement_id)
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))

    def count_referrals(self, agreement_id: str | None = None) -> int:
        statement = select(func.count()).select_from(Referral)
        if agreement_id is not None:
            statement = statement.where(Referral.agreement_id == agreement_id)
        return int(self.session.scalar(statement) or 0)

    # ------------------------------------------------------------ the rest of the record

    def _has(self, table: str) -> bool:
        return bool(inspect(self.session.connection()).has_table(table))

    def holds_incidents(self) -> bool:
        """Whether this database holds incidents (a cases-only database does not)."""
        return self._has(IncidentRow.__tablename__)

    def incident_status(self, ref: str) -> str | None:
        """`accepted` or `candidate` for the incident `source:source_id`; None if absent."""
        source, _, source_id = ref.partition(":")
        statement = (
            select(IncidentRow.status)
            .where(IncidentRow.source == source, IncidentRow.source_id == source_id)
            .limit(1)
        )
        return self.session.execute(statement).scalar_one_or_none()

    def actor_ids(self) -> set[str] | None:
        """The actors loaded into the record; None when none are (nothing to check against)."""
        if not self._has(ActorRow.__tablename__):
            return None
        return set(self.session.scalars(select(ActorRow.id))) or None


def _next(session: Session, column: Any, prefix: str) -> str:
    # Ids are never deleted, so a count of those with the prefix gives the next number.
    count = session.scalar(select(func.count()).where(column.like(f"{prefix}%"))) or 0
    return f"{prefix}{count + 1:04d}"
