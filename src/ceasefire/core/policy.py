"""The one permission matrix: which role may do what, and on which records.

Every service that acts on the record asks this module (the CLI, API and web
only pass on who is asking), so a rule is changed in one place. A cell of the
matrix is either a plain yes/no or a *scope*: a rule that needs the record in
question (the allegation's parties, whether its ruling is
published, the panel of adjudicators). `docs/policy.md` is generated from this
module (`python -m ceasefire.core.policy > docs/policy.md`) and a test keeps the two
equal.

Reading an allegation one may not see behaves exactly like reading one that
does not exist (`NotFound`): a party must not learn that the other side has
filed something, nor probe allegation ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Role(StrEnum):
    admin = "admin"
    adjudicator = "adjudicator"
    monitor = "monitor"
    party = "party"
    public = "public"


class Action(StrEnum):
    users_manage = "users.manage"
    tokens_issue = "tokens.issue"
    agreements_read = "agreements.read"
    agreements_write = "agreements.write"
    incidents_read = "incidents.read"
    incidents_submit = "incidents.submit"
    incidents_review = "incidents.review"
    attributions_record = "attributions.record"
    findings_read = "findings.read"
    allegations_file = "allegations.file"
    allegations_read = "allegations.read"
    allegations_answer = "allegations.answer"
    allegations_withdraw = "allegations.withdraw"
    allegations_review = "allegations.review"
    evidence_read = "evidence.read"
    rulings_read = "rulings.read"
    rulings_propose = "rulings.propose"
    rulings_sign = "rulings.sign"
    rulings_publish = "rulings.publish"
    referrals_read = "referrals.read"
    ledger_read = "ledger.read"
    ledger_read_full = "ledger.read_full"


class Rule(StrEnum):
    """A cell of the matrix. Scoped rules need the record (`resource`) to decide."""

    yes = "yes"
    no = "no"
    self_only = "own account"
    own_complainant = "own party as complainant"
    own_respondent = "own party as respondent"
    own_case = "own party's cases"
    own_case_or_published = "own party's cases; others once published"
    published = "published only"
    panel = "panel member"
    setting = "if `public_incidents`"


YES, NO = Rule.yes, Rule.no

#: The matrix itself: role × action → rule. Every pair is listed, none is implied.
MATRIX: dict[Action, dict[Role, Rule]] = {
    Action.users_manage: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.tokens_issue: {
        Role.admin: YES,
        Role.adjudicator: Rule.self_only,
        Role.monitor: Rule.self_only,
        Role.party: Rule.self_only,
        Role.public: NO,
    },
    Action.agreements_read: {r: YES for r in Role},
    Action.agreements_write: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.incidents_read: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: YES,
        Role.party: YES,
        Role.public: Rule.setting,
    },
    Action.incidents_submit: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: YES,
        Role.party: NO,
        Role.public: NO,
    },
    Action.incidents_review: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: YES,
        Role.party: NO,
        Role.public: NO,
    },
    Action.attributions_record: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: YES,
        Role.party: NO,
        Role.public: NO,
    },
    Action.findings_read: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: YES,
        Role.party: YES,
        Role.public: Rule.setting,
    },
    Action.allegations_file: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: NO,
        Role.party: Rule.own_complainant,
        Role.public: NO,
    },
    Action.allegations_read: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: Rule.published,
        Role.party: Rule.own_case_or_published,
        Role.public: Rule.published,
    },
    Action.allegations_answer: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: NO,
        Role.party: Rule.own_respondent,
        Role.public: NO,
    },
    Action.allegations_withdraw: {
        Role.admin: YES,
        Role.adjudicator: NO,
        Role.monitor: NO,
        Role.party: Rule.own_complainant,
        Role.public: NO,
    },
    Action.allegations_review: {
        Role.admin: NO,
        Role.adjudicator: YES,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.evidence_read: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: NO,
        Role.party: Rule.own_case,
        Role.public: NO,
    },
    Action.rulings_read: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: Rule.published,
        Role.party: Rule.published,
        Role.public: Rule.published,
    },
    Action.rulings_propose: {
        Role.admin: NO,
        Role.adjudicator: YES,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.rulings_sign: {
        Role.admin: NO,
        Role.adjudicator: Rule.panel,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.rulings_publish: {
        Role.admin: NO,
        Role.adjudicator: YES,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
    Action.referrals_read: {r: YES for r in Role},
    Action.ledger_read: {r: YES for r in Role},
    Action.ledger_read_full: {
        Role.admin: YES,
        Role.adjudicator: YES,
        Role.monitor: NO,
        Role.party: NO,
        Role.public: NO,
    },
}

#: Actions on one allegation: refused as `NotFound` when the allegation is not visible.
CASE_ACTIONS = frozenset(
    {
        Action.allegations_read,
        Action.allegations_answer,
        Action.allegations_withdraw,
        Action.allegations_review,
        Action.evidence_read,
        Action.rulings_read,
        Action.rulings_propose,
        Action.rulings_sign,
        Action.rulings_publish,
    }
)

RULE_TEXT: dict[Rule, str] = {
    Rule.yes: "allowed on every record",
    Rule.no: "refused",
    Rule.self_only: "only for the user's own account",
    Rule.own_complainant: "only when the allegation's complainant is the user's own party",
    Rule.own_respondent: "only when the allegation's respondent is the user's own party",
    Rule.own_case: "only allegations where the user's party is complainant or respondent",
    Rule.own_case_or_published: (
        "allegations where the user's party is complainant or respondent, at any stage; "
        "any other allegation only once its ruling is published"
    ),
    Rule.published: "only once the ruling is published",
    Rule.panel: (
        "only an adjudicator whose `party` is one of the panel's actors (the agreement's "
        "`adjudicators` when the ruling was proposed), signing for that actor"
    ),
    Rule.setting: "only when the deployment's `public_incidents` setting is on (the default)",
}


class Principal(Protocol):
    """Who is acting: a stored user, or anyone with `name`, `role` and `party`."""

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...

    @property
    def party(self) -> str | None: ...


@dataclass(frozen=True)
class Anonymous:
    """The public without an account."""

    name: str = "anonymous"
    role: str = Role.public.value
    party: str | None = None


ANONYMOUS = Anonymous()


@dataclass(frozen=True)
class LocalOperator:
    """Whoever holds the database file, running a command without `--as NAME`.

    Reading or writing the file directly is already possible for them, so the
    command line trusts them as an admin (load agreements, ingest incidents,
    list users, create the first admin) — but they hold no key: anything signed
    on the ledger needs a registered user, named with `--as`. The name is not a
    valid user name, so it can never be mistaken for an account.
    """

    name: str = "local operator"
    role: str = Role.admin.value
    party: str | None = None


LOCAL_OPERATOR = LocalOperator()


@dataclass(frozen=True)
class CaseFacts:
    """What the policy needs to know about an allegation (or its ruling) to decide."""

    complainant: str
    respondent: str
    published: bool = False
    panel: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountFacts:
    """The account a token or user change is about."""

    name: str


@dataclass(frozen=True)
class Settings:
    """Deployment switches that change the matrix."""

    public_incidents: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        """`CEASEFIRE_PUBLIC_INCIDENTS=0` (or false/no/off) hides incidents from the public."""
        raw = os.environ.get("CEASEFIRE_PUBLIC_INCIDENTS", "1").strip().lower()
        return cls(public_incidents=raw not in ("0", "false", "no", "off"))


@dataclass(frozen=True)
class IncidentSight:
    """Which incidents a user sees, as data the record turns into one SQL condition.

    `incidents` is `incidents.read` (off for the public when `public_incidents`
    is off); `candidates` is `incidents.review`: incidents awaiting review exist
    only for those who may review them. Listing and fetching ask the same sight.
    """

    incidents: bool
    candidates: bool

    @property
    def statuses(self) -> tuple[str, ...]:
        """The incident statuses this viewer sees (none, accepted, or both)."""
        if not self.incidents:
            return ()
        return ("accepted", "candidate", "rejected") if self.candidates else ("accepted",)

    def shows(self, status: str | None) -> bool:
        """The same rule for one incident already read (an unknown status: not shown)."""
        return status in self.statuses


class PolicyError(Exception):
    """A refusal; `status` is the HTTP status the API should answer with."""

    status = 403


class PermissionDenied(PolicyError):
    status = 403


class NotFound(PolicyError):
    status = 404


Resource = CaseFacts | AccountFacts | None


def role_of(user: Principal | None) -> Role:
    """The user's role; unknown roles are treated as public, never as more."""
    if user is None:
        return Role.public
    try:
        return Role(user.role)
    except ValueError:
        return Role.public


