"""The review queue and people's claims of who acted: thin routes over `services.review`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from ceasefire.interfaces.http.api.incidents import IncidentClaim
from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Body, Open, Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.services import review

router = APIRouter(prefix=API, tags=["review"], responses=ERRORS)

Ref = Annotated[
    str,
    PathParam(
        min_length=1,
        max_length=500,
        description="a candidate's `source:id` (or row key), or a pair's item id",
    ),
]
Pk = Annotated[int, PathParam(ge=1, le=2**62)]


class Summary(Open):
    """What a queue line shows of an incident."""

    pk: int
    ref: str
    status: str
    start: str
    end: str
    place: str
    act: str
    killed_best: float | None
    source_text: str
    event: str | None


class QueueEntry(BaseModel):
    ref: str
    kind: Literal["candidate", "duplicate"]
    incident: Summary
    other: Summary | None = None
    score: float | None = None


class Span(BaseModel):
    start: int
    end: int
    label: str
    words: str


class Detail(Open):
    """An incident as a reviewer sees it: the stored row, its quote, spans, claims, event."""

    pk: int
    ref: str
    status: str
    quote: str
    spans: list[Span]
    claims: list[IncidentClaim]
    event: str | None
    reports: list[str]
    findings: list[dict[str, Any]]


class Item(BaseModel):
    ref: str
    kind: str
    status: str
    incident: Detail
    other: Detail | None = None
    score: float | None = None
    decided_by: str | None = None
    reason: str | None = None
    actions: list[str] = Field(description="what the caller may decide next")


class Accept(Body):
    edits: dict[str, Any] | None = Field(
        default=None,
        max_length=50,
        description="fields of the native record to change first (`place.lat`, `killed.best`)",
    )


class Into(Body):
    into: str = Field(min_length=1, max_length=500, description="the event's incident ref")


class LinkInto(Body):
    into: str | None = Field(default=None, max_length=500)


class Reason(Body):
    reason: str = Field(min_length=1, max_length=10_000)


class Unlink(Body):
    pass


class NewClaim(Body):
    actors: list[str] = Field(min_length=1, max_length=20)
    basis: str = Field(min_length=1, max_length=10_000)
    role: Literal["perpetrator", "target"] = "perpetrator"


class Recorded(BaseModel):
    id: str
    incident: int


def _item(view: review.ReviewView) -> Item:
    return Item.model_validate(view.__dict__)


@router.get("/review", response_model=Page[QueueEntry])
def queue(
    ws: Ws,
    rec: Rec,
    who: Caller,
    kind: Literal["candidate", "duplicate"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """What waits for a reviewer: candidates, then pairs that may be one event (best first)."""
    page = review.queue(rec, who, kind, limit=limit, offset=offset, settings=ws.settings)
    items = [i.__dict__ for i in page.items]
    return Page[QueueEntry].of(items=items, total=page.total, limit=limit, offset=offset)


@router.get("/review/{ref}", response_model=Item)
def show(ws: Ws, rec: Rec, who: Caller, ref: Ref) -> Any:
    """One item with its evidence: a candidate's quote and spans, or a pair side by side."""
    return _item(review.show(rec, who, ref, settings=ws.settings))


@router.post("/review/{ref}/accept", response_model=Item)
def accept(ws: Ws, rec: Rec, who: Caller, ref: Ref, body: Accept | None = None) -> Any:
    """Accept a candidate, edited first if `edits`: it is judged at once."""
    edits = body.edits if body is not None else None
    view = review.accept(rec, who, ref, edits, signer=ws.keys, settings=ws.settings)
    return _item(view)


@router.post("/review/{ref}/merge", response_model=Item)
def merge(ws: Ws, rec: Rec, who: Caller, ref: Ref, body: Into) -> Any:
    """The candidate reports an event on the record: accepted as one of its reports."""
    view = review.merge(rec, who, ref, body.into, signer=ws.keys, settings=ws.settings)
    return _item(view)


@router.post("/review/{ref}/reject", response_model=Item)
def reject(ws: Ws, rec: Rec, who: Caller, ref: Ref, body: Reason) -> Any:
    """Reject a candidate (or dismiss a pair) with a reason."""
    view = review.reject(rec, who, ref, body.reason, signer=ws.keys, settings=ws.settings)
    return _item(view)


@router.post("/review/{ref}/link", response_model=Item)
def link(ws: Ws, rec: Rec, who: Caller, ref: Ref, body: LinkInto | None = None) -> Any:
    """Two reports are of one event: a pair, or an incident `into` another."""
    into = body.into if body is not None else None
    view = review.link(rec, who, ref, into, signer=ws.keys, settings=ws.settings)
    return _item(view)


@router.post("/review/{ref}/unlink", response_model=Item)
def unlink(ws: Ws, rec: Rec, who: Caller, ref: Ref, body: Unlink | None = None) -> Any:
    """A report linked into an event is its own event again."""
    return _item(review.unlink(rec, who, ref, signer=ws.keys, settings=ws.settings))


@router.post("/incidents/{pk}/attributions", status_code=201, response_model=Recorded)
def claim(ws: Ws, rec: Rec, who: Caller, pk: Pk, body: NewClaim) -> Any:
    """A person's claim of who acted (or was hit), with its basis."""
    ident = review.claim(
        rec, who, pk, body.actors, body.basis, role=body.role, signer=ws.keys,
        settings=ws.settings,
    )  # fmt: skip
    return Recorded(id=ident, incident=pk)


@router.post("/incidents/{pk}/attributions/{ident}/withdraw", response_model=Recorded)
def withdraw(
    ws: Ws,
    rec: Rec,
    who: Caller,
    pk: Pk,
    ident: Annotated[str, PathParam(min_length=1, max_length=64)],
) -> Any:
    """Withdraw a person's claim (or discount); the incident is judged again."""
    review.withdraw(rec, who, pk, ident, signer=ws.keys, settings=ws.settings)
    return Recorded(id=ident, incident=pk)


@router.post("/incidents/{pk}/discount", status_code=201, response_model=Recorded)
def discount(ws: Ws, rec: Rec, who: Caller, pk: Pk, body: Reason) -> Any:
    """The recorded attribution is wrong: its grade becomes `discounted`."""
    ident = review.discount(rec, who, pk, body.reason, signer=ws.keys, settings=ws.settings)
    return Recorded(id=ident, incident=pk)
