"""`ceasefire cases`: allegations and rulings, thin wrappers over `ceasefire.services.cases`.

The local operator is trusted to act as a named user (`--as NAME`) whose private
key is in the keystore: every change is signed with that key and recorded on
the ledger, exactly as when the same user acts through the API. Reads without
`--as` see what the public sees. The workspace and `--as` are in `workspace.py`;
`users` and `ledger` have their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ceasefire.interfaces.cli.support import console
from ceasefire.interfaces.cli.support import fail as _fail
from ceasefire.interfaces.cli.support import print_json as _print_json
from ceasefire.interfaces.cli.workspace import As, AsOptional, Db
from ceasefire.interfaces.cli.workspace import user as _user
from ceasefire.interfaces.cli.workspace import workspace as _workspace
from ceasefire.services import cases as case_service
from ceasefire.services import ledger
from ceasefire.services import users as user_service

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

AgreementFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--agreements", help="take agreement terms from these files, not the stored agreements"
    ),
]


def _print_case(view: case_service.CaseView) -> None:
    flag = " [bold red]OVERDUE[/]" if view.overdue else ""
    console.print(f"[bold]{view.id}[/] {view.agreement_id}: {view.status}{flag}")
    console.print(f"  {view.complainant} against {view.respondent}, filed by {view.filed_by}")
    console.print(f"  filed {case_service.iso(view.filed_at)}, due {case_service.iso(view.due_at)}")
    console.print(f"  {view.narrative}", highlight=False)
    for ref in view.incidents:
        console.print(f"  incident {ref}", highlight=False)
    for e in view.evidence or []:
        console.print(f"  evidence {e.sha256} {e.filename} ({e.media_type}, {e.size} bytes)")
    for a in view.answers:
        console.print(f"  answer by {a.party} ({a.by_user}): {a.text}", highlight=False)
    if view.ruling is not None:
        r = view.ruling
        proposed = f" (proposed: {r.proposed_outcome})" if r.proposed_outcome else ""
        published = (
            f"published {case_service.iso(r.published_at)}" if r.published_at else "unpublished"
        )
        console.print(f"  ruling: [bold]{r.outcome}[/]{proposed}, {published}")
        console.print(f"    {r.reasons}", highlight=False)
        for p in r.positions:
            said = f": {p.statement}" if p.statement else ""
            console.print(f"    {p.adjudicator}: {p.position or 'no position (silent)'}{said}")


# ---------------------------------------------------------------------- cases

cases_app = typer.Typer(help="Allegations and rulings.", no_args_is_help=True)
CaseId = Annotated[str, typer.Argument(help="allegation id, e.g. A-2016-0001")]


@cases_app.command("file")
def cases_file(
    as_user: As,
    agreement: Annotated[str, typer.Option("--agreement", help="agreement id")],
    respondent: Annotated[str, typer.Option("--against", help="the respondent actor id")],
    narrative: Annotated[str | None, typer.Option("--narrative", help="what happened")] = None,
    narrative_file: Annotated[
        Path | None, typer.Option("--narrative-file", help="read the narrative from a file")
    ] = None,
    complainant: Annotated[
        str | None,
        typer.Option("--complainant", help="the complaining actor (default: your party)"),
    ] = None,
    incident: Annotated[
        list[str] | None, typer.Option("--incident", help="incident `source:source_id`")
    ] = None,
    evidence: Annotated[
        list[Path] | None, typer.Option("--evidence", help="a file to attach")
    ] = None,
    agreements: AgreementFiles = None,
    db: Db = None,
) -> None:
    """File an allegation that the respondent violated an agreement."""
    if (narrative is None) == (narrative_file is None):
        raise _fail("give --narrative TEXT or --narrative-file FILE")
    text = narrative if narrative is not None else Path(narrative_file or "").read_text("utf-8")
    files = []
    for path in evidence or []:
        try:
            files.append(case_service.EvidenceFile(path.name, path.read_bytes()))
        except OSError as exc:
            raise _fail(f"{path}: {exc.strerror or exc}") from None
    with _workspace(db) as space:

        def work(rec: Record) -> case_service.CaseView:
            user = user_service.get_user(rec, as_user)
            who = complainant or user.party
            if who is None:
                raise case_service.InvalidRequest("give --complainant ACTOR")
            return case_service.file_allegation(
                space.context(rec, agreements),
                user,
                agreement_id=agreement,
                complainant=who,
                respondent=respondent,
                narrative=text,
                incidents=incident or [],
                evidence=files,
            )

        view = space.write(work)
    console.print(
        f"filed [bold]{view.id}[/]: {view.complainant} against {view.respondent} under "
        f"{view.agreement_id}; ruling due {case_service.iso(view.due_at)}"
    )


def _act(
    db: str | None,
    as_user: str,
    agreements: list[Path] | None,
    action: Callable[[case_service.CaseContext, Any], case_service.CaseView],
) -> case_service.CaseView:
    with _workspace(db) as space:

        def work(rec: Record) -> case_service.CaseView:
            user = user_service.get_user(rec, as_user)
            return action(space.context(rec, agreements), user)

        return space.write(work)


@cases_app.command("answer")
def cases_answer(
    allegation: CaseId,
    as_user: As,
    text: Annotated[str, typer.Option("--text", help="the respondent's answer")],
    db: Db = None,
) -> None:
    """Answer an allegation against your party."""
    view = _act(
        db, as_user, None, lambda c, u: case_service.answer_allegation(c, u, allegation, text)
    )
    console.print(f"answered {view.id} for {view.respondent}")


@cases_app.command("review")
def cases_review(allegation: CaseId, as_user: As, db: Db = None) -> None:
    """Take an allegation under review (adjudicators)."""
    view = _act(db, as_user, None, lambda c, u: case_service.review_allegation(c, u, allegation))
    console.print(f"{view.id} is {view.status}")


@cases_app.command("rule")
def cases_rule(
    allegation: CaseId,
    as_user: As,
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="violation_confirmed, no_violation, inconclusive or perpetrator_excluded",
        ),
    ],
    reasons: Annotated[str, typer.Option("--reasons", help="the reasons, in full")],
    finding: Annotated[
        list[str] | None, typer.Option("--finding", help="a linked automatic finding")
    ] = None,
    agreements: AgreementFiles = None,
    db: Db = None,
) -> None:
    """Propose the ruling; the agreement's adjudicators then sign it."""
    view = _act(
        db,
        as_user,
        agreements,
        lambda c, u: case_service.propose_ruling(
            c, u, allegation, outcome=outcome, reasons=reasons, findings=finding or []
        ),
    )
    panel = ", ".join(view.ruling.panel) if view.ruling else ""
    console.print(f"{view.id}: ruling proposed ({outcome}); to be signed by {panel}")