def rule_for(role: Role | str, action: Action | str) -> Rule:
    return MATRIX[Action(action)][Role(role)]


def may_ever(user: Principal | None, action: Action | str) -> bool:
    """Whether the role may do this to *some* record (for menus, and to filter lists)."""
    return rule_for(role_of(user), action) is not Rule.no


def can(
    user: Principal | None,
    action: Action | str,
    resource: Resource = None,
    settings: Settings | None = None,
) -> bool:
    """Whether `user` may do `action` on `resource`. Scoped rules without a resource: no."""
    rule = rule_for(role_of(user), action)
    party = user.party if user is not None else None
    if rule is Rule.yes:
        return True
    if rule is Rule.no:
        return False
    if rule is Rule.setting:
        return (settings or Settings()).public_incidents
    if rule is Rule.self_only:
        return (
            isinstance(resource, AccountFacts) and user is not None and (resource.name == user.name)
        )
    if not isinstance(resource, CaseFacts):
        return False
    own = party is not None and party in (resource.complainant, resource.respondent)
    if rule is Rule.own_complainant:
        return party is not None and resource.complainant == party
    if rule is Rule.own_respondent:
        return party is not None and resource.respondent == party
    if rule is Rule.own_case:
        return own
    if rule is Rule.own_case_or_published:
        return own or resource.published
    if rule is Rule.published:
        return resource.published
    if rule is Rule.panel:
        return party is not None and party in resource.panel
    raise AssertionError(f"unhandled rule {rule}")  # pragma: no cover


