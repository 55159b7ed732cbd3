"""`ceasefire review`: the review queue, thin wrappers over `ceasefire.services.review`.

Listing and showing without `--as` is the local operator's (who holds the
file, with an admin's rights); every decision is signed on the ledger, so it
needs `--as NAME`, a registered user whose key is in the keystore.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.support import console
from ceasefire.interfaces.cli.support import fail as _fail
from ceasefire.interfaces.cli.support import print_json as _print_json
from ceasefire.interfaces.cli.workspace import As, AsOptional, Db
from ceasefire.interfaces.cli.workspace import workspace as _workspace
from ceasefire.services import review as review_service
from ceasefire.services import users as user_service

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

T = TypeVar("T")

review_app = typer.Typer(
    help="The review queue: candidate incidents and possible duplicates.", no_args_is_help=True
)
Ref = Annotated[
    str, typer.Argument(help="a candidate's `source:id` (or row key), or a pair's item id")
]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _who(rec: Record, name: str | None) -> Any:
    return user_service.get_user(rec, name) if name else LOCAL_OPERATOR


def _read(db: str | None, as_user: str | None, work: Callable[[Record, Any], T]) -> T:
    with _workspace(db) as space:
        return space.read(lambda rec: work(rec, _who(rec, as_user)))


def _write(db: str | None, as_user: str, work: Callable[[Record, Any, Any], T]) -> T:
    with _workspace(db) as space:
        return space.write(lambda rec: work(rec, _who(rec, as_user), space.keys))


def _line(item: review_service.QueueItem) -> tuple[str, ...]:
    one = item.incident
    two = item.other
    what = f"{one['start'][:10]} {one['act']} at {one['place'] or '?'}"
    if two is not None:
        what += f"  ~  {two['ref']} {two['start'][:10]} {two['act']} at {two['place'] or '?'}"
    score = "" if item.score is None else f"{item.score:.2f}"
    ref = item.ref if item.kind == "candidate" else item.ref[:16]
    return (item.kind, ref, one["ref"], what, score)


@review_app.command("list")
def review_list(
    kind: Annotated[
        str | None, typer.Option("--kind", help="candidate or duplicate (default: both)")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_user: AsOptional = None,
    as_json: Json = False,
    db: Db = None,
) -> None:
    """What waits for a reviewer: candidates first, then pairs that may be one event."""
    page = _read(
        db,
        as_user,
        lambda rec, who: review_service.queue(rec, who, kind, limit=limit, offset=offset),
    )
    if as_json:
        _print_json(
            {
                "items": [item.__dict__ for item in page.items],
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
            }
        )
        return
    if not page.items:
        console.print("nothing waits for review")
        return
    table = Table("kind", "ref", "incident", "what", "score")
    for item in page.items:
        table.add_row(*_line(item))
    console.print(table)
    shown = f"{page.offset + 1}–{page.offset + len(page.items)}"
    console.print(f"{shown} of {page.total}; `ceasefire review show REF` for one")


def _print_incident(incident: dict[str, Any], title: str) -> None:
    killed = incident.get("killed_best")
    console.print(
        f"[bold]{title} {incident['ref']}[/] ({incident['status']}): {incident['act']} "
        f"{incident['start']} – {incident['end']} at {incident.get('place_name') or '?'} "
        f"({incident['lon']:.4f}, {incident['lat']:.4f}) ±{incident['radius_m'] / 1000:g} km"
        + (f", killed {killed:g}" if killed is not None else ""),
        highlight=False,
    )
    who = "; ".join(
        f"{', '.join(ids)}" + (f" per {by}" if by else "") for by, ids in incident["perpetrators"]
    )
    console.print(f"  who acted (as recorded): {who or 'not said'}", highlight=False)
    quote = incident.get("quote") or ""
    if quote:
        console.print(f"  quote: {quote}", highlight=False)
        for span in incident.get("spans") or []:
            console.print(
                f"    [{span['start']}:{span['end']}] {span['label']}: {span['words']!r}",
                highlight=False,
            )
    for c in incident.get("claims") or []:
        actors = ", ".join(c["actors"]) or "(discounted)"
        console.print(
            f"  claim {c['id'][:12]}… {c['basis_kind']} {actors} by {c['claimed_by'] or '?'} "
            f"({c['status']}): {c['basis']}",
            highlight=False,
        )
    if incident.get("event"):
        console.print(f"  a report of the event {incident['event']}")
    for report in incident.get("reports") or []:
        console.print(f"  report of this event: {report}")


def _print_view(view: review_service.ReviewView) -> None:
    score = "" if view.score is None else f", score {view.score:.2f}"
    console.print(f"[bold]{view.kind}[/] {view.ref}: {view.status}{score}", highlight=False)
    if view.decided_by:
        reason = f": {view.reason}" if view.reason else ""
        console.print(f"  decided by {view.decided_by}{reason}", highlight=False)
    _print_incident(view.incident, "incident")
    if view.other is not None:
        _print_incident(view.other, "other")
    if view.actions:
        console.print(f"  next: {', '.join(view.actions)}")


@review_app.command("show")
def review_show(ref: Ref, as_user: AsOptional = None, as_json: Json = False, db: Db = None) -> None:
    """One item with its evidence: a candidate's quote and spans, or a pair side by side."""
    view = _read(db, as_user, lambda rec, who: review_service.show(rec, who, ref))
    if as_json:
        _print_json(view.__dict__)
        return
    _print_view(view)


