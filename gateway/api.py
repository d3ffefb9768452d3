"""
The JSON API for integrations (/api/v1): the outbound SMS log, tips, and the agency registry.

Every route but the OpenAPI description needs `Authorization: Bearer <token>`, a token made by
`hotline api-token add LABEL [--area AREA]`. A token sees only the tips of its area
(storage.areas; default the whole regency): a tip outside it is absent from lists and a 404.
Tokens are stored as SHA-256 hashes and looked up by hash, so the
time a check takes depends on the hash, never on how much of a token an attacker guessed right.

No response holds a phone number or an SMS body. Lists of tips hold no content; one tip's content
is read through `read_tip`, which writes the read (reader "api:LABEL") to the audit log. Errors
are JSON {"error": "..."}: 400 names the bad parameter, 401 a missing or unknown token, 404 an
unknown id. gateway/openapi.yaml describes all of it and is served at /api/v1/openapi.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import orjson
import structlog
from aiohttp import web

from gateway import keys, logs
from gateway.ussd import WIB
from storage.areas import area_of
from storage.db import DATABASE_ERRORS
from storage.keyset import Cursor, Page, decode_cursor, encode_cursor
from storage.reads import (
    OUTBOX_STATUSES,
    DeliveryFilter,
    DeliveryRow,
    Order,
    Reader,
    ThreadMessage,
    TipFilter,
    delivery_events,
    delivery_row,
    delivery_rows,
    tip_rows,
    tip_thread,
)
from storage.registry import load_agencies
from storage.tips import CATEGORIES, TipContent, read_tip
from storage.users import ApiClient, api_client
from ussd_menus.cases import STATUSES

log = structlog.get_logger()

PREFIX = "/api/v1"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_ID = 2**63 - 1  # bigint
AGENCY_FIELDS = (
    "licence_number",
    "name",
    "status",
    "status_since",
    "status_until",
    "valid_until",
    "head_office_city",
    "head_office_province",
    "branch_cities",
    "destination_countries",
    "job_types",
    "snapshot_date",
    "is_sample",
)
# What a list or detail shows of the rows storage.reads shares with the console.
DELIVERY_FIELDS = (
    "id",
    "status",
    "recipient_kind",
    "official_id",
    "cause",
    "attempts",
    "last_error",
    "provider_id",
    "created_at",
    "updated_at",
)
TIP_FIELDS = ("receipt", "category", "kecamatan_code", "status", "channel", "created_at")
THREAD_FIELDS = ("id", "author", "kind", "body", "reply_to", "created_at")
_KECAMATAN_CODE = re.compile(r"36\.04\.\d{2}")
_RECEIPT = re.compile(r"\d{9}")
# A gateway's error text may quote the number it refused: 8+ digits, maybe spaced, are masked.
_NUMBER_LIKE = re.compile(r"\+?\d(?:[\s.\-]?\d){7,}")
# An unescaped '+' in a query string arrives as a space: '...T10:00:00 07:00' meant '+07:00'.
_SPACED_OFFSET = re.compile(r" (\d{2}(?::?\d{2})?)$")

Json = dict[str, object]
ApiHandler = Callable[[web.Request, ApiClient], Awaitable[Json]]


def setup_api(app: web.Application) -> None:
    """Register the API's routes."""
    app.router.add_get(f"{PREFIX}/openapi.yaml", openapi_document)
    app.router.add_get(f"{PREFIX}/delivery", _endpoint(delivery))
    app.router.add_get(PREFIX + "/delivery/{id}", _endpoint(delivery_detail))
    app.router.add_get(f"{PREFIX}/tips", _endpoint(tips))
    app.router.add_get(PREFIX + "/tips/{receipt}", _endpoint(tip_detail))
    app.router.add_get(f"{PREFIX}/registry", _endpoint(registry))


@cache
def openapi_text() -> bytes:
    """The OpenAPI description shipped with the package."""
    return resources.files("gateway").joinpath("openapi.yaml").read_bytes()


async def openapi_document(request: web.Request) -> web.Response:
    """GET /api/v1/openapi.yaml: the API's description (no token needed)."""
    return web.Response(body=openapi_text(), content_type="application/yaml", charset="utf-8")


def _endpoint(handler: ApiHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A route that checks the token first and answers JSON, also when the database is down."""

    async def endpoint(request: web.Request) -> web.Response:
        try:
            client = await _authenticate(request)
            data = await handler(request, client)
        except DATABASE_ERRORS as error:
            log.warning("api.database_unavailable", error=type(error).__name__)
            raise _error(web.HTTPServiceUnavailable, "database unavailable") from error
        return web.Response(
            body=orjson.dumps(data),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},  # tips' content must not linger in caches
        )

    endpoint.__doc__ = handler.__doc__
    return endpoint


async def _authenticate(request: web.Request) -> ApiClient:
    """The holder of the request's bearer token; 401 without a valid one."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    client = None
    if scheme.lower() == "bearer" and token:
        client = await api_client(request.app[keys.POOL], token)
    if client is None:
        log.warning("api.token_refused", had_token=bool(token))
        raise _error(
            web.HTTPUnauthorized,
            "missing or unknown API token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": 'Bearer realm="hotline"'},
        )
    logs.bind(api_client=client.label)
    return client


def _error(
    kind: type[web.HTTPException], message: str, headers: dict[str, str] | None = None
) -> web.HTTPException:
    return kind(
        text=orjson.dumps({"error": message}).decode(),
        content_type="application/json",
        headers=headers,
    )


