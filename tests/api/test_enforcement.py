"""For every action of the matrix, a role it refuses is refused by the service and by its route.

`tests/test_enforcement.py` reads from the source that every action is checked
by a service; this file tries each one: for every action some role may not do,
that role asks the service directly (no HTTP in between) and then through the
interface that offers the action (an API route, or the command line where no
route exists: users, tokens and agreement files), and both refuse it. Actions
every role may do are asked by the public, and both answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ceasefire.core.policy import (
    ANONYMOUS,
    MATRIX,
    AccountFacts,
    Action,
    CaseFacts,
    PolicyError,
    Principal,
    Resource,
    Role,
    Rule,
    Settings,
    can,
)
from ceasefire.interfaces.cli.main import app as cli_app
from ceasefire.interfaces.http.app import create_app
from ceasefire.interfaces.http.deps import Workspace
from ceasefire.services import cases, ingest, ledger, review, users, views
from tests.api.conftest import ROLES, Api, build_workspace
from tests.conftest import AGREEMENT_YAML, event

V = "/api/v1"
ON, OFF = Settings(public_incidents=True), Settings(public_incidents=False)
SECRET = b"a witness's name"


@dataclass
class Env:
    """One workspace served twice (public incidents on and off), with cases in each state."""

    api: Api
    closed: Api
    ws: Workspace
    db: str
    tmp: Path
    cases: dict[str, str]

    def who(self, name: str) -> Principal:
        if name == "public":
            return ANONYMOUS
        found = self.ws.user_for(self.api.tokens[name])
        assert found is not None
        return found

    def cli_refuses(self, *args: str) -> bool:
        """Whether the command exits 2 with the policy's refusal."""
        result = CliRunner().invoke(cli_app, [*args, "--db", self.db])
        return result.exit_code == 2 and "may not" in result.output


def _case(api: Api, state: str) -> str:
    """An allegation by the opposition against the government, brought to `state`."""
    body = {
        "agreement_id": "quiet",
        "complainant": "opposition",
        "respondent": "gov",
        "narrative": "Confidential account.",
        "evidence": [{"filename": "w.txt", "content_base64": base64.b64encode(SECRET).decode()}],
    }
    made = api.post(f"{V}/allegations", "rep-opp", json=body)
    assert made.status_code == 201, made.text
    cid: str = made.json()["id"]
    steps: list[tuple[str, str, dict[str, Any] | None]] = []
    if state != "submitted":
        steps.append(("review", "adj-ru", None))
    if state in ("proposed", "ruled"):
        steps.append(("ruling", "adj-us", {"outcome": "no_violation", "reasons": "Not shown."}))
    if state == "ruled":
        steps += [("sign", name, {"position": "agree"}) for name in ("adj-ru", "adj-us")]
    for step, name, payload in steps:
        response = api.post(f"{V}/allegations/{cid}/{step}", name, json=payload)
        assert response.status_code == 200, response.text
    return cid


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("enforcement")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(tmp / "keys"))
        db, tokens = build_workspace(tmp)
        apps = [create_app(db, settings=ON), create_app(db, settings=OFF)]
        with TestClient(apps[0]) as client, TestClient(apps[1]) as closed:
            api = Api(client, tokens, db)
            states = ("submitted", "under_review", "proposed", "ruled")
            made = {state: _case(api, state) for state in states}
            yield Env(api, Api(closed, tokens, db), apps[0].state.workspace, db, tmp, made)
        for served in apps:
            served.state.workspace.close()


#: The refusals of docs/policy.md: *forbidden*, or *not found* for a case the role may not see.
FORBIDDEN, NOT_FOUND = 403, 404
CODES = {FORBIDDEN: "forbidden", NOT_FOUND: "not_found"}


def refused(call: Callable[[], object], status: int = FORBIDDEN) -> bool:
    """Whether the service refused, with the refusal that means `status`."""
    try:
        call()
    except PolicyError as exc:
        assert exc.status == status, f"refused as {exc.status}, not {status}: {exc}"
        return True
    return False


def http_refused(response: Any, status: int = FORBIDDEN) -> bool:
    """Whether the route refused, with exactly `status` and its error code."""
    if response.status_code < 300:
        assert response.status_code in (200, 201), response.text
        return False
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert response.json()["error"]["code"] == CODES[status], response.text
    assert SECRET not in response.content
    return True


