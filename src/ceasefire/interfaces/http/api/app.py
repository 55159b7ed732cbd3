"""The REST API under `/api/v1`: thin routes over the record's services.

Every route does three things: find out who is asking (a bearer token, or the
public), call a service function, and shape the answer. Who may do what is
decided by `ceasefire.core.policy`, never here. Errors share one body:
`{"error": {"status": 404, "code": "not_found", "message": "..."}}`.
"""

import base64
import binascii
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from ceasefire import __version__
from ceasefire.core.errors import InputError
from ceasefire.core.policy import Action, Anonymous, PolicyError, Principal, Settings, require
from ceasefire.core.timing import iso
from ceasefire.services import cases, ingest, ledger, users, views
from ceasefire.storage.db import session_factory
from ceasefire.storage.repository import Repository

API = "/api/v1"
#: The login cookie the pages set; it carries an API token (see `ceasefire.interfaces.http.web`).
SESSION_COOKIE = "ceasefire_session"
MAX_BODY = 20 * 1024 * 1024
T = TypeVar("T")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


class ErrorDetail(BaseModel):
    status: int
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def _error(status: int, code: str, message: str, details: Any = None) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(status=status, code=code, message=message, details=details))
    return JSONResponse(body.model_dump(), status_code=status)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody} for code in (400, 401, 403, 404, 409, 413, 422)
}


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int | None = None
    limit: int
    offset: int


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvidenceUpload(_Body):
    filename: str = Field(min_length=1, max_length=255)
    media_type: str | None = Field(default=None, max_length=255)
    content_base64: str = Field(max_length=MAX_BODY)


class FileAllegation(_Body):
    agreement_id: str = Field(min_length=1, max_length=200)
    complainant: str = Field(min_length=1, max_length=200)
    respondent: str = Field(min_length=1, max_length=200)
    narrative: str = Field(min_length=1, max_length=100_000)
    incidents: list[str] = Field(default_factory=list, max_length=1000)
    evidence: list[EvidenceUpload] = Field(default_factory=list, max_length=50)


class Text(_Body):
    text: str = Field(min_length=1, max_length=100_000)


class ProposeRuling(_Body):
    outcome: Literal["violation_confirmed", "no_violation", "inconclusive", "perpetrator_excluded"]
    reasons: str = Field(min_length=1, max_length=100_000)
    findings: list[str] = Field(default_factory=list, max_length=1000)


class Signature(_Body):
    position: Literal["agree", "dissent"]
    statement: str = Field(default="", max_length=100_000)


class Withdrawal(_Body):
    reason: str = Field(default="", max_length=100_000)


class Workspace:
    """What the app holds for its lifetime: the record, sessions, keys and settings."""

    def __init__(self, db: str | None, settings: Settings | None = None) -> None:
        self.repo = Repository.open(db)
        self.repo.ensure_ready()
        self.sessions: sessionmaker[Session] = session_factory(self.repo.engine)
        self.keys = users.Keystore.for_database(self.repo.url)
        self.settings = settings or Settings.from_env()

    def user_for(self, token: str) -> users.User | None:
        """The user a bearer token or login cookie belongs to, detached from its session."""
        with self.sessions() as session:
            user = users.authenticate_token(session, token)
            if user is not None:
                session.expunge(user)
            return user

    @contextmanager
    def cases(self) -> Iterator[cases.CaseContext]:
        """A case context whose changes and ledger entries commit together."""
        with self.sessions() as session, session.begin():
            yield cases.CaseContext(
                session=session,
                signer=self.keys,
                agreements=cases.StoredAgreements(session),
                settings=self.settings,
                incident_status=cases.stored_incident_status(session),
            )


