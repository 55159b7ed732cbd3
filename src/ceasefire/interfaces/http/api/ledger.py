"""The transparency log: entries (withheld ones as commitments), checkpoints, proofs, cosigning.

What a witness needs is here and public: the log's identity, its latest checkpoint,
a consistency proof between two sizes, and the cosignature endpoint, which the
cosignature itself authenticates (it must verify under a registered user's key).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import BaseModel, Field

from ceasefire.interfaces.http.api.params import Limit, Offset
from ceasefire.interfaces.http.api.schemas import Page
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import API, ERRORS, ApiError
from ceasefire.services import ledger

router = APIRouter(prefix=API, tags=["ledger"], responses=ERRORS)

Size = Annotated[int, Query(ge=1, le=2**40, description="a tree size")]
NOTE = "text/plain; charset=utf-8"


class Verification(BaseModel):
    intact: bool
    entries: int
    first_bad: int | None
    message: str
    differences: list[str]


class LogInfo(BaseModel):
    origin: str
    public_key: str = Field(description="Ed25519 public key of the log, raw, base64")
    size: int


class Consistency(BaseModel):
    old: int
    new: int
    proof: list[str] = Field(description="RFC 9162 2.1.4 consistency proof, hex hashes")


class Proof(BaseModel):
    seq: int
    tree_size: int
    leaf_hash: str
    proof: list[str] = Field(description="RFC 9162 2.1.3 inclusion path, hex hashes")
    checkpoint: str


class CosignRequest(BaseModel):
    size: int = Field(ge=1, le=2**40)
    name: str = Field(max_length=64, description="the registered user whose key cosigned")
    cosignature: str = Field(max_length=512, description="the `— name base64` line")


@router.get("/ledger", response_model=Page[ledger.Entry])
def entries(ws: Ws, who: Caller, after: Offset = 0, limit: Limit = 100) -> Any:
    """Entries; those the caller may not read are given as their position and commitment."""
    with ws.record() as rec:
        found = ledger.read_entries(rec, who, after=after, limit=limit, settings=ws.settings)
    return Page[ledger.Entry].of(items=found, total=None, limit=limit, offset=after)


@router.get(
    "/ledger/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "JSON Lines"}},
)
def export(ws: Ws, who: Caller) -> Any:
    """The whole log as the caller may see it, as JSON Lines that `ledger verify` checks."""
    keys = ledger.LogKey(ws.keys.directory)
    with ws.record() as rec:
        lines = list(ledger.export_lines(rec, keys=keys, viewer=who, settings=ws.settings))
    headers = {"Content-Disposition": 'attachment; filename="ledger.jsonl"'}
    return StreamingResponse(iter(lines), media_type="application/x-ndjson", headers=headers)


@router.get("/ledger/verify", response_model=Verification)
def verify(ws: Ws, who: Caller) -> Any:
    with ws.record() as rec:
        result = ledger.check(rec, who, ws.settings)
    return Verification(
        intact=result.ok,
        entries=result.entries,
        first_bad=result.first_bad,
        message=result.describe(),
        differences=list(result.differences),
    )


@router.get("/ledger/log", response_model=LogInfo)
def log_info(ws: Ws, who: Caller) -> Any:
    """The log's origin and public key: what a witness pins the first time it looks."""
    keys = ledger.LogKey(ws.keys.directory)
    with ws.record() as rec:
        signed = ledger.published_checkpoint(rec, keys, who, ws.settings)
        known = ledger.identity(rec)
    assert known is not None  # a checkpoint was signed, so the log has its identity
    return LogInfo(origin=known.origin, public_key=known.public_key, size=signed.size)


@router.get("/ledger/checkpoint", response_class=PlainTextResponse)
def checkpoint(ws: Ws, who: Caller, size: Size | None = None) -> Any:
    """The latest checkpoint (signed now if the log grew), or the one of `size`, as a note."""
    keys = ledger.LogKey(ws.keys.directory)
    with ws.record() as rec:
        if size is None:
            signed = ledger.published_checkpoint(rec, keys, who, ws.settings)
        else:
            signed = ledger.checkpoint_of(rec, size, who, ws.settings)
    return PlainTextResponse(signed.text(), media_type=NOTE)


@router.get("/ledger/consistency", response_model=Consistency)
def consistency(
    ws: Ws,
    who: Caller,
    old: Annotated[int, Query(alias="from", ge=1, le=2**40)],
    new: Annotated[int, Query(alias="to", ge=1, le=2**40)],
) -> Any:
    with ws.record() as rec:
        proof = ledger.consistency(rec, old, new, who, ws.settings)
    return Consistency(old=old, new=new, proof=proof)


@router.get("/ledger/proof/{seq}", response_model=Proof)
def proof(ws: Ws, who: Caller, seq: int, size: Size | None = None) -> Any:
    """The inclusion proof of entry `seq` in the latest checkpoint (or the one of `size`)."""
    if not 0 < seq <= 2**40:
        raise ApiError(422, "invalid_request", "seq: an entry number from 1")
    keys = ledger.LogKey(ws.keys.directory)
    with ws.record() as rec:
        found = ledger.prove(rec, seq, who, size=size, keys=keys, settings=ws.settings)
    return found.as_dict()


@router.post("/ledger/cosign", response_class=PlainTextResponse)
def cosign(ws: Ws, body: CosignRequest) -> Any:
    """Attach a witness's cosignature to the checkpoint of `size`; answers the note as it is now."""
    with ws.record() as rec:
        signed = ledger.add_cosignature(rec, body.size, body.name, body.cosignature)
    return PlainTextResponse(signed.text(), media_type=NOTE)
