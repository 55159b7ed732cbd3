"""Property-based requests generated from the OpenAPI spec: no input makes the server fail.

The workspace is built when the module is collected, because schemathesis
needs the app (and its schema) to generate the tests.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from ceasefire.interfaces.http.app import create_app
from tests.api.conftest import build_workspace

_TMP = Path(tempfile.mkdtemp(prefix="ceasefire-schemathesis-"))
os.environ.setdefault("CEASEFIRE_KEYS", str(_TMP / "keys"))
_DB, TOKENS = build_workspace(_TMP)
APP = create_app(_DB)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case):  # type: ignore[no-untyped-def]
    # Half the calls as the public, half as the admin, who reaches every route.
    admin = hash(repr(case.query) + repr(case.body)) % 2 == 1
    headers = {"Authorization": f"Bearer {TOKENS['admin']}"} if admin else {}
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
