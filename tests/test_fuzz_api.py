"""
Property-based fuzzing of every operation in gateway/openapi.yaml (the /api/v1 endpoints) and in
the providers' callbacks.yaml (Africa's Talking's, Infobip's), with schemathesis against the real
app on a real port and PostgreSQL:
no input may produce a 5xx, and every answer must be one the document describes (status code,
content type, body schema, headers).

The app runs in a thread with its own event loop (schemathesis calls it with plain `requests`),
on a database holding the sample registry, the sample officials, an API token and a few tips
with their queued SMS, so the lists it fuzzes are not empty. Examples are bounded to keep the
module well under a minute on two cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import aiohttp
import asyncpg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gateway.api import PREFIX
from gateway.config import Config
from gateway.phones import normalize
from gateway.providers.infobip.provider import PROVIDER as INFOBIP
from gateway.providers.registry import callback_prefixes
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.registry import replace_registry
from storage.sample import sample_agencies, sample_officials_csv
from storage.tips import CATEGORIES
from storage.users import add_api_token
from tests.live_app import live_app
from tests.openapi_spec import spec_with_callbacks

API_TOKEN = "fuzz-api-token-0123456789abcdef"
CALLBACK_TOKEN = "fuzz-callback-token-0123456789"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
STORIES = ("calo minta uang 15 juta ke Taiwan", "bahaya paspor ditahan agen", "biaya tinggi")
# Generated senders are rarely phone numbers, so most would stop at the first check: half the
# callbacks come from a resident or a sample official (whose commands reach the tips).
SENDERS = st.sampled_from(["+6281234500000", "081234599999", "+6281199000001", "+6281199000002"])
KEYWORDS = st.sampled_from(
    ["LAPOR ", "STATUS ", "JAWAB ", "CEK ", "INFO ", "HELP", "OK ", "TANYA ", "SELESAI ", "STOP"]
)
SMS_TEXTS = st.builds(lambda keyword, rest: keyword + rest, KEYWORDS, st.text(max_size=200))
USSD_PATHS = st.lists(
    st.sampled_from(["1", "2", "3", "4", "0", "00", "99", "1*1"]) | st.text(max_size=40),
    max_size=12,
).map("*".join)

schema = schemathesis.openapi.from_dict(spec_with_callbacks())
schema.config.phases.update(phases=["coverage", "fuzzing"])


@dataclass(frozen=True, slots=True)
class Live:
    """The running app (Africa's Talking for SMS) and a twin configured for Infobip: their root
    URLs."""

    url: str
    infobip_url: str

    def base_for(self, path: str) -> str:
        """Callbacks are served at the root (Infobip's by the Infobip twin), the API under
        /api/v1."""
        if path.startswith(INFOBIP.callback_prefix):
            return self.infobip_url
        return self.url if path.startswith(callback_prefixes()) else self.url + PREFIX


async def _seed(url: str, app_url: str) -> None:
    """Sample registry and officials, an API token, and tips filed by SMS (with queued SMS)."""
    conn = await asyncpg.connect(url)
    try:
        await replace_registry(conn, sample_agencies(), "sample")
        codes = {k.code for k in await load_kecamatan(conn)}
        officials = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
        await import_officials(conn, officials, sample=True)
        await add_api_token(conn, API_TOKEN, "fuzz")
    finally:
        await conn.close()
    async with aiohttp.ClientSession() as http:
        for i, story in enumerate(STORIES):
            form = {"id": f"fuzz-seed-{i}", "from": f"+6281234500{i:03d}", "text": f"LAPOR {story}"}
            target = f"{app_url}/at/sms/inbound?{urlencode({'token': CALLBACK_TOKEN})}"
            async with http.post(target, data=form) as response:
                assert 200 == response.status


@pytest.fixture(scope="module")
def live(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The app on its own seeded database, served from a background thread."""
    config = Config(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        secret="fuzz-secret-0123456789",
        callback_token=CALLBACK_TOKEN,
        run_worker=False,
        log_level="error",
    )
    infobip = replace(
        config,
        sms_provider="infobip",
        infobip_base_url="http://127.0.0.1:9",  # never reached: the worker does not run
        infobip_api_key="fuzz-infobip-key",
        infobip_sender="FUZZ",
    )
    name = f"hotline_fuzz_{os.getpid()}"
    with (
        live_app(server_url, name, config) as app,
        live_app(server_url, name + "_ib", infobip) as ib,
    ):
        app.run(_seed(app.database_url, app.url))
        yield Live(app.url, ib.url)


@schema.parametrize()
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@schema.given(data=st.data())
def test_operation_conforms_and_never_fails(
    case: schemathesis.Case, data: st.DataObject, live: Live
) -> None:
    """Any generated request gets a documented answer, never a 5xx."""
    if case.path.startswith(callback_prefixes()):
        if (
            case.path.startswith("/at/")
            and isinstance(case.body, dict)
            and data.draw(st.booleans(), label="realistic")
        ):
            _realistic(case, data)
        case.call_and_validate(
            base_url=live.base_for(case.path), params={"token": CALLBACK_TOKEN}, checks=CHECKS
        )
    else:
        case.call_and_validate(
            base_url=live.base_for(case.path),
            headers={"Authorization": f"Bearer {API_TOKEN}"},
            checks=CHECKS,
        )


def _realistic(case: schemathesis.Case, data: st.DataObject) -> None:
    """A real sender, and a keyword or menu path, in a generated callback body."""
    assert isinstance(case.body, dict)
    for name in ("from", "phoneNumber"):
        if name in case.body:
            case.body[name] = data.draw(SENDERS, label=name)
    if case.path == "/at/sms/inbound":
        case.body["text"] = data.draw(SMS_TEXTS, label="text")
    if case.path in ("/at/ussd", "/at/ussd/events"):
        field = "text" if case.path == "/at/ussd" else "input"
        case.body[field] = data.draw(USSD_PATHS, label=field)


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/at/sms/inbound", {"id": "nul-1", "from": "+6281234500000", "text": "LAPOR calo\x00 x"}),
        ("/at/ussd/events", {"sessionId": "nul\x00", "status": "Success", "errorMessage": "\x00"}),
        ("/at/sms/delivery", {"id": "nul\x00", "status": "Success", "failureReason": "\x00"}),
    ],
)
def test_nul_in_a_callback_is_no_server_error(live: Live, path: str, form: dict[str, str]) -> None:
    """A NUL byte (found by the fuzzer: PostgreSQL refuses U+0000) is dropped, answered 200."""

    response = requests.post(
        live.url + path, params={"token": CALLBACK_TOKEN}, data=form, timeout=10
    )
    assert 200 == response.status_code
