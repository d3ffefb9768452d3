"""The JSON API for integrations over real HTTP: every response checked against openapi.yaml."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import yaml
from aiohttp.test_utils import TestClient
from jsonschema import Draft202012Validator, FormatChecker

from gateway.api import PREFIX
from gateway.providers.infobip.provider import PROVIDER as INFOBIP
from gateway.providers.registry import callback_prefixes
from storage.sample import sample_agencies
from storage.tips import add_official_message
from storage.users import add_api_token
from tests.conftest import Gateway
from tests.openapi_spec import served_spec, spec_with_callbacks

SPEC = served_spec()
WITH_CALLBACKS = spec_with_callbacks()  # and every provider's callbacks.yaml
TOKEN = "test-api-token-0123456789abcdef"
LABEL = "dashboard-dinas"
PHONE = "+6281234567890"
# Every way the number is written: E.164, without '+', national, and the bare subscriber number.
FORMATS = ("+6281234567890", "6281234567890", "081234567890", "81234567890")
STORY = "Calo minta uang 10 juta untuk ke Taiwan"
SMS_STORY = "calo minta 15 juta, katanya bisa ke Taiwan"  # names no place: regency tier
HOTLINE = shutil.which("hotline", path=str(Path(sys.executable).parent)) or "hotline"
_ids = itertools.count()

# --- openapi.yaml as the tests read it ---------------------------------------------------------

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a full date and time with an offset."""
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT.+", value)) and (
        datetime.fromisoformat(value).tzinfo is not None
    )


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    """A full date, YYYY-MM-DD."""
    if not isinstance(value, str):
        return True
    return bool(re.fullmatch(r"\d{4}-\d\d-\d\d", value)) and bool(date.fromisoformat(value))