@cases_app.command("sign")
def cases_sign(
    allegation: CaseId,
    as_user: As,
    position: Annotated[str, typer.Option("--position", help="agree or dissent")],
    statement: Annotated[str, typer.Option("--statement", help="required to dissent")] = "",
    key: Annotated[
        Path | None,
        typer.Option("--key", help="sign here with your own key file (the server holds none)"),
    ] = None,
    agreements: AgreementFiles = None,
    db: Db = None,
) -> None:
    """Sign the proposed ruling for your actor, agreeing or dissenting.

    With `--key FILE` the signature is made here, over the exact entry the
    service records (`cases.ruling_sign_payload`), and sent with the request.
    """
    own = user_service.read_key_file(key) if key is not None else None

    def sign(c: case_service.CaseContext, u: Any) -> case_service.CaseView:
        signature = None
        if own is not None:
            payload = case_service.ruling_sign_payload(
                allegation, u.party or "", position, statement
            )
            signature = own.sign(ledger.statement(u.name, "ruling.sign", payload))
        return case_service.sign_ruling(
            c, u, allegation, position=position, statement=statement, signature=signature
        )

    view = _act(db, as_user, agreements, sign)
    joint = view.ruling is not None and view.ruling.joint
    console.print(f"{view.id}: signed ({position}); " + ("joint" if joint else "not yet joint"))