def _with_case(env: Env, work: Callable[[cases.CaseContext], object]) -> Callable[[], object]:
    def run() -> object:
        with env.ws.cases() as ctx:
            return work(ctx)

    return run


def _with_record(env: Env, work: Callable[[Any], object]) -> Callable[[], object]:
    def run() -> object:
        with env.ws.record() as rec:
            return work(rec)

    return run


def _with_session(env: Env, work: Callable[[Any], object]) -> Callable[[], object]:
    def run() -> object:
        with env.ws.record() as rec:
            return work(rec)

    return run


@dataclass(frozen=True)
class Probe:
    """One role trying one action: through its service, and through its interface."""

    who: str
    settings: Settings
    resource: Callable[[Env], Resource]
    service: Callable[[Env, Principal], bool]
    interface: Callable[[Env], bool]


def _case_facts(env: Env) -> Resource:
    """What the policy judges of every case here: the opposition against the government,
    unpublished, before the agreement's panel."""
    return CaseFacts("opposition", "gov", False, ("russia", "usa"))


def _agreement_file(env: Env) -> str:
    path = env.tmp / "another.yaml"
    path.write_text(AGREEMENT_YAML.replace("- id: quiet", "- id: another"), encoding="utf-8")
    return str(path)


def _events(env: Env, name: str) -> str:
    path = env.tmp / f"{name}.jsonl"
    path.write_text(json.dumps(event(name)) + "\n", encoding="utf-8")
    return str(path)


def _ledger_withheld(entries: list[Any]) -> bool:
    """Whether some entry is withheld (what `ledger.read_full` would show)."""
    return any(e.get("withheld") or "commitment" in e for e in entries)


