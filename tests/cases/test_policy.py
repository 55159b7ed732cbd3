"""The permission matrix: every role × every action, then the same rules through the services."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ceasefire.core.policy import (
    ANONYMOUS,
    LOCAL_OPERATOR,
    MATRIX,
    AccountFacts,
    Action,
    CaseFacts,
    IncidentSight,
    NotFound,
    PermissionDenied,
    PolicyError,
    Role,
    Rule,
    Settings,
    can,
    may_ever,
    policy_markdown,
    require,
)
from ceasefire.services import cases
from ceasefire.services.visibility import incident_sight

from .conftest import COH, World

DOCS = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


@dataclass(frozen=True)
class P:
    name: str
    role: str
    party: str | None


USERS = {
    Role.admin: P("root", "admin", None),
    Role.adjudicator: P("us-judge", "adjudicator", "usa"),
    Role.monitor: P("mon", "monitor", None),
    Role.party: P("gov-rep", "party", "gov"),
    Role.public: P("reader", "public", None),
}
PANEL = ("russia", "usa")
CASES = {
    "own_c": CaseFacts("gov", "opposition", False, PANEL),
    "own_r": CaseFacts("opposition", "gov", False, PANEL),
    "other": CaseFacts("opposition", "russia", False, PANEL),
    "other_pub": CaseFacts("opposition", "russia", True, PANEL),
    "own_pub": CaseFacts("gov", "opposition", True, PANEL),
    "off_panel": CaseFacts("opposition", "russia", False, ("russia", "turkey")),
}
ALL = frozenset(CASES)
NONE: frozenset[str] = frozenset()

# Written out by hand from the rules in the brief, independently of ceasefire.core.policy.
# For each case action: role -> the scenarios in which it is allowed.
CASE_EXPECTED: dict[Action, dict[Role, frozenset[str]]] = {
    Action.allegations_file: {
        Role.admin: ALL,
        Role.party: frozenset({"own_c", "own_pub"}),
    },
    Action.allegations_read: {
        Role.admin: ALL,
        Role.adjudicator: ALL,
        Role.monitor: frozenset({"other_pub", "own_pub"}),
        Role.party: frozenset({"own_c", "own_r", "other_pub", "own_pub"}),
        Role.public: frozenset({"other_pub", "own_pub"}),
    },
    Action.allegations_answer: {Role.admin: ALL, Role.party: frozenset({"own_r"})},
    Action.allegations_withdraw: {Role.admin: ALL, Role.party: frozenset({"own_c", "own_pub"})},
    Action.allegations_review: {Role.adjudicator: ALL},
    Action.evidence_read: {
        Role.admin: ALL,
        Role.adjudicator: ALL,
        Role.party: frozenset({"own_c", "own_r", "own_pub"}),
    },
    Action.rulings_read: {
        Role.admin: ALL,
        Role.adjudicator: ALL,
        Role.monitor: frozenset({"other_pub", "own_pub"}),
        Role.party: frozenset({"other_pub", "own_pub"}),
        Role.public: frozenset({"other_pub", "own_pub"}),
    },
    Action.rulings_propose: {Role.adjudicator: ALL},
    Action.rulings_sign: {Role.adjudicator: ALL - {"off_panel"}},
    Action.rulings_publish: {Role.adjudicator: ALL},
}
# Actions on no particular case: the roles allowed (public incidents on).
PLAIN_EXPECTED: dict[Action, set[Role]] = {
    Action.users_manage: {Role.admin},
    Action.agreements_read: set(Role),
    Action.agreements_write: {Role.admin},
    Action.incidents_read: set(Role),
    Action.incidents_submit: {Role.admin, Role.monitor},
    Action.incidents_review: {Role.admin, Role.monitor},
    Action.attributions_record: {Role.admin, Role.monitor},
    Action.findings_read: set(Role),
    Action.referrals_read: set(Role),
    Action.ledger_read: set(Role),
    Action.ledger_read_full: {Role.admin, Role.adjudicator},
}


def test_the_tables_cover_every_action() -> None:
    covered = set(CASE_EXPECTED) | set(PLAIN_EXPECTED) | {Action.tokens_issue}
    assert covered == set(Action)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(CASE_EXPECTED))
def test_case_actions(action: Action, role: Role) -> None:
    allowed = CASE_EXPECTED[action].get(role, NONE)
    for scenario, resource in CASES.items():
        assert can(USERS[role], action, resource) == (scenario in allowed), scenario
    # Scoped rules never allow anything without the record to judge.
    assert can(USERS[role], action, None) == (allowed == ALL)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(PLAIN_EXPECTED))
def test_plain_actions(action: Action, role: Role) -> None:
    assert can(USERS[role], action) == (role in PLAIN_EXPECTED[action])
    assert may_ever(USERS[role], action) == (role in PLAIN_EXPECTED[action])


@pytest.mark.parametrize("role", list(Role))
def test_tokens_for_oneself_or_by_an_admin(role: Role) -> None:
    user = USERS[role]
    own, other = AccountFacts(user.name), AccountFacts("someone-else")
    assert can(user, Action.tokens_issue, own) == (role is not Role.public)
    assert can(user, Action.tokens_issue, other) == (role is Role.admin)


def test_public_incidents_setting() -> None:
    off = Settings(public_incidents=False)
    for action in (Action.incidents_read, Action.findings_read):
        assert not can(USERS[Role.public], action, settings=off)
        assert not can(ANONYMOUS, action, settings=off)
        assert can(ANONYMOUS, action)
        for role in (Role.admin, Role.adjudicator, Role.monitor, Role.party):
            assert can(USERS[role], action, settings=off)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CEASEFIRE_PUBLIC_INCIDENTS", "off")
    assert Settings.from_env().public_incidents is False
    monkeypatch.setenv("CEASEFIRE_PUBLIC_INCIDENTS", "1")
    assert Settings.from_env().public_incidents is True


def test_unknown_role_is_public() -> None:
    odd = P("x", "superuser", None)
    assert not can(odd, Action.users_manage)
    assert can(odd, Action.allegations_read, CASES["other_pub"])
    assert not can(odd, Action.allegations_read, CASES["other"])


def test_hidden_cases_are_not_found_and_visible_ones_forbidden() -> None:
    party, monitor = USERS[Role.party], USERS[Role.monitor]
    for action in (Action.allegations_read, Action.evidence_read, Action.allegations_answer):
        with pytest.raises(NotFound):
            require(party, action, CASES["other"])
    with pytest.raises(PermissionDenied):
        require(party, Action.evidence_read, CASES["other_pub"])
    with pytest.raises(PermissionDenied):
        require(monitor, Action.evidence_read, CASES["other_pub"])
    with pytest.raises(NotFound):
        require(None, Action.allegations_read, CASES["own_c"])
    assert NotFound.status == 404 and PermissionDenied.status == 403


def test_the_local_operator_is_an_admin_without_an_account() -> None:
    """The command line without `--as`: an admin's rights, never an adjudicator's."""
    for action in Action:
        expected = MATRIX[action][Role.admin] is Rule.yes
        assert can(LOCAL_OPERATOR, action, AccountFacts("anyone")) == expected, action
    assert not can(LOCAL_OPERATOR, Action.rulings_publish, CASES["other"])
    assert LOCAL_OPERATOR.name not in {u.name for u in USERS.values()}


@pytest.mark.parametrize("role", list(Role))
def test_incident_sight_follows_the_matrix(role: Role) -> None:
    """Which incident statuses a role sees: accepted with `incidents.read`, candidates and
    rejected ones with `incidents.review` as well; nothing for the public when
    `public_incidents` is off."""
    user = USERS[role]
    for settings in (Settings(), Settings(public_incidents=False)):
        sight = incident_sight(user, settings)
        reads = role is not Role.public or settings.public_incidents
        reviews = role in (Role.admin, Role.monitor)
        assert (sight.incidents, sight.candidates) == (reads, reviews)
        assert sight.shows("accepted") == reads
        assert sight.shows("candidate") == (reads and reviews)
        assert sight.shows("rejected") == (reads and reviews)
        assert not sight.shows("deleted") and not sight.shows(None)
    assert IncidentSight(incidents=False, candidates=True).statuses == ()


def test_docs_policy_md_is_generated_from_the_code() -> None:
    assert DOCS.read_text(encoding="utf-8") == policy_markdown(), (
        "docs/policy.md is stale: python -m ceasefire.core.policy > docs/policy.md"
    )


# ------------------------------------------------------- through the services

Outcome = str  # "ok", "denied" (403) or "hidden" (404)


def attempt(
    world: World, name: str | None, fn: Callable[..., object], *args: object, **kw: object
) -> Outcome:
    try:
        world.do(name, fn, *args, **kw)
    except NotFound:
        return "hidden"
    except PermissionDenied:
        return "denied"
    except PolicyError as exc:  # pragma: no cover - no other kinds
        raise AssertionError(exc) from exc
    except cases.CaseError:
        return "ok"  # past the policy; refused for the case's state, which is fine here
    return "ok"


def test_every_role_through_the_services(world: World) -> None:
    """Opposition vs government, unpublished; then Russia's case, published, seen by others."""
    secret = b"names of witnesses"
    x = world.file("opp-rep", "opposition", "gov", evidence=[cases.EvidenceFile("w.txt", secret)])
    digest = hashlib.sha256(secret).hexdigest()
    expected: dict[str | None, dict[str, Outcome]] = {
        #            show     evidence  answer    review    rule      sign      publish   withdraw
        "root":     dict(show="ok", evidence="ok", answer="ok", review="denied", rule="denied", sign="denied", publish="denied", withdraw="ok"),  # noqa: E501
        "us-judge": dict(show="ok", evidence="ok", answer="denied", review="ok", rule="ok", sign="ok", publish="ok", withdraw="denied"),  # noqa: E501
        "tr-judge": dict(show="ok", evidence="ok", answer="denied", review="ok", rule="ok", sign="denied", publish="ok", withdraw="denied"),  # noqa: E501
        "mon":      dict(show="hidden", evidence="hidden", answer="hidden", review="hidden", rule="hidden", sign="hidden", publish="hidden", withdraw="hidden"),  # noqa: E501
        "gov-rep":  dict(show="ok", evidence="ok", answer="ok", review="denied", rule="denied", sign="denied", publish="denied", withdraw="denied"),  # noqa: E501
        "opp-rep":  dict(show="ok", evidence="ok", answer="denied", review="denied", rule="denied", sign="denied", publish="denied", withdraw="ok"),  # noqa: E501
        "ru-rep":   dict(show="hidden", evidence="hidden", answer="hidden", review="hidden", rule="hidden", sign="hidden", publish="hidden", withdraw="hidden"),  # noqa: E501
        "reader":   dict(show="hidden", evidence="hidden", answer="hidden", review="hidden", rule="hidden", sign="hidden", publish="hidden", withdraw="hidden"),  # noqa: E501
        None:       dict(show="hidden", evidence="hidden", answer="hidden", review="hidden", rule="hidden", sign="hidden", publish="hidden", withdraw="hidden"),  # noqa: E501
    }  # fmt: skip
    calls: dict[str, tuple[Callable[..., object], tuple[object, ...], dict[str, object]]] = {
        "show": (cases.show_allegation, (x,), {}),
        "evidence": (cases.get_evidence, (x, digest), {}),
        "answer": (cases.answer_allegation, (x, "an answer"), {}),
        "review": (cases.review_allegation, (x,), {}),
        "rule": (cases.propose_ruling, (x,), {"outcome": "no_violation", "reasons": "r"}),
        "sign": (cases.sign_ruling, (x,), {"position": "agree"}),
        "publish": (cases.publish_ruling, (x,), {}),
        "withdraw": (cases.withdraw_allegation, (x,), {}),
    }
    got: dict[str | None, dict[str, Outcome]] = {}
    for name in expected:
        got[name] = {
            action: attempt(world, name, fn, *args, **kw)
            for action, (fn, args, kw) in calls.items()
        }
    # Withdrawal again on a fresh case each, so the outcome does not depend on the order.
    for name in expected:
        fresh = world.file("root", "opposition", "gov")
        got[name]["withdraw"] = attempt(world, name, cases.withdraw_allegation, fresh)
    assert got == expected

    # Filing: only for one's own party (or by the admin, for anyone).
    filing = {
        name: attempt(world, name, cases.file_allegation, agreement_id=COH,
                      complainant="opposition", respondent="gov", narrative="n")
        for name in expected
    }  # fmt: skip
    assert {n for n, o in filing.items() if o == "ok"} == {"root", "opp-rep"}
    assert filing["gov-rep"] == "denied"