def require(
    user: Principal | None,
    action: Action | str,
    resource: Resource = None,
    settings: Settings | None = None,
    *,
    what: str = "record",
) -> None:
    """Raise unless allowed; a case the user may not even see is `NotFound`, not denied."""
    action = Action(action)
    if action in CASE_ACTIONS and isinstance(resource, CaseFacts):
        if not can(user, Action.allegations_read, resource, settings):
            raise NotFound(f"{what} not found")
    if not can(user, action, resource, settings):
        role = role_of(user).value
        raise PermissionDenied(f"a {role} user may not do {action.value} on this {what}")


def markdown_table() -> str:
    """The matrix as a Markdown table, one row per action."""
    roles = list(Role)
    lines = [
        "| action | " + " | ".join(r.value for r in roles) + " |",
        "| --- | " + " | ".join("---" for _ in roles) + " |",
    ]
    for action in Action:
        cells = [MATRIX[action][r] for r in roles]
        shown = ["—" if c is Rule.no else c.value for c in cells]
        lines.append(f"| `{action.value}` | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def policy_markdown() -> str:
    """The whole of docs/policy.md, generated so the document cannot drift from the code."""
    rules = "\n".join(
        f"- **{rule.value}** — {RULE_TEXT[rule]}." for rule in Rule if rule is not Rule.no
    )
    return f"""# Who may do what

<!-- Generated by `python -m ceasefire.core.policy > docs/policy.md`; do not edit by hand. -->

Every service behind the command line, the API and the web app asks one module,
`ceasefire.core.policy`, whether a user may do something. This page is generated from
that module; a test fails if the two differ.

## Roles

- **admin** — runs the deployment and the task force's secretariat: manages users
  and tokens, loads agreements and incidents, reads every allegation and its
  evidence, and files, answers or withdraws an allegation on a party's behalf
  (the ledger names the admin who did). An admin cannot review, rule, sign or
  publish: a person who also adjudicates has a separate adjudicator account.
- **adjudicator** — a member of the adjudicating body (e.g. a co-chair's
  representative), bound through `party` to the actor it signs for. Reviews,
  proposes and publishes rulings; reads every allegation and its evidence; signs
  only for its own actor, and only where that actor is on the panel.
- **monitor** — submits incidents and reviews candidates (accepts, edits, merges into
  an event, rejects with a reason, links possible duplicates); records, withdraws
  and discounts claims of who acted; reads incidents, findings and published rulings.
- **party** — a party's representative, bound to one actor. Files allegations
  for its own party, answers allegations against it, sees its own party's cases
  and their evidence, and published rulings. Another party's unpublished
  allegations and evidence are invisible to it: asking for one by id is
  answered exactly as for an id that does not exist.
- **public** — anyone, including callers without an account: agreements,
  published rulings, referrals, and incidents and findings unless the deployment
  turns `public_incidents` off.

## The matrix

{markdown_table()}

## What the scoped cells mean

{rules}

A refusal on an allegation the user may not see is reported as *not found*
(HTTP 404); a refusal on one the user may see is *forbidden* (HTTP 403).

## Incidents awaiting review

Incidents extracted from text are stored as *candidates* until a monitor
accepts them. A candidate exists only for users with `incidents.review`: to
anyone else it is *not found*, whether it is listed, fetched by id, or linked
from an allegation. Listing and fetching apply the same rule, in the database.

`incidents.review` covers the whole review queue: listing it, showing an item
(a candidate with its evidence, or a pair of reports that may be one event),
accepting a candidate (as it is or edited; it is judged at once), merging it
into an existing event, rejecting it with a reason, and linking or unlinking
reports of one event. A rejected incident is kept, with the reason, and is
seen like a candidate: only by those who review.

`attributions.record` is a person's word on who acted: a claim naming the
acting side with its basis, its withdrawal, and a discount (the recorded
attribution is wrong: the grade becomes *discounted*). Each decision is an
entry on the ledger, in the same transaction as the change.

## Where the rules are applied

Each service checks this matrix itself (users, tokens, agreements, incidents,
findings and the read models of the pages, as well as allegations, rulings and
the ledger), so the command line, the API and the pages only pass on who is
asking. A test reads the services' source and fails if an action is checked
nowhere.

## The command line

A command is run by whoever holds the database file (or its URL). Without
`--as NAME` it acts as the **local operator**, with the rights of an admin:
load agreements, ingest incidents, list users, and create the first admin,
which is how a new workspace starts (`ceasefire agreements load FILE` works
before any user exists). The local operator has no key, so whatever is signed
on the ledger (adding a user after the first, tokens, every step of a case)
needs `--as NAME`, a registered user whose private key is in the keystore, and
is then refused or allowed exactly as for that user through the API. Reading
allegations and the ledger without `--as` shows what the public sees.

## The ledger

Everyone may read and verify the ledger. Users without `ledger.read_full` get
an entry's payload only when they may see what the entry records, by that
record's own rule: a ruling's proposal, signatures and publication when they may
read the ruling (`rulings.read`: for the parties and the public, once it is
published), a filing, answer, review or withdrawal when they may read the
allegation (and a filing that lists evidence only when they may read the
evidence), an incident entry when they may see the incident (a candidate or a
rejected one: only with `incidents.review`), an attribution entry when they may
see its incident, a token entry when it is about their own account.
User registrations, referrals and agreement entries are public; any other kind
of entry is withheld.
A withheld entry keeps its payload hash, chain hash and signature, so the chain
still verifies end to end while the content stays private.
"""


if __name__ == "__main__":  # pragma: no cover
    print(policy_markdown(), end="")