def create_app(db: str | None = None, *, settings: Settings | None = None) -> FastAPI:
    """The API over the workspace at `db` (else `CEASEFIRE_DB`, else `./ceasefire.db`)."""
    workspace = Workspace(db, settings)
    app = FastAPI(
        title="ceasefire",
        version=__version__,
        description="Agreements, incidents, findings, allegations, rulings and the ledger.",
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.workspace = workspace
    _handlers(app)
    app.include_router(_router(workspace))
    from ceasefire.interfaces.http.web.pages import install

    install(app, workspace)
    return app


def _answer(request: Request, status: int, code: str, message: str, details: Any = None) -> Any:
    """The API's error body, or the error page for a page of the web app."""
    page = getattr(request.app.state, "error_page", None)
    if page is not None and not request.url.path.startswith(API):
        return page(request, status, message)
    return _error(status, code, message, details)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Any:
        return _answer(request, exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(PolicyError)
    async def policy_error(request: Request, exc: PolicyError) -> Any:
        code = "not_found" if exc.status == 404 else "forbidden"
        return _answer(request, exc.status, code, str(exc))

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> Any:
        return _answer(request, 422, "invalid_input", exc.describe())

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Any:
        details = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        if not request.url.path.startswith(API):
            # A page's form: say which field, in words.
            said = "; ".join(f"{d['loc'][-1]}: {d['msg']}" for d in details if d["loc"])
            return _answer(request, 422, "invalid_request", f"the form is not valid ({said})")
        return _error(422, "invalid_request", "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _answer(request, exc.status_code, code, str(exc.detail))

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Any]) -> Any:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return _answer(
                request, 413, "too_large", f"request bodies are limited to {MAX_BODY} bytes"
            )
        return await call_next(request)


def service_errors(call: Callable[[], T]) -> T:
    """Service refusals as API errors with the right status."""
    try:
        return call()
    except cases.StateConflict as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    except (cases.InvalidRequest, users.UserError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    except cases.CaseError as exc:
        raise ApiError(400, "bad_request", str(exc)) from exc


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not (
        -180 <= parts[0] <= parts[2] <= 180 and -90 <= parts[1] <= parts[3] <= 90
    ):
        raise ApiError(422, "invalid_request", "bbox is minlon,minlat,maxlon,maxlat in WGS84")
    return (parts[0], parts[1], parts[2], parts[3])


def _instant(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"{name}: not an ISO date or date-time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def _feature(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [record.get("lon"), record.get("lat")]},
        "properties": {k: v for k, v in record.items() if k not in ("lon", "lat")},
    }


def _router(ws: Workspace) -> APIRouter:
    router = APIRouter(prefix=API, responses=ERRORS)

    def principal(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            # The pages' scripts read with the login cookie; nothing is changed that way.
            cookie = request.cookies.get(SESSION_COOKIE)
            if cookie and request.method in ("GET", "HEAD"):
                return ws.user_for(cookie) or Anonymous()
            return Anonymous()
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "use `Authorization: Bearer TOKEN`")
        user = ws.user_for(token.strip())
        if user is None:
            raise ApiError(401, "unauthorized", "unknown or revoked token")
        return user

    Who = Annotated[Principal, Depends(principal)]
    Limit = Annotated[int, Query(ge=1, le=1000)]
    Offset = Annotated[int, Query(ge=0, le=10**9)]

    def allow(who: Principal, action: Action) -> None:
        require(who, action, settings=ws.settings)

    @router.get("/agreements", response_model=Page, tags=["agreements"])
    def agreements(who: Who, limit: Limit = 100, offset: Offset = 0) -> Page:
        allow(who, Action.agreements_read)
        catalogue = ws.repo.catalogue()
        docs = [a.model_dump(mode="json") for a in catalogue.agreements]
        return Page(
            items=docs[offset : offset + limit], total=len(docs), limit=limit, offset=offset
        )

    @router.get("/agreements/{agreement_id}", tags=["agreements"])
    def agreement(who: Who, agreement_id: str) -> dict[str, Any]:
        allow(who, Action.agreements_read)
        try:
            return ws.repo.catalogue().agreement(agreement_id).model_dump(mode="json")
        except KeyError:
            raise ApiError(404, "not_found", f"no agreement {agreement_id!r}") from None

    @router.get("/incidents", tags=["incidents"])
    def incidents(
        who: Who,
        start: str | None = None,
        end: str | None = None,
        bbox: str | None = Query(None, description="minlon,minlat,maxlon,maxlat"),
        agreement: str | None = None,
        reading: str | None = None,
        category: str | None = None,
        actor: str | None = None,
        format: Literal["json", "geojson"] = "json",
        status: Literal["accepted", "candidate"] = "accepted",
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Any:
        """Incidents; with agreement, reading, category or actor, joined with their findings.

        Candidates (extracted from text, awaiting review) are listed only to those
        who may review incidents.
        """
        allow(who, Action.incidents_read)
        if status == "candidate":
            allow(who, Action.incidents_review)
        box, t0, t1 = _bbox(bbox), _instant(start, "start"), _instant(end, "end")
        if any(v is not None for v in (agreement, reading, category, actor)):
            allow(who, Action.findings_read)
            filters: dict[str, Any] = dict(
                agreement=agreement, reading=reading, category=category, actor=actor,
                start=t0, end=t1, bbox=box, status=status,
            )  # fmt: skip
            items = ws.repo.findings(**filters, limit=limit, offset=offset)
            total = ws.repo.count_findings(**filters)
        else:
            items = ws.repo.list_incidents(
                start=t0, end=t1, bbox=box, status=status, limit=limit, offset=offset
            )
            total = None
        if format == "geojson":
            return {"type": "FeatureCollection", "features": [_feature(i) for i in items]}
        return Page(items=items, total=total, limit=limit, offset=offset)

    @router.get("/incidents/{pk}", tags=["incidents"])
    def incident(who: Who, pk: Annotated[int, PathParam(ge=1, le=2**62)]) -> dict[str, Any]:
        allow(who, Action.incidents_read)
        found = views.visible_incident(ws.repo, who, pk, ws.settings)
        if found is None:
            raise ApiError(404, "not_found", f"no incident {pk}")
        return found

    @router.post("/incidents", status_code=201, tags=["incidents"])
    async def submit_incidents(who: Who, request: Request) -> dict[str, Any]:
        """Monitors submit native incidents (one JSON object, a list, or JSON Lines)."""
        allow(who, Action.incidents_submit)
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, "too_large", f"request bodies are limited to {MAX_BODY} bytes")
        try:
            data = json.loads(raw)
            text = "\n".join(json.dumps(d) for d in (data if isinstance(data, list) else [data]))
        except (json.JSONDecodeError, UnicodeDecodeError):
            text = raw.decode("utf-8", errors="replace")
        report = ingest.submit_incidents(ws.repo, text, submitted_by=who.name)
        return {
            "inserted": report.inserted,
            "updated": report.updated,
            "unchanged": report.unchanged,
        }

    @router.get("/findings", response_model=Page, tags=["findings"])
    def findings(
        who: Who,
        agreement: str | None = None,
        reading: str | None = None,
        category: str | None = None,
        actor: str | None = None,
        start: str | None = None,
        end: str | None = None,
        bbox: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page:
        allow(who, Action.findings_read)
        filters: dict[str, Any] = dict(
            agreement=agreement, reading=reading, category=category, actor=actor,
            start=_instant(start, "start"), end=_instant(end, "end"), bbox=_bbox(bbox),
            status="accepted",
        )  # fmt: skip
        items = ws.repo.findings(**filters, limit=limit, offset=offset)
        return Page(
            items=items, total=ws.repo.count_findings(**filters), limit=limit, offset=offset
        )

    @router.get("/allegations", response_model=Page, tags=["allegations"])
    def allegations(
        who: Who,
        agreement: str | None = None,
        status: str | None = None,
        overdue: bool | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> Page:
        """The allegations the caller may see: its own party's, and published ones."""
        with ws.cases() as ctx:
            found = cases.list_allegations(
                ctx, who, agreement_id=agreement, status=status, overdue=overdue
            )
            items = [c.as_dict() for c in found]
        return Page(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )

    @router.post("/allegations", status_code=201, tags=["allegations"])
    def file(who: Who, body: FileAllegation) -> dict[str, Any]:
        evidence = []
        for item in body.evidence:
            try:
                content = base64.b64decode(item.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ApiError(422, "invalid_request", f"{item.filename}: not base64") from exc
            evidence.append(cases.EvidenceFile(item.filename, content, item.media_type))
        with ws.cases() as ctx:
            view = service_errors(
                lambda: cases.file_allegation(
                    ctx,
                    who,
                    agreement_id=body.agreement_id,
                    complainant=body.complainant,
                    respondent=body.respondent,
                    narrative=body.narrative,
                    incidents=body.incidents,
                    evidence=evidence,
                )  # fmt: skip
            )
            return view.as_dict()

    @router.get("/allegations/{allegation_id}", tags=["allegations"])
    def allegation(who: Who, allegation_id: str) -> dict[str, Any]:
        with ws.cases() as ctx:
            return cases.show_allegation(ctx, who, allegation_id).as_dict()

    @router.get("/allegations/{allegation_id}/evidence/{sha256}", tags=["allegations"])
    def evidence(who: Who, allegation_id: str, sha256: str) -> Response:
        with ws.cases() as ctx:
            item = cases.get_evidence(ctx, who, allegation_id, sha256)
        return Response(
            item.content,
            media_type=item.media_type or "application/octet-stream",
            headers={"content-disposition": f'attachment; filename="{item.filename}"'},
        )

    def act(call: Callable[[cases.CaseContext], Any]) -> dict[str, Any]:
        with ws.cases() as ctx:
            result = service_errors(lambda: call(ctx))
            return result.as_dict() if hasattr(result, "as_dict") else dict(vars(result))

    @router.post("/allegations/{allegation_id}/answer", tags=["allegations"])
    def answer(who: Who, allegation_id: str, body: Text) -> dict[str, Any]:
        return act(lambda ctx: cases.answer_allegation(ctx, who, allegation_id, body.text))

    @router.post("/allegations/{allegation_id}/review", tags=["allegations"])
    def review(who: Who, allegation_id: str) -> dict[str, Any]:
        return act(lambda ctx: cases.review_allegation(ctx, who, allegation_id))

    @router.post("/allegations/{allegation_id}/ruling", tags=["rulings"])
    def rule(who: Who, allegation_id: str, body: ProposeRuling) -> dict[str, Any]:
        return act(
            lambda ctx: cases.propose_ruling(
                ctx,
                who,
                allegation_id,
                outcome=body.outcome,
                reasons=body.reasons,
                findings=body.findings,
            )  # fmt: skip
        )

    @router.post("/allegations/{allegation_id}/sign", tags=["rulings"])
    def sign(who: Who, allegation_id: str, body: Signature) -> dict[str, Any]:
        return act(
            lambda ctx: cases.sign_ruling(
                ctx, who, allegation_id, position=body.position, statement=body.statement
            )
        )

    @router.post("/allegations/{allegation_id}/publish", tags=["rulings"])
    def publish(who: Who, allegation_id: str) -> dict[str, Any]:
        with ws.cases() as ctx:
            result = service_errors(lambda: cases.publish_ruling(ctx, who, allegation_id))
            return cases.show_allegation(ctx, who, allegation_id).as_dict() | {
                "referral": result.referral.as_dict() if result.referral else None
            }

    @router.post("/allegations/{allegation_id}/withdraw", tags=["allegations"])
    def withdraw(who: Who, allegation_id: str, body: Withdrawal) -> dict[str, Any]:
        return act(lambda ctx: cases.withdraw_allegation(ctx, who, allegation_id, body.reason))

    @router.get("/rulings", response_model=Page, tags=["rulings"])
    def rulings(
        who: Who, agreement: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page:
        """The public register: every published ruling, readable without logging in."""
        with ws.cases() as ctx:
            found = cases.list_allegations(ctx, who, agreement_id=agreement, status="published")
            items = [cases.show_allegation(ctx, who, c.id).as_dict() for c in found]
        return Page(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )

    @router.get("/referrals", response_model=Page, tags=["rulings"])
    def referrals(
        who: Who, agreement: str | None = None, limit: Limit = 100, offset: Offset = 0
    ) -> Page:
        with ws.cases() as ctx:
            items = [r.as_dict() for r in cases.list_referrals(ctx, who, agreement_id=agreement)]
        return Page(
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )

    @router.get("/ledger", response_model=Page, tags=["ledger"])
    def ledger_entries(who: Who, after: Offset = 0, limit: Limit = 100) -> Page:
        """Ledger entries; payloads the caller may not read are withheld, their hashes kept."""
        allow(who, Action.ledger_read)
        with ws.sessions() as session:
            redact = ledger.redactor(session, who)
            items = [redact(e).line() for e in ledger.entries(session, after=after, limit=limit)]
        return Page(items=items, total=None, limit=limit, offset=after)

    @router.get("/ledger/verify", tags=["ledger"])
    def ledger_verify(who: Who) -> dict[str, Any]:
        allow(who, Action.ledger_read)
        with ws.sessions() as session:
            result = ledger.verify_db(session)
        return {
            "intact": result.ok,
            "entries": result.entries,
            "first_bad": result.first_bad,
            "message": result.describe(),
        }

    def view(call: Callable[[], T]) -> T:
        try:
            return call()
        except views.UnknownView as exc:
            raise ApiError(404, "not_found", str(exc.args[0])) from None

    @router.get("/map/incidents", tags=["map"])
    def map_incidents(
        who: Who, agreement: str | None = None, reading: str | None = None
    ) -> Response:
        """Every incident as columns with its category under one agreement and reading."""
        allow(who, Action.incidents_read)
        allow(who, Action.findings_read)
        body = view(
            lambda: views.cached(
                ws.repo,
                "map_layer",
                lambda: json.dumps(
                    views.map_layer(ws.repo, agreement, reading), separators=(",", ":")
                ),
                agreement,
                reading,
            )
        )
        return Response(body, media_type="application/json")

    @router.get("/map/zones", tags=["map"])
    def map_zones(who: Who, agreement: str | None = None) -> dict[str, Any]:
        """The zones of one agreement (or all) as GeoJSON, with their windows."""
        allow(who, Action.agreements_read)
        return views.zones_geojson(ws.repo.catalogue(), agreement)

    @router.get("/map/base", tags=["map"])
    def map_base() -> Response:
        """The bundled boundaries (countries, governorates, districts): the offline base map."""
        return Response(
            views.base_map_json(),
            media_type="application/json",
            headers={"cache-control": "public, max-age=86400"},
        )

    @router.get("/compliance", tags=["findings"])
    def compliance(
        who: Who, agreement: str | None = None, reading: str | None = None
    ) -> dict[str, Any]:
        """Violations per week per party around an agreement's start, and per zone."""
        allow(who, Action.findings_read)
        return view(
            lambda: views.cached(
                ws.repo,
                "compliance",
                lambda: views.compliance(ws.repo, agreement, reading),
                agreement,
                reading,
            )
        )

    @router.get("/agreements/{agreement_id}/differences", tags=["agreements"])
    def differences(who: Who, agreement_id: str) -> dict[str, Any]:
        """Incidents whose category differs between the parties' readings."""
        allow(who, Action.findings_read)
        return view(lambda: views.reading_differences(ws.repo, agreement_id))

    @router.get("/health", tags=["meta"])
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "time": iso(int(time.time()))}

    return router