def test_a_party_never_sees_the_other_sides_unpublished_filing(world: World) -> None:
    secret = b"intercepted radio traffic"
    digest = hashlib.sha256(secret).hexdigest()
    theirs = world.file(
        "ru-rep", "russia", "opposition", evidence=[cases.EvidenceFile("radio.wav", secret)]
    )
    # Government's representative: not a party to this case.
    for fn, args in (
        (cases.show_allegation, (theirs,)),
        (cases.get_evidence, (theirs, digest)),
        (cases.answer_allegation, (theirs, "x")),
        (cases.withdraw_allegation, (theirs,)),
    ):
        with pytest.raises(NotFound) as hidden:
            world.do("gov-rep", fn, *args)
        with pytest.raises(NotFound) as missing:
            world.do("gov-rep", fn, "A-2016-9999", *args[1:])
        assert str(hidden.value) == str(missing.value).replace("A-2016-9999", theirs)
    assert world.do("gov-rep", cases.list_allegations) == []
    assert [s.id for s in world.do("opp-rep", cases.list_allegations)] == [theirs]  # type: ignore[attr-defined]

    # Its ledger entries are withheld from the government's export, yet still verify.
    from ceasefire.services import ledger

    with world.record() as rec:
        redact = ledger.redactor(rec, world.user(rec, "gov-rep"))
        filed = [e for e in ledger.entries(rec) if e.action == "allegation.file"]
        assert filed and all(redact(e).withheld for e in filed)

    # Once published the ruling is public, the evidence still is not.
    world.to_published(theirs, "no_violation")
    view = world.do("gov-rep", cases.show_allegation, theirs)
    assert view.ruling.outcome == "no_violation" and view.evidence is None  # type: ignore[attr-defined]
    with pytest.raises(PermissionDenied):
        world.do("gov-rep", cases.get_evidence, theirs, digest)
    assert world.do("opp-rep", cases.get_evidence, theirs, digest).content == secret  # type: ignore[attr-defined]


def test_unpublished_ruling_is_hidden_from_the_parties(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    world.to_ruled(a)
    assert world.do("gov-rep", cases.show_allegation, a).ruling is None  # type: ignore[attr-defined]
    assert world.do("root", cases.show_allegation, a).ruling is not None  # type: ignore[attr-defined]
    summary = world.do("opp-rep", cases.list_allegations)[0]  # type: ignore[index]
    assert summary.status == "ruled" and summary.outcome is None
