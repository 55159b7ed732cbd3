"""Every action of the policy matrix is checked by a service, read from the services' source.

A check is a call to `policy.require` or `policy.can` naming the action, or a
call to a service function that passes its argument on to one of them (such as
`cases._load(ctx, user, id, Action.rulings_sign)`). An action named only in a
route, or only in a table, does not count: the services own the rules (and no
route or command calls `require` itself). What the checks do, role by role, is
tested through the services and through the routes in
`tests/api/test_enforcement.py` and `tests/api/test_matrix.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ceasefire.core.policy import Action

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ceasefire"
SERVICES = PACKAGE / "services"
INTERFACES = PACKAGE / "interfaces"
#: The policy's own checks: function name -> position of the action argument.
CHECKS = {"require": 1, "can": 1}


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _action_argument(call: ast.Call, position: int) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "action":
            return keyword.value
    return call.args[position] if len(call.args) > position else None


def _parameters(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def checking_functions(trees: list[ast.Module]) -> dict[str, int]:
    """`CHECKS` and every function that hands one of its parameters to a check as the action."""
    known = dict(CHECKS)
    functions = [
        node
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    changed = True
    while changed:
        changed = False
        for fn in functions:
            if fn.name in known:
                continue
            params = _parameters(fn)
            for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                name = _callee(call)
                if name not in known:
                    continue
                arg = _action_argument(call, known[name])
                if isinstance(arg, ast.Name) and arg.id in params:
                    known[fn.name] = params.index(arg.id)
                    changed = True
                    break
    return known


def checked_actions(sources: list[str]) -> set[Action]:
    """The actions some check in these sources names as `Action.member`."""
    trees = [ast.parse(text) for text in sources]
    known = checking_functions(trees)
    found: set[Action] = set()
    for tree in trees:
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _callee(call)
            if name not in known:
                continue
            arg = _action_argument(call, known[name])
            if (
                isinstance(arg, ast.Attribute)
                and isinstance(arg.value, ast.Name)
                and arg.value.id == "Action"
            ):
                found.add(Action[arg.attr])
    return found


def test_every_action_is_checked_by_a_service() -> None:
    sources = [path.read_text(encoding="utf-8") for path in sorted(SERVICES.rglob("*.py"))]
    missing = sorted(a.value for a in set(Action) - checked_actions(sources))
    assert not missing, f"no service checks {missing}"


#: The policy's questions: asked only by services (menus and form hints included).
POLICY_CALLS = {"require", "can", "may_ever", "rule_for"}


def test_no_route_or_command_enforces_a_rule() -> None:
    """Interfaces translate: they never ask the policy (refusals and hints come from services)."""
    calls = [
        f"{path.relative_to(PACKAGE)}:{node.lineno} {_callee(node)}"
        for path in sorted(INTERFACES.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and _callee(node) in POLICY_CALLS
    ]
    assert not calls, f"policy checks in the interfaces: {calls}"


def test_the_reading_counts_checks_and_only_checks() -> None:
    """The analysis itself: direct checks and checks through a helper count, tables do not."""
    source = """
TABLE = {"x": Action.users_manage}

def _load(ctx, user, key, action, write=True):
    require(user, action, facts(key))

class Store:
    def fetch(self, who, action):
        return _load(None, who, 1, action)

def a(who):
    require(who, Action.agreements_write)

def b(who, settings):
    return can(who, action=Action.findings_read, settings=settings)

def c(ctx, who):
    _load(ctx, who, "A-1", Action.rulings_sign)

def d(store, who):
    store.fetch(who, Action.evidence_read)

def e(who):
    print(Action.ledger_read)
    allow(who, Action.incidents_submit)
"""
    assert checked_actions([source]) == {
        Action.agreements_write,
        Action.findings_read,
        Action.rulings_sign,
        Action.evidence_read,
    }
