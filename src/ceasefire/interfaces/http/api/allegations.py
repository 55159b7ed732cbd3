"""Allegations: filing, reading, evidence, the respondent's answer, review and withdrawal."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Body, Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.interfaces.http.limits import MAX_EVIDENCE_BODY
from ceasefire.services import cases

router = APIRouter(prefix=API, tags=["allegations"], responses=ERRORS)


class EvidenceUpload(Body):
    filename: str = Field(min_length=1, max_length=255)
    media_type: str | None = Field(default=None, max_length=255)
    content_base64: str = Field(max_length=MAX_EVIDENCE_BODY)


class FileAllegation(Body):
    agreement_id: str = Field(min_length=1, max_length=200)
    complainant: str = Field(min_length=1, max_length=200)
    respondent: str = Field(min_length=1, max_length=200)
    narrative: str = Field(min_length=1, max_length=100_000)
    incidents: list[str] = Field(default_factory=list, max_length=1000)
    evidence: list[EvidenceUpload] = Field(default_factory=list, max_length=50)


class Text(Body):
    text: str = Field(min_length=1, max_length=100_000)


class Withdrawal(Body):
    reason: str = Field(default="", max_length=100_000)


class Evidence(BaseModel):
    sha256: str
    filename: str
    media_type: str
    size: int


class Answer(BaseModel):
    by_user: str
    party: str
    text: str
    at: str


class Position(BaseModel):
    """A panel member's stated position; `position` null means it never signed."""

    adjudicator: str
    position: str | None
    statement: str
    user: str | None
    at: str | None


class Ruling(BaseModel):
    outcome: str
    proposed_outcome: str | None
    reasons: str
    findings: list[Any]
    panel: list[str]
    positions: list[Position]
    joint: bool
    created_by: str | None
    created_at: str
    published_at: str | None


class CaseSummary(BaseModel):
    id: str
    agreement_id: str
    complainant: str
    respondent: str
    status: str
    filed_at: str
    due_at: str
    overdue: bool
    outcome: str | None


class Allegation(BaseModel):
    """One allegation as the caller may see it: evidence and ruling only where allowed."""

    id: str
    agreement_id: str
    complainant: str
    respondent: str
    narrative: str
    status: str
    filed_by: str
    filed_at: str
    due_at: str
    updated_at: str
    overdue: bool
    incidents: list[str]
    evidence: list[Evidence] | None
    answers: list[Answer]
    ruling: Ruling | None
    actions: list[str] = Field(description="what the caller may do next")


def evidence_files(uploads: list[EvidenceUpload]) -> list[cases.EvidenceFile]:
    files = []
    for item in uploads:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(422, "invalid_request", f"{item.filename}: not base64") from exc
        files.append(cases.EvidenceFile(item.filename, content, item.media_type))
    return files


@router.get("/allegations", response_model=Page[CaseSummary])
def allegations(
    ws: Ws,
    who: Caller,
    agreement: str | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The allegations the caller may see: its own party's, and published ones."""
    with ws.cases() as ctx:
        where: dict[str, Any] = dict(agreement_id=agreement, status=status, overdue=overdue)
        found = cases.list_allegations(ctx, who, **where, limit=limit, offset=offset)
        total = cases.count_allegations(ctx, who, **where)
        items = [c.as_dict() for c in found]
    return Page[CaseSummary].of(items=items, total=total, limit=limit, offset=offset)


@router.post("/allegations", status_code=201, response_model=Allegation)
def file(ws: Ws, who: Caller, body: FileAllegation) -> Any:
    evidence = evidence_files(body.evidence)
    with ws.cases() as ctx:
        return cases.file_allegation(
            ctx,
            who,
            agreement_id=body.agreement_id,
            complainant=body.complainant,
            respondent=body.respondent,
            narrative=body.narrative,
            incidents=body.incidents,
            evidence=evidence,
        ).as_dict()


@router.get("/allegations/{allegation_id}", response_model=Allegation)
def allegation(ws: Ws, who: Caller, allegation_id: str) -> Any:
    with ws.cases() as ctx:
        return cases.show_allegation(ctx, who, allegation_id).as_dict()


@router.get(
    "/allegations/{allegation_id}/evidence/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "the file"}},
)
def evidence(ws: Ws, who: Caller, allegation_id: str, sha256: str) -> Response:
    with ws.cases() as ctx:
        item = cases.get_evidence(ctx, who, allegation_id, sha256)
    return Response(
        item.content,
        media_type=item.media_type or "application/octet-stream",
        headers={"content-disposition": attachment(item.filename)},
    )


def attachment(name: str) -> str:
    """A download's name for any script (RFC 6266 with RFC 5987's `filename*`).

    Headers are Latin-1, so the plain `filename` is an ASCII stand-in (non-ASCII,
    quotes and backslashes replaced) and `filename*` carries the name in UTF-8.
    """
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.post("/allegations/{allegation_id}/answer", response_model=Allegation)
def answer(ws: Ws, who: Caller, allegation_id: str, body: Text) -> Any:
    with ws.cases() as ctx:
        return cases.answer_allegation(ctx, who, allegation_id, body.text).as_dict()


@router.post("/allegations/{allegation_id}/review", response_model=Allegation)
def review(ws: Ws, who: Caller, allegation_id: str) -> Any:
    with ws.cases() as ctx:
        return cases.review_allegation(ctx, who, allegation_id).as_dict()


@router.post("/allegations/{allegation_id}/withdraw", response_model=Allegation)
def withdraw(ws: Ws, who: Caller, allegation_id: str, body: Withdrawal) -> Any:
    with ws.cases() as ctx:
        return cases.withdraw_allegation(ctx, who, allegation_id, body.reason).as_dict()