def _params(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each at most once and known; empty ones count as absent."""
    for name in request.query:
        if name not in allowed:
            known = f"known: {', '.join(allowed)}" if allowed else "this route takes none"
            raise _error(web.HTTPBadRequest, f"{name}: unknown parameter ({known})")
        if len(request.query.getall(name)) > 1:
            raise _error(web.HTTPBadRequest, f"{name}: given more than once")
    return {name: value for name, value in request.query.items() if value != ""}


def _choice(params: dict[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    value = params.get(name)
    if value is not None and value not in allowed:
        raise _error(web.HTTPBadRequest, f"{name}: one of {', '.join(allowed)}")
    return value


def _since(params: dict[str, str]) -> datetime | None:
    raw = params.get("since")
    if raw is None:
        return None
    for text in (raw.strip(), _SPACED_OFFSET.sub(r"+\1", raw.strip())):
        try:
            value = datetime.fromisoformat(text)
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        except (ValueError, OverflowError):
            continue
    raise _error(web.HTTPBadRequest, "since: an ISO 8601 date or date-time (UTC without an offset)")


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise _error(web.HTTPBadRequest, f"limit: an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _cursor(params: dict[str, str]) -> Cursor | None:
    raw = params.get("cursor")
    if raw is None:
        return None
    cursor = decode_cursor(raw)
    if cursor is None:
        raise _error(web.HTTPBadRequest, "cursor: the next_cursor of a previous page, unchanged")
    return cursor


def _next(page: Page[Any]) -> str | None:
    """The token for the page after this one (same filters), None after the last."""
    return encode_cursor(page.next) if page.next else None


def _masked(text: str) -> str:
    return _NUMBER_LIKE.sub("[number]", text)


def _fields(row: object, names: tuple[str, ...]) -> Json:
    return {name: getattr(row, name) for name in names}


def _delivery_json(row: DeliveryRow) -> Json:
    return {**_fields(row, DELIVERY_FIELDS), "last_error": _masked(row.last_error)}


async def delivery(request: web.Request, client: ApiClient) -> Json:
    """GET /api/v1/delivery: the outbound SMS log, least recently changed first."""
    params = _params(request, ("status", "since", "limit", "cursor"))
    wanted = DeliveryFilter(
        status=_choice(params, "status", OUTBOX_STATUSES),
        changed_since=_since(params),
        area=area_of(client.area),
    )
    page = await delivery_rows(
        request.app[keys.POOL], Reader.API, wanted, Order.OLDEST, _limit(params), _cursor(params)
    )
    return {"items": [_delivery_json(i) for i in page.rows], "next_cursor": _next(page)}


async def delivery_detail(request: web.Request, client: ApiClient) -> Json:
    """GET /api/v1/delivery/{id}: one outbound SMS and its timeline."""
    _params(request, ())
    raw = request.match_info["id"]
    outbox_id = int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID else None
    pool = request.app[keys.POOL]
    area = area_of(client.area)
    item = await delivery_row(pool, Reader.API, outbox_id, area) if outbox_id is not None else None
    if item is None or outbox_id is None:
        raise _error(web.HTTPNotFound, f"no outbound SMS with id {raw[:40]!r}")
    events = await delivery_events(pool, outbox_id)
    return {
        **_delivery_json(item),
        "events": [{**asdict(e), "detail": _masked(e.detail)} for e in events],
    }


async def tips(request: web.Request, client: ApiClient) -> Json:
    """GET /api/v1/tips: tips of the token's area without their content, oldest first."""
    params = _params(request, ("status", "category", "kecamatan", "since", "limit", "cursor"))
    kecamatan = params.get("kecamatan")
    if kecamatan is not None and not _KECAMATAN_CODE.fullmatch(kecamatan):
        raise _error(web.HTTPBadRequest, "kecamatan: a Kemendagri code such as 36.04.12")
    wanted = TipFilter(
        status=_choice(params, "status", STATUSES),
        category=_choice(params, "category", CATEGORIES),
        kecamatan_code=kecamatan,
        filed_since=_since(params),
        area=area_of(client.area),
    )
    pool = request.app[keys.POOL]
    page = await tip_rows(pool, wanted, Order.OLDEST, _limit(params), _cursor(params))
    return {"items": [_fields(i, TIP_FIELDS) for i in page.rows], "next_cursor": _next(page)}


async def tip_detail(request: web.Request, client: ApiClient) -> Json:
    """GET /api/v1/tips/{receipt}: one tip's content and thread; the read is audited. A tip
    outside the token's area is not found."""
    _params(request, ())
    raw = request.match_info["receipt"]
    receipt = raw.replace("-", "")
    content: TipContent | None = None
    thread: list[ThreadMessage] = []
    if _RECEIPT.fullmatch(receipt):
        async with request.app[keys.POOL].acquire() as conn:
            area = area_of(client.area)
            content = await read_tip(conn, receipt, f"api:{client.label}", "api", area)
            if content is not None:
                thread = await tip_thread(conn, receipt)
    if content is None:
        raise _error(web.HTTPNotFound, f"no tip with receipt {raw[:40]!r}")
    return {**asdict(content), "thread": [_fields(m, THREAD_FIELDS) for m in thread]}


async def registry(request: web.Request, client: ApiClient) -> Json:
    """GET /api/v1/registry: the agency (P3MI) registry as last imported; `status` is the
    licence's state today as every surface computes it (Agency.effective_status: an `aktif`
    licence past its end date is expired), `recorded_status` the status as the source wrote it."""
    _params(request, ())
    agencies = await load_agencies(request.app[keys.POOL])
    today = datetime.now(WIB).date()
    return {
        "items": [
            {
                **{f: getattr(a, f) for f in AGENCY_FIELDS},
                "status": a.effective_status(today),
                "recorded_status": a.status,
            }
            for a in agencies
        ]
    }