@cases_app.command("publish")
def cases_publish(
    allegation: CaseId, as_user: As, agreements: AgreementFiles = None, db: Db = None
) -> None:
    """Publish the joint ruling, or after the deadline, `no_joint_ruling` with positions."""
    with _workspace(db) as space:

        def work(rec: Record) -> case_service.PublishResult:
            user = user_service.get_user(rec, as_user)
            return case_service.publish_ruling(space.context(rec, agreements), user, allegation)

        result = space.write(work)
    console.print(f"{allegation}: published [bold]{result.ruling.outcome}[/]")
    for p in result.ruling.positions:
        console.print(f"  {p.adjudicator}: {p.position or 'no position (silent)'}")
    if result.referral is not None:
        r = result.referral
        console.print(
            f"[bold red]referral {r.id}[/]: {r.respondent} has {len(r.allegations)} confirmed "
            f"violations of {r.agreement_id} within {r.days} days ({', '.join(r.allegations)})"
        )


@cases_app.command("withdraw")
def cases_withdraw(
    allegation: CaseId,
    as_user: As,
    reason: Annotated[str, typer.Option("--reason", help="why")] = "",
    db: Db = None,
) -> None:
    """Withdraw your party's allegation before a ruling is proposed."""
    view = _act(
        db, as_user, None, lambda c, u: case_service.withdraw_allegation(c, u, allegation, reason)
    )
    console.print(f"{view.id} is {view.status}")


@cases_app.command("list")
def cases_list(
    as_user: AsOptional = None,
    agreement: Annotated[str | None, typer.Option("--agreement", help="only this one")] = None,
    status: Annotated[str | None, typer.Option("--status", help="only this status")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only overdue cases")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    db: Db = None,
) -> None:
    """The allegations you may see, with their deadlines; overdue ones flagged."""
    with _workspace(db) as space:

        def work(rec: Record) -> list[case_service.CaseSummary]:
            return case_service.list_allegations(
                space.context(rec),
                _user(rec, as_user),
                agreement_id=agreement,
                status=status,
                overdue=True if overdue else None,
            )

        rows = space.read(work)
    if as_json:
        _print_json([r.as_dict() for r in rows])
        return
    table = Table("id", "agreement", "complainant", "respondent", "status", "due", "outcome")
    for r in rows:
        due = case_service.iso(r.due_at) or ""
        table.add_row(
            r.id,
            r.agreement_id,
            r.complainant,
            r.respondent,
            r.status,
            f"[bold red]{due} OVERDUE[/]" if r.overdue else due,
            r.outcome or "",
        )
    console.print(table)


@cases_app.command("show")
def cases_show(
    allegation: CaseId,
    as_user: AsOptional = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    db: Db = None,
) -> None:
    """One allegation: narrative, incidents, evidence, answers, ruling and positions."""
    with _workspace(db) as space:
        view = space.read(
            lambda s: case_service.show_allegation(space.context(s), _user(s, as_user), allegation)
        )
    if as_json:
        _print_json(view.as_dict())
    else:
        _print_case(view)


@cases_app.command("evidence")
def cases_evidence(
    allegation: CaseId,
    sha256: Annotated[str, typer.Argument(help="the evidence file's SHA-256")],
    out: Annotated[Path, typer.Option("-o", "--out", help="write the file here")],
    as_user: AsOptional = None,
    db: Db = None,
) -> None:
    """Write an evidence file out, if you may read it."""
    with _workspace(db) as space:
        item = space.read(
            lambda s: case_service.get_evidence(
                space.context(s), _user(s, as_user), allegation, sha256
            )
        )
    out.write_bytes(item.content)
    console.print(f"wrote {item.filename} ({item.media_type}) to {out}")


@cases_app.command("referrals")
def cases_referrals(db: Db = None) -> None:
    """Referrals made when a party's confirmed violations reached the agreement's threshold."""
    with _workspace(db) as space:
        rows = space.read(lambda s: case_service.list_referrals(space.context(s), None))
    table = Table("id", "agreement", "respondent", "allegations", "threshold", "created")
    for r in rows:
        table.add_row(
            r.id,
            r.agreement_id,
            r.respondent,
            ", ".join(r.allegations),
            f"{r.violations} in {r.days} days",
            case_service.iso(r.created_at) or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the `users`, `cases` and `ledger` command groups (the signed record) to `app`."""
    from ceasefire.interfaces.cli.ledger import ledger_app
    from ceasefire.interfaces.cli.users import users_app

    app.add_typer(users_app, name="users")
    app.add_typer(cases_app, name="cases")
    app.add_typer(ledger_app, name="ledger")
