"""Cases: the queue, the filing form, one case with its history, and each step as a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ceasefire.core.policy import PolicyError, Principal
from ceasefire.interfaces.http.auth import Viewer, check_form
from ceasefire.interfaces.http.deps import Rec, Ws
from ceasefire.interfaces.http.errors import ApiError
from ceasefire.interfaces.http.web.render import redirect, render
from ceasefire.services import cases, ledger, views

router = APIRouter(include_in_schema=False)

#: A case step as the form gives it: (context, user, allegation id, form fields).
Step = Callable[[cases.CaseContext, Principal, str, dict[str, str]], Any]


@router.get("/cases", response_class=HTMLResponse)
def case_queue(
    request: Request, ws: Ws, rec: Rec, login: Viewer, status: str | None = None,
    overdue: bool | None = None, agreement: str | None = None,
) -> Response:  # fmt: skip
    catalogue = views.catalogue(rec, login.who)
    with ws.cases() as ctx:
        found = cases.list_allegations(
            ctx, login.who, agreement_id=agreement or None, status=status or None, overdue=overdue
        )
        items = [c.as_dict() for c in found]
    return render(
        request,
        "cases.html",
        items=items,
        status=status or "",
        overdue=overdue,
        agreement=agreement or "",
        agreements=[(a.id, a.title) for a in catalogue.agreements],
        exports=views.case_exports(status or None, agreement or None),
        may_file=login.signed_in and cases.may_file_own(login.who),
        reach=cases.reading_reach(login.who),
    )


@router.get("/cases/new", response_class=HTMLResponse)
def case_form(request: Request, rec: Rec, login: Viewer, incident: str = "") -> Response:
    if not login.signed_in:
        raise PolicyError("log in to file an allegation")
    catalogue = views.catalogue(rec, login.who)
    listed = [views.agreement_view(catalogue, login.who, a.id) for a in catalogue.agreements]
    own = getattr(login.who, "party", None)
    respondents = {p["actor"]: p["name"] for a in listed for p in a["parties"] if p["actor"] != own}
    return render(
        request,
        "case_new.html",
        agreements=listed,
        respondents=sorted(respondents.items()),
        incident=incident,
        party=own or "",
        may_file=login.signed_in and cases.may_file_own(login.who),
    )


@router.post("/cases", response_class=HTMLResponse)
async def file_case(
    request: Request,
    ws: Ws,
    csrf: str = Form(""),
    agreement_id: str = Form(..., max_length=200),
    complainant: str = Form("", max_length=200),
    respondent: str = Form(..., max_length=200),
    narrative: str = Form(..., max_length=100_000),
    incidents: str = Form("", max_length=100_000),
    evidence: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    who = await run_in_threadpool(check_form, request, csrf)  # it looks the login up
    refs = [r.strip() for r in incidents.replace(",", " ").split() if r.strip()]
    files = [
        cases.EvidenceFile(item.filename, await item.read(), item.content_type)
        for item in evidence or []
        if item.filename
    ]

    def file() -> cases.CaseView:
        with ws.cases() as ctx:
            return cases.file_allegation(
                ctx,
                who,
                agreement_id=agreement_id,
                complainant=getattr(who, "party", None) or complainant,
                respondent=respondent,
                narrative=narrative,
                incidents=refs,
                evidence=files,
            )

    made = await run_in_threadpool(file)
    return redirect(f"/cases/{quote(made.id)}")


@router.get("/cases/{allegation_id}", response_class=HTMLResponse)
def case_page(request: Request, ws: Ws, rec: Rec, login: Viewer, allegation_id: str) -> Response:
    with ws.cases() as ctx:
        case = cases.show_allegation(ctx, login.who, allegation_id).as_dict()
        entries = ledger.entries_about(ctx.rec, allegation_id, login.who, ws.settings)
        history = [e.line() for e in entries]
        shown = cases.linked_incidents(ctx, login.who, allegation_id, rec.incidents)
        linked = [i.as_dict() for i in shown]
    return render(
        request,
        "case.html",
        case=case,
        history=history,
        linked=linked,
        outcomes=cases.PROPOSABLE,
        timezone=views.agreement_timezone(rec, login.who, case["agreement_id"]),
    )


def _words(text: str) -> list[str]:
    return [x for x in text.replace(",", " ").split() if x]


STEPS: dict[str, Step] = {
    "answer": lambda ctx, who, a, f: cases.answer_allegation(ctx, who, a, f.get("text", "")),
    "review": lambda ctx, who, a, f: cases.review_allegation(ctx, who, a),
    "rule": lambda ctx, who, a, f: cases.propose_ruling(
        ctx,
        who,
        a,
        outcome=f.get("outcome", ""),
        reasons=f.get("reasons", ""),
        findings=_words(f.get("findings", "")),
    ),  # fmt: skip
    "sign": lambda ctx, who, a, f: cases.sign_ruling(
        ctx, who, a, position=f.get("position", ""), statement=f.get("statement", "")
    ),
    "publish": lambda ctx, who, a, f: cases.publish_ruling(ctx, who, a),
    "withdraw": lambda ctx, who, a, f: cases.withdraw_allegation(ctx, who, a, f.get("reason", "")),
}


@router.post("/cases/{allegation_id}/{step}", response_class=HTMLResponse)
async def case_step(request: Request, ws: Ws, allegation_id: str, step: str) -> Response:
    """One step of a case from its page's forms; the service decides who may take it."""
    call = STEPS.get(step)
    if call is None:
        raise ApiError(404, "not_found", f"no step {step!r}")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    who = await run_in_threadpool(check_form, request, values.pop("csrf", ""))

    def act() -> None:
        with ws.cases() as ctx:
            call(ctx, who, allegation_id, values)

    await run_in_threadpool(act)
    return redirect(f"/cases/{quote(allegation_id)}")