PROBES: dict[Action, Probe] = {
    Action.users_manage: Probe(
        "monitor",
        ON,
        lambda env: None,
        lambda env, who: refused(_with_session(env, lambda s: users.list_users(s, who))),
        lambda env: env.cli_refuses("users", "list", "--as", "monitor"),
    ),
    Action.tokens_issue: Probe(
        "rep-gov",
        ON,
        lambda env: AccountFacts("rep-opp"),
        lambda env, who: refused(
            _with_session(env, lambda s: users.issue_token(s, who, "rep-opp", signer=env.ws.keys))
        ),
        lambda env: env.cli_refuses("users", "token", "rep-opp", "--as", "rep-gov"),
    ),
    Action.agreements_write: Probe(
        "monitor",
        ON,
        lambda env: None,
        lambda env, who: refused(
            lambda: ingest.load_agreement_files([_agreement_file(env)], env.db, who=who)
        ),
        lambda env: env.cli_refuses("agreements", "load", _agreement_file(env), "--as", "monitor"),
    ),
    Action.incidents_read: Probe(
        "public",
        OFF,
        lambda env: None,
        lambda env, who: (
            refused(_with_record(env, lambda rec: views.list_incidents(rec, who, settings=OFF)))
            and refused(_with_record(env, lambda rec: views.visible_incident(rec, who, 1, OFF)))
        ),
        lambda env: (
            http_refused(env.closed.get(f"{V}/incidents"))
            and http_refused(env.closed.get(f"{V}/incidents/1"))
        ),
    ),
    Action.incidents_submit: Probe(
        "rep-gov",
        ON,
        lambda env: None,
        lambda env, who: refused(
            _with_record(
                env, lambda rec: ingest.submit_incidents(rec, who, json.dumps(event("by-party")))
            )
        ),
        lambda env: http_refused(
            env.api.post(f"{V}/incidents", "rep-gov", json=event("by-party-http"))
        ),
    ),
    Action.incidents_review: Probe(
        "rep-gov",
        ON,
        lambda env: None,
        lambda env, who: (
            refused(
                _with_record(
                    env,
                    lambda rec: views.list_incidents(rec, who, settings=ON, status="candidate"),
                )
            )
            and refused(_with_record(env, lambda rec: review.queue(rec, who, settings=ON)))
            and refused(_with_record(env, lambda rec: review.show(rec, who, "1", settings=ON)))
        ),
        lambda env: (
            http_refused(env.api.get(f"{V}/incidents", "rep-gov", params={"status": "candidate"}))
            and http_refused(env.api.get(f"{V}/review", "rep-gov"))
            and http_refused(env.api.get(f"{V}/review/1", "rep-gov"))
            and http_refused(env.api.post(f"{V}/review/1/reject", "rep-gov", json={"reason": "no"}))
        ),
    ),
    Action.attributions_record: Probe(
        "rep-gov",
        ON,
        lambda env: None,
        lambda env, who: refused(
            _with_record(
                env,
                lambda rec: review.claim(
                    rec, who, 1, ["opposition"], "their statement", signer=env.ws.keys
                ),
            )
        ),
        lambda env: http_refused(
            env.api.post(
                f"{V}/incidents/1/attributions",
                "rep-gov",
                json={"actors": ["opposition"], "basis": "their statement"},
            )
        ),
    ),
    Action.findings_read: Probe(
        "public",
        OFF,
        lambda env: None,
        lambda env, who: all(
            refused(_with_record(env, work))
            for work in (
                lambda rec: views.list_findings(rec, who, settings=OFF),
                lambda rec: views.map_layer(rec, who, None, None, settings=OFF),
                lambda rec: views.compliance(rec, who, None, None, settings=OFF),
                lambda rec: views.reading_differences(rec, who, "quiet", settings=OFF),
                lambda rec: views.finding_counts(rec, who, settings=OFF),
            )
        ),
        lambda env: all(
            http_refused(env.closed.get(f"{V}{path}"))
            for path in (
                "/findings",
                "/map/incidents",
                "/compliance",
                "/agreements/quiet/differences",
            )
        ),
    ),
    Action.allegations_file: Probe(
        "rep-gov",
        ON,
        lambda env: CaseFacts("opposition", "gov"),
        lambda env, who: refused(
            _with_case(
                env,
                lambda ctx: cases.file_allegation(
                    ctx,
                    who,
                    agreement_id="quiet",
                    complainant="opposition",
                    respondent="gov",
                    narrative="filed in another's name",
                ),  # fmt: skip
            )
        ),
        lambda env: http_refused(
            env.api.post(
                f"{V}/allegations",
                "rep-gov",
                json={
                    "agreement_id": "quiet",
                    "complainant": "opposition",
                    "respondent": "gov",
                    "narrative": "filed in another's name",
                },
            )
        ),
    ),
    Action.allegations_read: Probe(
        "public",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(env, lambda ctx: cases.show_allegation(ctx, who, env.cases["submitted"])),
            NOT_FOUND,
        ),
        lambda env: http_refused(
            env.api.get(f"{V}/allegations/{env.cases['submitted']}"), NOT_FOUND
        ),
    ),
    Action.allegations_answer: Probe(
        "rep-opp",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(
                env, lambda ctx: cases.answer_allegation(ctx, who, env.cases["submitted"], "x")
            )
        ),
        lambda env: http_refused(
            env.api.post(
                f"{V}/allegations/{env.cases['submitted']}/answer", "rep-opp", json={"text": "x"}
            )
        ),
    ),
    Action.allegations_withdraw: Probe(
        "rep-gov",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(env, lambda ctx: cases.withdraw_allegation(ctx, who, env.cases["submitted"]))
        ),
        lambda env: http_refused(
            env.api.post(f"{V}/allegations/{env.cases['submitted']}/withdraw", "rep-gov", json={})
        ),
    ),
    Action.allegations_review: Probe(
        "admin",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(env, lambda ctx: cases.review_allegation(ctx, who, env.cases["submitted"]))
        ),
        lambda env: http_refused(
            env.api.post(f"{V}/allegations/{env.cases['submitted']}/review", "admin")
        ),
    ),
    Action.evidence_read: Probe(
        "monitor",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(
                env,
                lambda ctx: cases.get_evidence(
                    ctx, who, env.cases["submitted"], hashlib.sha256(SECRET).hexdigest()
                ),
            ),
            NOT_FOUND,  # the monitor does not see the unpublished case, nor its evidence
        ),
        lambda env: http_refused(
            env.api.get(
                f"{V}/allegations/{env.cases['submitted']}/evidence/"
                f"{hashlib.sha256(SECRET).hexdigest()}",
                "monitor",
            ),
            NOT_FOUND,
        ),
    ),
    # Reading a case whose ruling is not published: the ruling is withheld, not the case.
    Action.rulings_read: Probe(
        "rep-opp",
        ON,
        _case_facts,
        lambda env, who: (
            _with_case(
                env, lambda ctx: cases.show_allegation(ctx, who, env.cases["ruled"]).ruling is None
            )()
            is True
        ),
        lambda env: (
            env.api.get(f"{V}/allegations/{env.cases['ruled']}", "rep-opp").json()["ruling"] is None
        ),
    ),
    Action.rulings_propose: Probe(
        "admin",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(
                env,
                lambda ctx: cases.propose_ruling(
                    ctx, who, env.cases["under_review"], outcome="no_violation", reasons="r"
                ),
            )
        ),
        lambda env: http_refused(
            env.api.post(
                f"{V}/allegations/{env.cases['under_review']}/ruling",
                "admin",
                json={"outcome": "no_violation", "reasons": "r"},
            )
        ),
    ),
    Action.rulings_sign: Probe(
        "admin",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(
                env,
                lambda ctx: cases.sign_ruling(ctx, who, env.cases["proposed"], position="agree"),
            )
        ),
        lambda env: http_refused(
            env.api.post(
                f"{V}/allegations/{env.cases['proposed']}/sign",
                "admin",
                json={"position": "agree"},
            )
        ),
    ),
    Action.rulings_publish: Probe(
        "admin",
        ON,
        _case_facts,
        lambda env, who: refused(
            _with_case(env, lambda ctx: cases.publish_ruling(ctx, who, env.cases["ruled"]))
        ),
        lambda env: http_refused(
            env.api.post(f"{V}/allegations/{env.cases['ruled']}/publish", "admin")
        ),
    ),
    # Without the full ledger, the payloads of entries about others' cases are withheld.
    Action.ledger_read_full: Probe(
        "monitor",
        ON,
        lambda env: None,
        lambda env, who: (
            _with_session(
                env,
                lambda s: _ledger_withheld(
                    [e.line() for e in ledger.read_entries(s, who, settings=ON)]
                ),
            )()
            is True
        ),
        lambda env: _ledger_withheld(env.api.get(f"{V}/ledger", "monitor").json()["items"]),
    ),
}

