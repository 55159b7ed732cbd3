"""The web pages, served beside the API by `ceasefire serve`.

Pages are rendered on the server from the same service functions the API
calls; the map and charts fetch their data from the API with the login cookie.
Who sees which form is decided by `policy` (through `CaseView.actions`), never
here. Forms post with a per-login CSRF token; the cookie is HttpOnly and
SameSite=Strict. Every script and style comes from this app: the Content
Security Policy forbids any other origin, which is also what keeps the pages
working with no internet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ceasefire import __version__
from ceasefire.core.errors import InputError
from ceasefire.core.model import Act
from ceasefire.core.policy import (
    Action,
    Anonymous,
    CaseFacts,
    PolicyError,
    Principal,
    Rule,
    can,
    may_ever,
    role_of,
    rule_for,
)
from ceasefire.interfaces.http.api.app import SESSION_COOKIE, ApiError, service_errors
from ceasefire.interfaces.http.web import vendor
from ceasefire.regions import default_region
from ceasefire.services import cases, ingest, ledger, users, views

if TYPE_CHECKING:
    from ceasefire.interfaces.http.api.app import Workspace

HERE = Path(__file__).resolve().parent
COOKIE_DAYS = 7
CSP = "; ".join(
    [
        "default-src 'self'",
        # Vega compiles its expressions with Function(); MapLibre runs its workers from blobs.
        "script-src 'self' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _csrf(token: str | None) -> str:
    """A form token bound to this login (a cross-site page cannot read it)."""
    if not token:
        return ""
    return hmac.new(token.encode(), b"ceasefire-form", hashlib.sha256).hexdigest()[:32]


def _local(at: Any) -> str:
    """UTC ISO text or datetime as `2016-04-30 14:00 UTC` for reading."""
    if at is None:
        return ""
    if isinstance(at, str):
        try:
            at = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return at
    if isinstance(at, dt.datetime):
        return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(at)


def install(app: FastAPI, ws: Workspace) -> None:
    """Add the pages, their static files and HTML error pages to the API's app."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _local
    templates.env.globals["version"] = __version__
    templates.env.globals["region"] = default_region()  # the workspace's region
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    missing = vendor.missing()  # the files do not come and go while the app runs

    def viewer(request: Request) -> tuple[Principal, str | None]:
        """Who is asking, looked up once per request (routes and `render` both ask)."""
        known = getattr(request.state, "viewer", None)
        if known is None:
            token = request.cookies.get(SESSION_COOKIE)
            user = ws.user_for(token) if token else None
            known = request.state.viewer = (user or Anonymous()), (token if user else None)
        return known

    def render(
        request: Request, template: str, http_status: int = 200, **context: Any
    ) -> HTMLResponse:
        who, token = viewer(request)
        nav = [
            ("/map", "Map", True),
            ("/dashboard", "Compliance", can(who, Action.findings_read, settings=ws.settings)),
            ("/agreements", "Agreements", True),
            ("/incidents/new", "Report", can(who, Action.incidents_submit, settings=ws.settings)),
            ("/cases", "Cases", may_ever(who, Action.allegations_file) or _signed_in(who)),
            ("/register", "Public register", True),
        ]
        response = templates.TemplateResponse(
            request,
            template,
            {
                "who": who,
                "signed_in": _signed_in(who),
                "role": role_of(who).value,
                "csrf": _csrf(token),
                "nav": [(href, label) for href, label, shown in nav if shown],
                "path": request.url.path,
                "assets_missing": missing,
                **context,
            },
            status_code=http_status,
        )
        return response

    def error_page(request: Request, status: int, message: str) -> Response:
        if status == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
        return render(
            request, "error.html", http_status=status, status_code=status, message=message
        )

    app.state.error_page = error_page

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Any:
        response = await call_next(request)
        response.headers.setdefault("content-security-policy", CSP)
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        return response

    router = APIRouter(include_in_schema=False)

    def check_form(request: Request, csrf: str) -> Principal:
        who, token = viewer(request)
        if token is None:
            raise PolicyError("log in first")
        if not hmac.compare_digest(csrf, _csrf(token)):
            raise ApiError(403, "forbidden", "the form has expired; reload the page and try again")
        return who

    # ------------------------------------------------------------ login

    @router.get("/", response_class=HTMLResponse)
    def home() -> Response:
        return RedirectResponse("/map", status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/map") -> Response:
        return render(request, "login.html", next=_safe_next(next), failed=False)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        name: str = Form(..., max_length=200),
        password: str = Form(..., max_length=1000),
        next: str = Form("/map", max_length=2000),
    ) -> Response:
        with ws.sessions() as session, session.begin():
            found = users.log_in(session, name, password, signer=ws.keys)
        if found is None:
            return render(
                request, "login.html", http_status=401, next=_safe_next(next), failed=True,
                name=name,
            )  # fmt: skip
        _user, token = found
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=COOKIE_DAYS * 86400,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @router.post("/logout")
    def logout(request: Request, csrf: str = Form("")) -> Response:
        _who, token = viewer(request)
        if token is not None and hmac.compare_digest(csrf, _csrf(token)):
            with ws.sessions() as session, session.begin():
                users.log_out(session, token, signer=ws.keys)
        response = RedirectResponse("/map", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------ map and dashboards

    def choice(agreement: str | None, reading: str | None) -> dict[str, Any]:
        catalogue = ws.repo.catalogue()
        try:
            chosen, name = views.agreement_and_reading(catalogue, agreement, reading)
        except views.UnknownView as exc:
            if not catalogue.agreements:
                return {"agreements": [], "agreement": None, "reading": None, "readings": []}
            raise ApiError(404, "not_found", str(exc.args[0])) from None
        return {
            "agreements": [(a.id, a.title) for a in catalogue.agreements],
            "agreement": chosen,
            "reading": name,
            "readings": views.reading_names(chosen),
        }

    @router.get("/map", response_class=HTMLResponse)
    def map_page(
        request: Request, agreement: str | None = None, reading: str | None = None
    ) -> Response:
        who, _ = viewer(request)
        readable = can(who, Action.incidents_read, settings=ws.settings) and can(
            who, Action.findings_read, settings=ws.settings
        )
        return render(
            request,
            "map.html",
            readable=readable,
            categories=views.CATEGORY_NAMES,
            **choice(agreement, reading),
        )

    @router.get("/dashboard", response_class=HTMLResponse)
    def dashboard(
        request: Request, agreement: str | None = None, reading: str | None = None
    ) -> Response:
        who, _ = viewer(request)
        if not can(who, Action.findings_read, settings=ws.settings):
            raise PolicyError("log in to see the compliance dashboard")
        chosen = choice(agreement, reading)
        data = None
        if chosen["agreement"] is not None:
            key = (chosen["agreement"].id, chosen["reading"])
            data = views.cached(
                ws.repo, "compliance", lambda: views.compliance(ws.repo, *key), *key
            )
        return render(
            request,
            "dashboard.html",
            data=data,
            counts=views.finding_counts(ws.repo),
            categories=views.CATEGORY_NAMES,
            **chosen,
        )

    @router.get("/agreements", response_class=HTMLResponse)
    def agreements(request: Request) -> Response:
        catalogue = ws.repo.catalogue()
        items = [views.agreement_view(catalogue, a.id) for a in catalogue.agreements]
        return render(request, "agreements.html", items=items)

    @router.get("/agreements/{agreement_id}", response_class=HTMLResponse)
    def agreement_page(request: Request, agreement_id: str) -> Response:
        who, _ = viewer(request)
        catalogue = ws.repo.catalogue()
        try:
            item = views.agreement_view(catalogue, agreement_id)
        except views.UnknownView as exc:
            raise ApiError(404, "not_found", str(exc.args[0])) from None
        differences = None
        if can(who, Action.findings_read, settings=ws.settings):
            differences = views.reading_differences(ws.repo, agreement_id, limit=100)
        return render(request, "agreement.html", item=item, differences=differences)

    # ------------------------------------------------------------ a monitor's report

    def report_form(request: Request, values: dict[str, str], error: str = "") -> Response:
        who, _ = viewer(request)
        if not can(who, Action.incidents_submit, settings=ws.settings):
            raise PolicyError("only monitors (and administrators) report incidents")
        return render(
            request,
            "report.html",
            http_status=422 if error else 200,
            values=values,
            error=error,
            acts=[a.value for a in Act if a not in (Act.attack_on_excluded, Act.self_defence)],
            actors=sorted((a.id, a.name) for a in ws.repo.catalogue().actors.actors.values()),
        )

    @router.get("/incidents/new", response_class=HTMLResponse)
    def report_page(request: Request) -> Response:
        return report_form(request, dict(REPORT_DEFAULTS, timezone=default_region().timezone))

    @router.post("/incidents/new", response_class=HTMLResponse)
    async def report(request: Request) -> Response:
        form = await request.form()
        values = {k: str(v).strip() for k, v in form.items() if isinstance(v, str)}
        who = check_form(request, values.pop("csrf", ""))
        if not can(who, Action.incidents_submit, settings=ws.settings):
            raise PolicyError("only monitors (and administrators) report incidents")
        ident = values.get("id") or f"{who.name}-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
        record = report_record(values, ident)

        def submit() -> None:
            ingest.submit_incidents(ws.repo, json.dumps(record), submitted_by=who.name)

        try:
            await run_in_threadpool(submit)
        except InputError as exc:
            return report_form(request, values, error=exc.describe())
        stored = ws.repo.incident((REPORT_SOURCE, ident))
        assert stored is not None
        return RedirectResponse(f"/incidents/{stored['pk']}", status_code=303)

    @router.get("/incidents/{pk}", response_class=HTMLResponse)
    def incident_page(request: Request, pk: int) -> Response:
        who, _ = viewer(request)
        if not can(who, Action.incidents_read, settings=ws.settings):
            raise PolicyError("log in to see incidents")
        record = views.visible_incident(ws.repo, who, pk, ws.settings) if 0 < pk < 2**62 else None
        if record is None:
            raise ApiError(404, "not_found", f"no incident {pk}")
        return render(request, "incident.html", incident=record)

    # ------------------------------------------------------------ cases

    @router.get("/cases", response_class=HTMLResponse)
    def case_queue(
        request: Request, status: str | None = None, overdue: bool | None = None
    ) -> Response:
        who, _ = viewer(request)
        with ws.cases() as ctx:
            found = cases.list_allegations(ctx, who, status=status or None, overdue=overdue)
            items = [c.as_dict() for c in found]
        return render(
            request,
            "cases.html",
            items=items,
            status=status or "",
            overdue=overdue,
            may_file=_may_file(who),
            reach=_reach(who),
        )

    @router.get("/cases/new", response_class=HTMLResponse)
    def case_form(request: Request, incident: str = "") -> Response:
        who, _ = viewer(request)
        if not _signed_in(who):
            raise PolicyError("log in to file an allegation")
        catalogue = ws.repo.catalogue()
        listed = [views.agreement_view(catalogue, a.id) for a in catalogue.agreements]
        own = getattr(who, "party", None)
        respondents = {
            p["actor"]: p["name"] for a in listed for p in a["parties"] if p["actor"] != own
        }
        return render(
            request,
            "case_new.html",
            agreements=listed,
            respondents=sorted(respondents.items()),
            incident=incident,
            party=getattr(who, "party", None) or "",
            may_file=_may_file(who),
        )

    @router.post("/cases", response_class=HTMLResponse)
    async def file_case(
        request: Request,
        csrf: str = Form(""),
        agreement_id: str = Form(..., max_length=200),
        complainant: str = Form("", max_length=200),
        respondent: str = Form(..., max_length=200),
        narrative: str = Form(..., max_length=100_000),
        incidents: str = Form("", max_length=100_000),
        evidence: Annotated[list[UploadFile] | None, File()] = None,
    ) -> Response:
        who = check_form(request, csrf)
        refs = [r.strip() for r in incidents.replace(",", " ").split() if r.strip()]
        files = [
            cases.EvidenceFile(item.filename, await item.read(), item.content_type)
            for item in evidence or []
            if item.filename
        ]

        def file() -> cases.CaseView:
            with ws.cases() as ctx:
                return service_errors(
                    lambda: cases.file_allegation(
                        ctx,
                        who,
                        agreement_id=agreement_id,
                        complainant=getattr(who, "party", None) or complainant,
                        respondent=respondent,
                        narrative=narrative,
                        incidents=refs,
                        evidence=files,
                    )
                )

        made = await run_in_threadpool(file)
        return RedirectResponse(f"/cases/{quote(made.id)}", status_code=303)

    @router.get("/cases/{allegation_id}", response_class=HTMLResponse)
    def case_page(request: Request, allegation_id: str) -> Response:
        who, _ = viewer(request)
        with ws.cases() as ctx:
            case = cases.show_allegation(ctx, who, allegation_id).as_dict()
            history = [e.line() for e in ledger.entries_about(ctx.session, allegation_id, who)]
        try:
            readings = views.reading_names(ws.repo.catalogue().agreement(case["agreement_id"]))
        except KeyError:
            readings = []
        linked = []
        for ref in case["incidents"]:
            record = ws.repo.incident(ref)
            mine = [
                f for f in (record or {}).get("findings", [])
                if f["agreement_id"] == case["agreement_id"]
            ]  # fmt: skip
            judged = {f["reading"] for f in mine}
            linked.append(
                {
                    "ref": ref,
                    "incident": record,
                    "findings": mine,
                    "outside": [r for r in readings if r not in judged],
                }
            )
        return render(
            request,
            "case.html",
            case=case,
            history=history,
            linked=linked,
            outcomes=cases.PROPOSABLE,
        )

    def case_step(name: str, call: Callable[..., Any]) -> None:
        @router.post(f"/cases/{{allegation_id}}/{name}", response_class=HTMLResponse)
        async def step(request: Request, allegation_id: str) -> Response:
            form = await request.form()
            values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
            who = check_form(request, values.pop("csrf", ""))

            def act() -> None:
                with ws.cases() as ctx:
                    service_errors(lambda: call(ctx, who, allegation_id, values))

            await run_in_threadpool(act)
            return RedirectResponse(f"/cases/{quote(allegation_id)}", status_code=303)

    case_step(
        "answer", lambda ctx, who, a, f: cases.answer_allegation(ctx, who, a, f.get("text", ""))
    )
    case_step("review", lambda ctx, who, a, f: cases.review_allegation(ctx, who, a))
    case_step(
        "rule",
        lambda ctx, who, a, f: cases.propose_ruling(
            ctx,
            who,
            a,
            outcome=f.get("outcome", ""),
            reasons=f.get("reasons", ""),
            findings=[x for x in f.get("findings", "").replace(",", " ").split() if x],
        ),
    )
    case_step(
        "sign",
        lambda ctx, who, a, f: cases.sign_ruling(
            ctx, who, a, position=f.get("position", ""), statement=f.get("statement", "")
        ),
    )
    case_step("publish", lambda ctx, who, a, f: cases.publish_ruling(ctx, who, a))
    case_step("withdraw", lambda ctx, who, a, f: cases.withdraw_allegation(
        ctx, who, a, f.get("reason", "")))  # fmt: skip

    # ------------------------------------------------------------ public register

    @router.get("/register", response_class=HTMLResponse)
    def register(request: Request) -> Response:
        who, _ = viewer(request)
        with ws.cases() as ctx:
            found = cases.list_allegations(ctx, who, status="published")
            items = []
            for summary in found:
                case = cases.show_allegation(ctx, who, summary.id).as_dict()
                history = ledger.entries_about(ctx.session, summary.id, who)
                published = [e.line() for e in history if e.action == "ruling.publish"]
                items.append({"case": case, "entry": published[-1] if published else None})
            check = ledger.verify_db(ctx.session)
        return render(
            request,
            "register.html",
            items=items,
            intact=check.ok,
            verdict=check.describe(),
        )

    app.include_router(router)


REPORT_SOURCE = "report"
REPORT_DEFAULTS = {"radius_km": "1", "act": "attack", "directed": "on"}  # + the region's zone


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def report_record(values: dict[str, str], ident: str) -> dict[str, Any]:
    """The report form as a native incident record: the reader checks it like any file."""
    record: dict[str, Any] = {
        "id": ident,
        "source": REPORT_SOURCE,
        "time": {"start": values.get("start", ""), "timezone": values.get("timezone", "")},
        "place": {},
        "act": values.get("act") or "attack",
        "perpetrators": _names(values.get("perpetrators", "")),
        "targets": _names(values.get("targets", "")),
        "directed": values.get("directed") == "on",
    }
    if values.get("end"):
        record["time"]["end"] = values["end"]
    place = record["place"]
    for key in ("lon", "lat", "radius_km"):
        text = values.get(key, "")
        if text:
            try:
                place[key] = float(text)
            except ValueError:
                place[key] = text  # the reader names the field and says what is wrong
    if values.get("place_name"):
        place["name"] = values["place_name"]
    killed = {k: values.get(f"killed_{k}", "") for k in ("low", "best", "high")}
    killed = {k: v for k, v in killed.items() if v}
    if killed:
        record["killed"] = {k: int(v) if v.isdigit() else v for k, v in killed.items()}
    return record


def _may_file(who: Principal) -> bool:
    """Whether the user may file for its own party (or, as an admin, for any)."""
    party = getattr(who, "party", None) or ""
    return _signed_in(who) and can(
        who, Action.allegations_file, CaseFacts(complainant=party, respondent="")
    )


def _reach(who: Principal) -> str:
    """Which allegations the user may read, in the policy's own words."""
    rule = rule_for(role_of(who), Action.allegations_read)
    return "every allegation" if rule is Rule.yes else rule.value


def _signed_in(who: Principal) -> bool:
    return not isinstance(who, Anonymous)


def _safe_next(target: str) -> str:
    """Only paths on this site: a login must not bounce the user elsewhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/map"
    return target


def page_query(**params: Any) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
