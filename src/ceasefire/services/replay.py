"""The live tables replayed from the log: what the record should hold if nothing was edited.

Every change to allegations, answers, rulings, signatures, referrals, users, roles
and tokens, every review decision on an incident (accept, reject, merge, link,
unlink) and every person's claim of who acted (claim, withdrawal, discount) is a
ledger entry written in the change's own transaction, so the state
those entries describe must equal the rows. `expected` folds the entries into that
state; `differences` names each place where the database says otherwise — a
ruling's outcome edited in place, a dissent turned into agreement, a role raised,
a token row inserted — in words a co-chair can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: What each kind of row is compared on (the store reads exactly these fields).
ALLEGATION_FIELDS = ("agreement", "complainant", "respondent", "narrative", "status", "filed_by")
RULING_FIELDS = ("outcome", "proposed_outcome", "reasons", "findings", "panel", "published")
SIGNATURE_FIELDS = ("user", "position", "statement")
USER_FIELDS = ("role", "party", "public_key", "key_mode", "disabled")
TOKEN_FIELDS = ("user", "revoked", "expires_at", "kind")
#: An incident a person decided: its status, the event a person linked it into, who decided.
REVIEW_FIELDS = ("status", "event", "decided_by")
#: A person's claim of who acted (or discount of the recorded attribution).
ATTRIBUTION_FIELDS = ("incident", "actors", "claimed_by", "status")


@dataclass
class State:
    """The rows of the record, keyed by what identifies each (as the store returns them)."""

    allegations: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    rulings: dict[str, dict[str, Any]] = field(default_factory=dict)
    signatures: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    referrals: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Review decisions by incident ref (`source:source_id`).
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: People's claims and discounts by attribution id.
    attributions: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Users whose tokens a format-1 entry revoked without naming which.
    vague_tokens: set[str] = field(default_factory=set)


class _Fold:
    """Applies one entry at a time; unknown actions change nothing (they record no row)."""

    def __init__(self) -> None:
        self.state = State()

    def apply(self, user: str, action: str, p: Mapping[str, Any]) -> None:
        handler = getattr(self, "on_" + action.replace(".", "_"), None)
        if handler is not None:
            handler(user, p)

    def _status(self, p: Mapping[str, Any], status: str) -> None:
        found = self.state.allegations.get(str(p.get("allegation")))
        if found is not None:
            found["status"] = status

    def on_allegation_file(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.allegations[str(p["allegation"])] = {
            "agreement": p.get("agreement"),
            "complainant": p.get("complainant"),
            "respondent": p.get("respondent"),
            "narrative": p.get("narrative"),
            "status": "submitted",
            "filed_by": user,
        }

    def on_allegation_review(self, user: str, p: Mapping[str, Any]) -> None:
        self._status(p, "under_review")

    def on_allegation_withdraw(self, user: str, p: Mapping[str, Any]) -> None:
        self._status(p, "withdrawn")

    def on_allegation_answer(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.answers.setdefault(str(p["allegation"]), []).append((user, str(p["text"])))

    def on_ruling_propose(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.rulings[str(p["allegation"])] = {
            "outcome": p.get("outcome"),
            "proposed_outcome": None,
            "reasons": p.get("reasons"),
            "findings": list(p.get("findings") or []),
            "panel": list(p.get("panel") or []),
            "published": False,
        }
        self._status(p, "ruled")

    def on_ruling_sign(self, user: str, p: Mapping[str, Any]) -> None:
        key = (str(p["allegation"]), str(p["adjudicator"]))
        self.state.signatures[key] = {
            "user": user,
            "position": p.get("position"),
            "statement": p.get("statement") or "",
        }

    def on_ruling_publish(self, user: str, p: Mapping[str, Any]) -> None:
        ref = str(p["allegation"])
        ruling = self.state.rulings.get(ref)
        if ruling is None:  # published past the deadline with nothing proposed
            ruling = self.state.rulings[ref] = {"findings": []}
        ruling.update(
            outcome=p.get("outcome"), proposed_outcome=p.get("proposed_outcome"), published=True
        )
        self._status(p, "published")

    def on_referral_create(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.referrals[str(p["referral"])] = {
            "respondent": p.get("respondent"),
            "allegations": list(p.get("allegations") or []),
        }

    def on_user_add(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.users[str(p["name"])] = {
            "role": p.get("role"),
            "party": p.get("party"),
            "public_key": p.get("public_key"),
            "key_mode": p.get("key", "server"),  # format 1 knew only server-held keys
            "disabled": False,
        }

    def _user(self, p: Mapping[str, Any]) -> dict[str, Any]:
        return self.state.users.setdefault(str(p.get("name")), {})

    def on_user_key(self, user: str, p: Mapping[str, Any]) -> None:
        self._user(p).update(public_key=p.get("public_key"), key_mode=p.get("key", "own"))

    def on_user_role(self, user: str, p: Mapping[str, Any]) -> None:
        self._user(p).update(role=p.get("role"), party=p.get("party"))

    def on_user_disable(self, user: str, p: Mapping[str, Any]) -> None:
        self._user(p)["disabled"] = True

    def on_user_enable(self, user: str, p: Mapping[str, Any]) -> None:
        self._user(p)["disabled"] = False

    def on_token_issue(self, user: str, p: Mapping[str, Any]) -> None:
        digest = p.get("token_sha256") or p.get("token")  # format 1 kept a 16-digit prefix
        token: dict[str, Any] = {"user": p.get("user"), "revoked": False}
        for known in ("expires_at", "kind"):
            if known in p:
                token[known] = p[known]
        self.state.tokens[str(digest)] = token

    def on_token_revoke(self, user: str, p: Mapping[str, Any]) -> None:
        named = p.get("tokens")
        if not isinstance(named, list):
            self.state.vague_tokens.add(str(p.get("user")))
            return
        for digest in named:
            token = self.state.tokens.get(str(digest))
            if token is not None:
                token["revoked"] = True

    # ------------------------------------------------------------ review decisions

    def _review(self, p: Mapping[str, Any]) -> dict[str, Any]:
        return self.state.reviews.setdefault(
            str(p.get("incident")), {"status": None, "event": None, "decided_by": None}
        )

    def _decided(self, user: str, p: Mapping[str, Any], status: str) -> dict[str, Any]:
        found = self._review(p)
        found.update(status=p.get("status") or status, decided_by=user)
        return found

    def on_incident_accept(self, user: str, p: Mapping[str, Any]) -> None:
        self._decided(user, p, "accepted")

    def on_incident_reject(self, user: str, p: Mapping[str, Any]) -> None:
        self._decided(user, p, "rejected")

    def _linked(self, p: Mapping[str, Any]) -> None:
        into = p.get("into")
        self._review(p)["event"] = into
        for moved in p.get("moved") or []:
            self.state.reviews.setdefault(
                str(moved), {"status": None, "event": None, "decided_by": None}
            )["event"] = into

    def on_incident_merge(self, user: str, p: Mapping[str, Any]) -> None:
        self._decided(user, p, "accepted")
        self._linked(p)

    def on_incident_link(self, user: str, p: Mapping[str, Any]) -> None:
        self._linked(p)

    def on_incident_unlink(self, user: str, p: Mapping[str, Any]) -> None:
        self._review(p)["event"] = None

    # ------------------------------------------------------------ people's claims

    def on_attribution_claim(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.attributions[str(p.get("attribution"))] = {
            "incident": p.get("incident"),
            "actors": list(p.get("actors") or []),
            "claimed_by": p.get("claimed_by"),
            "status": "active",
        }

    def on_attribution_discount(self, user: str, p: Mapping[str, Any]) -> None:
        self.state.attributions[str(p.get("attribution"))] = {
            "incident": p.get("incident"),
            "actors": [],
            "claimed_by": p.get("claimed_by"),
            "status": "active",
        }

    def on_attribution_withdraw(self, user: str, p: Mapping[str, Any]) -> None:
        found = self.state.attributions.get(str(p.get("attribution")))
        if found is not None:
            found["status"] = "withdrawn"


def expected(entries: Iterable[tuple[str, str, Mapping[str, Any]]]) -> State:
    """The state the (user, action, payload) of every entry, in order, describes."""
    fold = _Fold()
    for user, action, payload in entries:
        fold.apply(user, action, payload)
    # A link undone leaves nothing a person decided about that incident.
    fold.state.reviews = {
        ref: r for ref, r in fold.state.reviews.items() if any(v is not None for v in r.values())
    }
    return fold.state


def _rows(
    kind: str,
    logged: Mapping[Any, Mapping[str, Any]],
    live: Mapping[Any, Mapping[str, Any]],
    fields: Iterable[str],
    name: Any = str,
) -> list[str]:
    out: list[str] = []
    for key in sorted(set(logged) | set(live), key=str):
        what = f"{kind} {name(key)}"
        if key not in logged:
            out.append(f"{what}: in the database, but no ledger entry created it")
            continue
        if key not in live:
            out.append(f"{what}: on the ledger, but missing from the database")
            continue
        for f in fields:
            want, have = logged[key].get(f), live[key].get(f)
            if f in logged[key] and want != have:
                out.append(f"{what}: {f} is {have!r} in the database, the ledger says {want!r}")
    return out


def _tokens(logged: State, live: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    prefixes = {k: v for k, v in logged.tokens.items() if len(k) == 16}
    for digest, row in sorted(live.items()):
        entry = logged.tokens.get(digest) or prefixes.get(digest[:16])
        shown = f"token {digest[:12]}… of {row.get('user')!r}"
        if entry is None:
            out.append(f"{shown}: in the database, but never issued on the ledger")
            continue
        if entry.get("user") != row.get("user"):
            out.append(f"{shown}: the ledger issued it to {entry.get('user')!r}")
        vague = row.get("user") in logged.vague_tokens
        if not vague and bool(entry.get("revoked")) != bool(row.get("revoked")):
            said = "revoked" if entry.get("revoked") else "live"
            out.append(f"{shown}: the ledger says it is {said}")
        for known, said in (("expires_at", "expires"), ("kind", "is of kind")):
            if known in entry and entry[known] != row.get(known):
                out.append(f"{shown}: {said} {row.get(known)!r}, the ledger says {entry[known]!r}")
    return out


def differences(logged: State, live: State) -> list[str]:
    """Every way the live rows differ from what the ledger describes, one line each."""
    out: list[str] = []
    out += _rows("allegation", logged.allegations, live.allegations, ALLEGATION_FIELDS)
    out += _rows("ruling of", logged.rulings, live.rulings, RULING_FIELDS)
    out += _rows(
        "signature",
        logged.signatures,
        live.signatures,
        SIGNATURE_FIELDS,
        name=lambda k: f"of {k[1]} on {k[0]}",
    )
    out += _rows("referral", logged.referrals, live.referrals, ("respondent", "allegations"))
    out += _rows("user", logged.users, live.users, USER_FIELDS)
    for ref in sorted(set(logged.answers) | set(live.answers)):
        if logged.answers.get(ref, []) != live.answers.get(ref, []):
            out.append(f"answers to {ref}: the database's differ from the ledger's")
    out += _tokens(logged, live.tokens)
    out += _rows("incident", logged.reviews, live.reviews, REVIEW_FIELDS)
    out += _rows("attribution", logged.attributions, live.attributions, ATTRIBUTION_FIELDS)
    return out
