"""Rulings: the panel proposes, signs and publishes; the public register; referrals."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ceasefire.interfaces.http.api.allegations import Allegation
from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Body, Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.services import cases, ledger

router = APIRouter(prefix=API, tags=["rulings"], responses=ERRORS)


class ProposeRuling(Body):
    outcome: Literal["violation_confirmed", "no_violation", "inconclusive", "perpetrator_excluded"]
    reasons: str = Field(min_length=1, max_length=100_000)
    findings: list[str] = Field(default_factory=list, max_length=1000)


class Signature(Body):
    position: Literal["agree", "dissent"]
    statement: str = Field(default="", max_length=100_000)
    signature: str | None = Field(
        default=None,
        max_length=200,
        description="base64 Ed25519 signature, by the signer's own key, of "
        '`ledger.statement(user, "ruling.sign", cases.ruling_sign_payload(...))`',
    )


class Referral(BaseModel):
    """Repeated confirmed violations by one respondent, referred to the guarantors."""

    id: str
    agreement_id: str
    respondent: str
    allegations: list[str]
    violations: int
    days: int
    created_at: str


class Published(Allegation):
    referral: Referral | None


@router.post("/allegations/{allegation_id}/ruling", response_model=Allegation)
def rule(ws: Ws, who: Caller, allegation_id: str, body: ProposeRuling) -> Any:
    with ws.cases() as ctx:
        return cases.propose_ruling(
            ctx, who, allegation_id, outcome=body.outcome, reasons=body.reasons,
            findings=body.findings,
        ).as_dict()  # fmt: skip


@router.post("/allegations/{allegation_id}/sign", response_model=Allegation)
def sign(ws: Ws, who: Caller, allegation_id: str, body: Signature) -> Any:
    detached = _signature(body.signature)
    with ws.cases() as ctx:
        return cases.sign_ruling(
            ctx, who, allegation_id, position=body.position, statement=body.statement,
            signature=detached,
        ).as_dict()  # fmt: skip


def _signature(text: str | None) -> bytes | None:
    """The detached signature's bytes; malformed base64 is the client's error (422)."""
    if text is None:
        return None
    try:
        return ledger.b64_strict(text)
    except ValueError:
        raise ApiError(422, "invalid_request", "signature: not valid base64") from None


@router.post("/allegations/{allegation_id}/publish", response_model=Published)
def publish(ws: Ws, who: Caller, allegation_id: str) -> Any:
    with ws.cases() as ctx:
        result = cases.publish_ruling(ctx, who, allegation_id)
        shown = cases.show_allegation(ctx, who, allegation_id).as_dict()
    return shown | {"referral": result.referral.as_dict() if result.referral else None}


@router.get("/rulings", response_model=Page[Allegation])
def rulings(
    ws: Ws, who: Caller, agreement: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> Any:
    """The public register: every published ruling, readable without logging in."""
    with ws.cases() as ctx:
        found = cases.published_rulings(
            ctx, who, agreement_id=agreement, limit=limit, offset=offset
        )
        total = cases.count_allegations(ctx, who, agreement_id=agreement, status="published")
        items = [c.as_dict() for c in found]
    return Page[Allegation].of(items=items, total=total, limit=limit, offset=offset)


@router.get("/referrals", response_model=Page[Referral])
def referrals(
    ws: Ws, who: Caller, agreement: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> Any:
    with ws.cases() as ctx:
        found = cases.list_referrals(ctx, who, agreement_id=agreement, limit=limit, offset=offset)
        total = cases.count_referrals(ctx, who, agreement_id=agreement)
    items = [r.as_dict() for r in found]
    return Page[Referral].of(items=items, total=total, limit=limit, offset=offset)