def _edits(pairs: list[str] | None, file: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _fail(f"{file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise _fail(f"{file}: an object of field: value")
        out.update(loaded)
    for pair in pairs or []:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise _fail(f"--set {pair!r}: write FIELD=VALUE (place.lat=36.2, act=shelling)")
        try:
            out[field.strip()] = json.loads(value)
        except ValueError:
            out[field.strip()] = value
    return out


@review_app.command("accept")
def review_accept(
    ref: Ref,
    as_user: As,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="an edit FIELD=VALUE (place.lat=36.2, killed.best=12)"),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="edits as a JSON object of field: value")
    ] = None,
    db: Db = None,
) -> None:
    """Accept a candidate, as it is or edited: it is judged at once."""
    edits = _edits(set_, file)
    view = _write(
        db,
        as_user,
        lambda rec, who, keys: review_service.accept(rec, who, ref, edits or None, signer=keys),
    )
    edited = f" with {len(edits)} edit{'s' if len(edits) != 1 else ''}" if edits else ""
    console.print(f"accepted {view.ref}{edited}; findings:")
    for f in view.incident.get("findings") or []:
        console.print(f"  {f['agreement_id']}/{f['reading']}: {f['category']}", highlight=False)


@review_app.command("merge")
def review_merge(
    ref: Ref,
    as_user: As,
    into: Annotated[str, typer.Option("--into", help="the incident this one is a report of")],
    db: Db = None,
) -> None:
    """The candidate reports an event already on the record: accept it as one of its reports."""
    view = _write(
        db, as_user, lambda rec, who, keys: review_service.merge(rec, who, ref, into, signer=keys)
    )
    console.print(f"merged {view.ref} into the event {view.incident['event']}")


@review_app.command("reject")
def review_reject(
    ref: Ref,
    as_user: As,
    reason: Annotated[str, typer.Option("--reason", help="why (kept, seen by reviewers)")],
    db: Db = None,
) -> None:
    """Reject a candidate (or dismiss a pair) with a reason."""
    view = _write(
        db,
        as_user,
        lambda rec, who, keys: review_service.reject(rec, who, ref, reason, signer=keys),
    )
    console.print(f"{view.ref}: {view.status}", highlight=False)


@review_app.command("link")
def review_link(
    ref: Ref,
    as_user: As,
    into: Annotated[
        str | None, typer.Option("--into", help="the event's incident (for a pair: one of it)")
    ] = None,
    db: Db = None,
) -> None:
    """Two reports are of one event: link a pair, or an incident `--into` another."""
    view = _write(
        db, as_user, lambda rec, who, keys: review_service.link(rec, who, ref, into, signer=keys)
    )
    console.print(f"{view.ref}: linked", highlight=False)


@review_app.command("unlink")
def review_unlink(ref: Ref, as_user: As, db: Db = None) -> None:
    """A report linked into an event is its own event again."""
    view = _write(
        db, as_user, lambda rec, who, keys: review_service.unlink(rec, who, ref, signer=keys)
    )
    console.print(f"{view.ref}: unlinked", highlight=False)


Incident = Annotated[str, typer.Argument(help="the incident: row key or `source:id`")]


@review_app.command("claim")
def review_claim(
    incident: Incident,
    as_user: As,
    actor: Annotated[list[str], typer.Option("--actor", help="the acting side's actor id")],
    basis: Annotated[str, typer.Option("--basis", help="what the claim rests on")],
    role: Annotated[str, typer.Option("--role", help="perpetrator or target")] = "perpetrator",
    db: Db = None,
) -> None:
    """Record who acted, with the basis: a claim beside the source's, contestable like any."""
    ident = _write(
        db,
        as_user,
        lambda rec, who, keys: review_service.claim(
            rec, who, incident, actor, basis, role=role, signer=keys
        ),
    )
    console.print(f"claim {ident} recorded on {incident}")


@review_app.command("withdraw")
def review_withdraw(
    incident: Incident,
    claim_id: Annotated[str, typer.Argument(help="the claim's id")],
    as_user: As,
    db: Db = None,
) -> None:
    """Withdraw a person's claim (or discount)."""
    _write(
        db,
        as_user,
        lambda rec, who, keys: review_service.withdraw(rec, who, incident, claim_id, signer=keys),
    )
    console.print(f"claim {claim_id} withdrawn")


@review_app.command("discount")
def review_discount(
    incident: Incident,
    as_user: As,
    reason: Annotated[str, typer.Option("--reason", help="why the attribution is wrong")],
    db: Db = None,
) -> None:
    """The recorded attribution is wrong: its grade becomes `discounted`."""
    ident = _write(
        db,
        as_user,
        lambda rec, who, keys: review_service.discount(rec, who, incident, reason, signer=keys),
    )
    console.print(f"discount {ident} recorded on {incident}")


__all__ = ["review_app"]