def resolve(node: Any) -> Any:
    """A part of the spec with every local $ref replaced by what it points at."""
    if isinstance(node, list):
        return [resolve(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return resolve({**target, **siblings})
    return {key: resolve(value) for key, value in node.items()}


def template_of(url_path: str) -> str:
    """The spec's path template that an API URL path matches."""
    relative = url_path.removeprefix(PREFIX)
    for template in SPEC["paths"]:
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, relative):
            return str(template)
    raise AssertionError(f"{url_path} is not in openapi.yaml")


def served_at(template: str) -> str:
    """The URL path a documented path is served at: under its own server, else under /api/v1."""
    servers = WITH_CALLBACKS["paths"][template].get("servers", SPEC["servers"])
    return servers[0]["url"].rstrip("/") + template


def validate(url_path: str, status: int, body: object) -> None:
    """Check a JSON body against the schema documented for this path and status."""
    response = resolve(SPEC["paths"][template_of(url_path)]["get"]["responses"][str(status)])
    schema = response["content"]["application/json"]["schema"]
    Draft202012Validator(schema, format_checker=FORMAT_CHECKER).validate(body)


# --- calling the API ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """One API response: status, decoded JSON, raw text and headers."""

    status: int
    json: Any
    text: str
    headers: dict[str, str]


async def call(client: TestClient, url: str, token: str | None = TOKEN, **params: str) -> Answer:
    """GET an API URL, and check whatever came back against openapi.yaml."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await client.get(url, headers=headers, params=params)
    text = await response.text()
    assert response.content_type == "application/json", text
    body = orjson.loads(text)
    validate(response.url.path, response.status, body)
    return Answer(response.status, body, text, dict(response.headers))


async def hop(client: TestClient, text: str, session_id: str, phone: str = PHONE) -> str:
    """Post one USSD hop as AT does; the body."""
    form = {
        "sessionId": session_id,
        "phoneNumber": phone,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status, await response.text()
    return await response.text()


async def walk(client: TestClient, inputs: list[str]) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    session = f"ATUid_api_{next(_ids)}"
    body = await hop(client, "", session)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session)
    return body


async def file_by_ussd(client: TestClient) -> str:
    """File a calo tip in Pontang by USSD, receipt by SMS; its receipt (9 digits)."""
    inputs = ["2", "2", "pontang", "1", "Kubang Puji", "1", "1", STORY, "1", "2"]
    screen = await walk(client, inputs)
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def file_by_sms(client: TestClient, conn: asyncpg.Connection) -> str:
    """File a tip by SMS from the same phone; its receipt."""
    form = {
        "from": PHONE,
        "to": "98765",
        "text": f"LAPOR {SMS_STORY}",
        "date": "2026-11-30 10:00:00",
        "id": f"ATXid_api_{next(_ids)}",
        "linkId": "SampleLinkId123",
        "networkCode": "51010",
    }
    response = await client.post("/at/sms/inbound", data=form)
    assert 200 == response.status, await response.text()
    receipt: str = await conn.fetchval("SELECT receipt FROM tips WHERE channel = 'sms'")
    return receipt


async def send_everything(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Drain the outbox and wait (briefly) for the fake AT's delivery reports."""
    # Reports come well after the worker recorded each acceptance: one that arrives while the
    # acceptance is being written can be missed (a race in storage.outbox, not the API's to test).
    gateway.fake.report_delay_s = 0.2
    while await gateway.worker.drain_once():
        pass
    deadline = asyncio.get_running_loop().time() + 5
    while await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'"):
        assert asyncio.get_running_loop().time() < deadline, "delivery reports did not arrive"
        await asyncio.sleep(0.02)


@dataclass(frozen=True, slots=True)
class Filed:
    """The service after a resident filed one tip by USSD and one by SMS, all SMS sent."""

    client: TestClient
    ussd_receipt: str
    sms_receipt: str


@pytest.fixture
async def api(gateway: Gateway, conn: asyncpg.Connection) -> TestClient:
    """The service with sample officials and one API token."""
    await add_api_token(conn, TOKEN, LABEL)
    return gateway.client


@pytest.fixture
async def filed(api: TestClient, gateway: Gateway, conn: asyncpg.Connection) -> Filed:
    """Two tips from one known number, their alerts, replies and receipts sent and reported."""
    ussd_receipt = await file_by_ussd(api)
    sms_receipt = await file_by_sms(api, conn)
    await send_everything(gateway, conn)
    return Filed(api, ussd_receipt, sms_receipt)


async def tip_reads(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Every audited read: (reader, purpose)."""
    rows = await conn.fetch("SELECT reader, purpose FROM tip_reads ORDER BY id")
    return [(r["reader"], r["purpose"]) for r in rows]


# --- the tests ---------------------------------------------------------------------------------


class TestAuthentication:
    async def test_no_token_is_refused(self, api: TestClient) -> None:
        """A request without a token gets 401."""
        assert 401 == (await call(api, f"{PREFIX}/tips", token=None)).status

    async def test_wrong_token_is_refused(self, api: TestClient) -> None:
        """A request with an unknown token gets 401."""
        assert 401 == (await call(api, f"{PREFIX}/tips", token=TOKEN + "x")).status

    async def test_other_scheme_is_refused(self, api: TestClient) -> None:
        """The right token under another scheme than Bearer gets 401."""
        response = await api.get(f"{PREFIX}/tips", headers={"Authorization": f"Basic {TOKEN}"})
        assert 401 == response.status

    async def test_refusal_says_how_to_authenticate(self, api: TestClient) -> None:
        """A 401 names the Bearer scheme in WWW-Authenticate."""
        answer = await call(api, f"{PREFIX}/registry", token=None)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")

    async def test_refused_before_parameters_are_checked(self, api: TestClient) -> None:
        """Without a token even a malformed query gets 401, not 400."""
        assert 401 == (await call(api, f"{PREFIX}/tips", token=None, limit="x")).status

    async def test_token_is_accepted(self, api: TestClient) -> None:
        """A registered token opens the API."""
        assert 200 == (await call(api, f"{PREFIX}/tips")).status

    async def test_the_request_line_names_the_client(
        self, api: TestClient, log_output: io.StringIO
    ) -> None:
        """The request's summary line names the API client by its label, never by its token."""
        await call(api, f"{PREFIX}/tips")
        lines = [orjson.loads(line) for line in log_output.getvalue().splitlines()]
        finished = [e for e in lines if e["event"] == "http.request_finished"]
        assert [LABEL] == [e.get("api_client") for e in finished]
        assert TOKEN not in log_output.getvalue()

    async def test_token_from_the_cli_is_accepted(
        self, gateway: Gateway, database_url: str
    ) -> None:
        """The token printed by `hotline api-token add LABEL` opens the API."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "AT_"))}
        env.update(DATABASE_URL=database_url, LOG_FORMAT="json")
        process = await asyncio.create_subprocess_exec(
            HOTLINE, "api-token", "add", "cli-made", env=env, stdout=asyncio.subprocess.PIPE
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert 0 == process.returncode
        token = stdout.decode().strip()
        assert 200 == (await call(gateway.client, f"{PREFIX}/registry", token=token)).status

    async def test_openapi_document_needs_no_token(self, api: TestClient) -> None:
        """GET /api/v1/openapi.yaml answers without a token, with the shipped file."""
        response = await api.get(f"{PREFIX}/openapi.yaml")
        assert (200, SPEC) == (response.status, yaml.safe_load(await response.text()))


class TestSpecification:
    def test_is_openapi_3_1(self) -> None:
        """The file declares OpenAPI 3.1."""
        assert SPEC["openapi"].startswith("3.1.")

    @pytest.mark.parametrize("name", sorted(SPEC["components"]["schemas"]))
    def test_schema_is_valid_json_schema(self, name: str) -> None:
        """Every component schema is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect)."""
        Draft202012Validator.check_schema(resolve(SPEC["components"]["schemas"][name]))

    def test_bearer_scheme_secures_everything(self) -> None:
        """The default security is the bearer scheme."""
        scheme = SPEC["components"]["securitySchemes"]["bearer"]
        assert (
            [{"bearer": []}],
            "http",
            "bearer",
        ) == (SPEC["security"], scheme["type"], scheme["scheme"])

    async def test_every_route_is_documented(self, api: TestClient) -> None:
        """The API's routes and callbacks and the documents' paths are the same set (this app's
        SMS provider is Africa's Talking: Infobip's callbacks are documented, not mounted)."""
        routes = {
            r.canonical
            for r in api.server.app.router.resources()
            if r.canonical.startswith((PREFIX + "/", *callback_prefixes()))
        }
        documented = {
            served_at(template)
            for template in WITH_CALLBACKS["paths"]
            if not template.startswith(INFOBIP.callback_prefix)
        }
        assert documented == routes

    def test_callbacks_are_served_at_the_root(self) -> None:
        """Every provider's callbacks override the /api/v1 server with the root."""
        paths = WITH_CALLBACKS["paths"]
        callbacks = [t for t in paths if t.startswith(callback_prefixes())]
        assert [[{"url": "/"}]] * 6 == [paths[t]["servers"] for t in callbacks]

    def test_served_document_has_no_callbacks(self) -> None:
        """The API document served at /api/v1/openapi.yaml describes the API only."""
        assert [] == [t for t in SPEC["paths"] if t.startswith(callback_prefixes())]


class TestDelivery:
    async def test_list_matches_schema(self, filed: Filed) -> None:
        """The delivery log answers 200 with a body valid against DeliveryList."""
        answer = await call(filed.client, f"{PREFIX}/delivery")
        assert (200, True) == (answer.status, len(answer.json["items"]) > 0)

    async def test_lists_every_message(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """Every outbox row is listed once, by id."""
        answer = await call(filed.client, f"{PREFIX}/delivery")
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM outbox ORDER BY id")]
        assert ids == sorted(i["id"] for i in answer.json["items"])

    async def test_status_filter(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """status= lists only messages in that status."""
        await conn.execute(
            "UPDATE outbox SET status = 'dead' WHERE id = (SELECT min(id) FROM outbox)"
        )
        answer = await call(filed.client, f"{PREFIX}/delivery", status="dead")
        assert ["dead"] == [i["status"] for i in answer.json["items"]]

    async def test_limit_caps_the_list(self, filed: Filed) -> None:
        """limit= caps how many messages come back."""
        answer = await call(filed.client, f"{PREFIX}/delivery", limit="2")
        assert 2 == len(answer.json["items"])

    async def test_since_in_the_future_lists_nothing(self, filed: Filed) -> None:
        """since= after every change lists nothing."""
        answer = await call(filed.client, f"{PREFIX}/delivery", since="2999-01-01T00:00:00Z")
        assert [] == answer.json["items"]

    async def test_since_with_unescaped_plus_offset(self, filed: Filed) -> None:
        """A '+07:00' offset left unescaped in the URL (it arrives as a space) still parses."""
        response = await filed.client.get(
            f"{PREFIX}/delivery?since=2000-01-01T07:00:00+07:00",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert 200 == response.status

    async def test_detail_matches_schema(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """One message answers 200 with a body valid against DeliveryDetail."""
        outbox_id = await conn.fetchval("SELECT min(id) FROM outbox")
        assert 200 == (await call(filed.client, f"{PREFIX}/delivery/{outbox_id}")).status

    async def test_detail_has_the_timeline(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """A delivered message's timeline is its acceptance, then the delivery report."""
        outbox_id = await conn.fetchval("SELECT min(id) FROM outbox")
        answer = await call(filed.client, f"{PREFIX}/delivery/{outbox_id}")
        assert ["accepted", "report"] == [e["kind"] for e in answer.json["events"]]

    async def test_unknown_id_is_404(self, api: TestClient) -> None:
        """An id no message has gets 404."""
        assert 404 == (await call(api, f"{PREFIX}/delivery/999999")).status

    async def test_non_numeric_id_is_404(self, api: TestClient) -> None:
        """An id that is not a number gets 404 (JSON, like any unknown id)."""
        assert 404 == (await call(api, f"{PREFIX}/delivery/abc")).status

    async def test_error_text_masks_numbers(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """A gateway's error quoting a number is shown with the number masked."""
        outbox_id = await conn.fetchval("SELECT min(id) FROM outbox")
        await conn.execute(
            "UPDATE outbox SET last_error = $2 WHERE id = $1", outbox_id, f"invalid number: {PHONE}"
        )
        answer = await call(filed.client, f"{PREFIX}/delivery/{outbox_id}")
        assert "invalid number: [number]" == answer.json["last_error"]


class TestTipList:
    async def test_matches_schema(self, filed: Filed) -> None:
        """The tips list answers 200 with a body valid against TipList."""
        answer = await call(filed.client, f"{PREFIX}/tips")
        assert (200, 2) == (answer.status, len(answer.json["items"]))

    async def test_has_no_description(self, filed: Filed) -> None:
        """No listed tip has a description field."""
        answer = await call(filed.client, f"{PREFIX}/tips")
        assert [] == [i for i in answer.json["items"] if "description" in i]

    async def test_holds_no_content(self, filed: Filed) -> None:
        """Neither tip's story appears anywhere in the list."""
        answer = await call(filed.client, f"{PREFIX}/tips")
        assert [] == [s for s in (STORY, SMS_STORY, "Kubang Puji") if s in answer.text]

    async def test_is_not_audited(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """Listing tips reads no content, so it writes no audit row."""
        await call(filed.client, f"{PREFIX}/tips")
        assert [] == await tip_reads(conn)

    async def test_lists_receipts_oldest_first(self, filed: Filed) -> None:
        """The USSD tip, filed first, comes first."""
        answer = await call(filed.client, f"{PREFIX}/tips")
        receipts = [i["receipt"] for i in answer.json["items"]]
        assert [filed.ussd_receipt, filed.sms_receipt] == receipts

    async def test_kecamatan_filter(self, filed: Filed) -> None:
        """kecamatan= lists only tips filed for that kecamatan."""
        answer = await call(filed.client, f"{PREFIX}/tips", kecamatan="36.04.12")
        assert [filed.ussd_receipt] == [i["receipt"] for i in answer.json["items"]]

    async def test_category_filter(self, filed: Filed) -> None:
        """category= lists only tips of that category."""
        answer = await call(filed.client, f"{PREFIX}/tips", category="bahaya")
        assert [] == answer.json["items"]

    async def test_status_filter(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """status= lists only tips in that status."""
        await conn.execute(
            "UPDATE tips SET status = 'selesai_ditindak' WHERE receipt = $1", filed.sms_receipt
        )
        answer = await call(filed.client, f"{PREFIX}/tips", status="selesai_ditindak")
        assert [filed.sms_receipt] == [i["receipt"] for i in answer.json["items"]]

    async def test_since_takes_a_date(self, filed: Filed) -> None:
        """since= takes a plain date."""
        answer = await call(filed.client, f"{PREFIX}/tips", since="2000-01-01")
        assert 2 == len(answer.json["items"])


class TestTipDetail:
    async def test_matches_schema(self, filed: Filed) -> None:
        """One tip answers 200 with a body valid against TipDetail."""
        assert 200 == (await call(filed.client, f"{PREFIX}/tips/{filed.ussd_receipt}")).status

    async def test_has_the_content(self, filed: Filed) -> None:
        """The tip comes with its description, desa and agency as filed."""
        answer = await call(filed.client, f"{PREFIX}/tips/{filed.ussd_receipt}")
        content = (answer.json["description"], answer.json["desa"], answer.json["agency_name"])
        assert (STORY, "Kubang Puji", None) == content

    async def test_read_is_audited(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """Reading one tip writes one audit row: reader api:<label>, purpose api."""
        await call(filed.client, f"{PREFIX}/tips/{filed.ussd_receipt}")
        assert [(f"api:{LABEL}", "api")] == await tip_reads(conn)

    async def test_has_the_thread(self, filed: Filed, conn: asyncpg.Connection) -> None:
        """An official's question is in the tip's thread."""
        await add_official_message(conn, filed.sms_receipt, "question", "Di desa mana?")
        answer = await call(filed.client, f"{PREFIX}/tips/{filed.sms_receipt}")
        thread = [(m["author"], m["kind"], m["body"]) for m in answer.json["thread"]]
        assert [("official", "question", "Di desa mana?")] == thread

    async def test_receipt_as_shown_is_accepted(self, filed: Filed) -> None:
        """A receipt written as shown to residents (1234-5678-9) finds the tip."""
        r = filed.ussd_receipt
        answer = await call(filed.client, f"{PREFIX}/tips/{r[:4]}-{r[4:8]}-{r[8]}")
        assert r == answer.json["receipt"]

    async def test_unknown_receipt_is_404(self, api: TestClient) -> None:
        """A receipt no tip has gets 404."""
        assert 404 == (await call(api, f"{PREFIX}/tips/123456789")).status

    async def test_unknown_receipt_is_not_audited(
        self, api: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A 404 reads nothing, so it writes no audit row."""
        await call(api, f"{PREFIX}/tips/123456789")
        assert [] == await tip_reads(conn)


class TestRegistry:
    async def test_matches_schema(self, api: TestClient) -> None:
        """The registry answers 200 with a body valid against Registry."""
        assert 200 == (await call(api, f"{PREFIX}/registry")).status

    async def test_lists_every_agency(self, api: TestClient) -> None:
        """Every agency of the loaded (sample) registry is listed."""
        answer = await call(api, f"{PREFIX}/registry")
        expected = sorted(a.licence_number for a in sample_agencies())
        assert expected == sorted(i["licence_number"] for i in answer.json["items"])


class TestParameters:
    @pytest.mark.parametrize("limit", ["0", "501", "abc", "-1", "1.5"])
    async def test_bad_limit_is_400(self, api: TestClient, limit: str) -> None:
        """A limit that is not an integer from 1 to 500 gets 400."""
        assert 400 == (await call(api, f"{PREFIX}/tips", limit=limit)).status

    async def test_400_names_the_parameter(self, api: TestClient) -> None:
        """The 400 message starts with the parameter's name."""
        answer = await call(api, f"{PREFIX}/delivery", limit="many")
        assert answer.json["error"].startswith("limit:")

    async def test_bad_since_is_400(self, api: TestClient) -> None:
        """A since that is not an ISO 8601 date or date-time gets 400."""
        answer = await call(api, f"{PREFIX}/tips", since="yesterday")
        assert (400, "since:") == (answer.status, answer.json["error"][:6])

    @pytest.mark.parametrize(
        ("path", "name", "value"),
        [
            ("/delivery", "status", "lost"),
            ("/tips", "status", "open"),
            ("/tips", "category", "scam"),
            ("/tips", "kecamatan", "Pontang"),
        ],
        ids=["delivery-status", "tip-status", "category", "kecamatan"],
    )
    async def test_unknown_value_is_400(
        self, api: TestClient, path: str, name: str, value: str
    ) -> None:
        """A value outside the documented set gets 400 naming the parameter."""
        answer = await call(api, PREFIX + path, **{name: value})
        assert (400, f"{name}:") == (answer.status, answer.json["error"][: len(name) + 1])

    async def test_unknown_parameter_is_400(self, api: TestClient) -> None:
        """A parameter the route does not take gets 400 naming it (typos do not pass silently)."""
        answer = await call(api, f"{PREFIX}/tips", categori="calo")
        assert (400, "categori:") == (answer.status, answer.json["error"][:9])

    async def test_empty_parameter_is_ignored(self, api: TestClient) -> None:
        """An empty parameter counts as not given."""
        assert 200 == (await call(api, f"{PREFIX}/tips", status="", limit="")).status


def number_forms(phone: str) -> list[str]:
    """An E.164 Indonesian number as E.164, without '+', national, and bare subscriber."""
    digits = phone.removeprefix("+")
    return [phone, digits, "0" + digits.removeprefix("62"), digits.removeprefix("62")]


class TestNoPhoneNumber:
    @pytest.fixture
    async def answers(self, filed: Filed, conn: asyncpg.Connection) -> list[Answer]:
        """Every API response after the resident's tips and all their SMS: lists first."""
        client = filed.client
        answers = [await call(client, f"{PREFIX}/{p}") for p in ("delivery", "tips", "registry")]
        for row in await conn.fetch("SELECT id FROM outbox ORDER BY id"):
            answers.append(await call(client, f"{PREFIX}/delivery/{row['id']}"))
        for receipt in (filed.ussd_receipt, filed.sms_receipt):
            answers.append(await call(client, f"{PREFIX}/tips/{receipt}"))
        return answers

    async def test_scan_covers_resident_messages(self, answers: list[Answer]) -> None:
        """The scanned delivery log holds the two SMS sent to the resident (reply, receipt)."""
        kinds = [i["recipient_kind"] for i in answers[0].json["items"]]
        assert 2 == kinds.count("resident")

    async def test_no_resident_number(self, answers: list[Answer]) -> None:
        """The resident's number appears in no response, in any of its formats."""
        text = "\n".join(a.text for a in answers)
        assert [] == [f for f in FORMATS if f in text]

    async def test_no_official_number(
        self, answers: list[Answer], conn: asyncpg.Connection
    ) -> None:
        """No alerted official's number appears in any response."""
        rows = await conn.fetch(
            "SELECT DISTINCT f.phone FROM outbox o JOIN officials f ON f.id = o.official_id"
        )
        text = "\n".join(a.text for a in answers)
        forms = [f for r in rows for f in number_forms(r["phone"])]
        assert (True, []) == (bool(rows), [f for f in forms if f in text])

    async def test_no_sms_body(self, answers: list[Answer], conn: asyncpg.Connection) -> None:
        """No outbound SMS text appears in any response."""
        text = "\n".join(a.text for a in answers)
        bodies = [r["body"] for r in await conn.fetch("SELECT body FROM outbox")]
        assert [] == [b for b in bodies if b in text]