#: Actions no role is refused: asked by the public, answered by the service and the route.
EVERYONES: dict[Action, tuple[Callable[[Env], object], Callable[[Env], Any]]] = {
    Action.agreements_read: (
        lambda env: _with_record(env, lambda rec: views.agreements(rec, ANONYMOUS))(),
        lambda env: env.api.get(f"{V}/agreements"),
    ),
    Action.referrals_read: (
        lambda env: _with_case(env, lambda ctx: cases.list_referrals(ctx, ANONYMOUS))(),
        lambda env: env.api.get(f"{V}/referrals"),
    ),
    Action.ledger_read: (
        lambda env: _with_session(env, lambda s: ledger.read_entries(s, ANONYMOUS))(),
        lambda env: env.api.get(f"{V}/ledger"),
    ),
}


def test_every_action_is_tried() -> None:
    assert set(PROBES) | set(EVERYONES) == set(Action)
    assert not set(PROBES) & set(EVERYONES)


@pytest.mark.parametrize("action", list(PROBES), ids=lambda a: a.value)
def test_a_refused_role_is_refused_by_the_service_and_the_interface(
    env: Env, action: Action
) -> None:
    probe = PROBES[action]
    who = env.who(probe.who)
    # The probe asks what the matrix refuses, and a role it allows passes the same check.
    assert not can(who, action, probe.resource(env), probe.settings)
    assert probe.service(env, who), f"the service let {probe.who} do {action.value}"
    assert probe.interface(env), f"the interface let {probe.who} do {action.value}"


@pytest.mark.parametrize("action", list(EVERYONES), ids=lambda a: a.value)
def test_what_everyone_may_do_is_answered(env: Env, action: Action) -> None:
    assert all(rule is Rule.yes for rule in MATRIX[action].values())
    service, route = EVERYONES[action]
    service(env)
    assert route(env).status_code == 200


def test_the_probes_can_tell_allowed_from_refused(env: Env) -> None:
    """The same probes, asked by a role the matrix allows, are not refused."""
    allowed: dict[Action, str] = {
        Action.users_manage: "admin",
        Action.incidents_review: "monitor",
        Action.attributions_record: "monitor",
        Action.findings_read: "monitor",
        Action.incidents_read: "rep-gov",
        Action.allegations_read: "rep-gov",
        Action.evidence_read: "adj-ru",
        Action.ledger_read_full: "adj-us",
    }
    for action, name in allowed.items():
        who = env.who(name)
        assert not PROBES[action].service(env, who), (action.value, name)
    assert {r for r in Role} == {Role(role) for role, _ in ROLES.values()} | {Role.public}
