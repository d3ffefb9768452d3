"""
Broadcasts (sosialisasi) in the console, for investigators and admins: compose one for an area
inside the account's own (the regency, a kecamatan or a desa) in Indonesian and English, preview
it (segments and alphabet per language, recipients, cost), submit it, and have a SECOND account
approve it; then its page shows how its messages are doing (outbox statuses).

Submitting carries a one-time form token, so a double click stores one broadcast; approval locks
the broadcast's row (storage/broadcasts.py), so it queues once. The time of day that decides quiet
hours comes from the app's CLOCK when one is set (tests), else the wall clock.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_TIPS, SESSION_KEY, require
from gateway.console.render import render
from gateway.usecases.broadcasts import MAX_BODY, footer, preview, schedule
from gateway.ussd import WIB
from storage.areas import REGENCY, InvalidArea, checked_area
from storage.broadcasts import (
    BroadcastRefused,
    approve_and_queue,
    broadcast,
    broadcasts_inside,
    create_broadcast,
    delivery_figures,
    recipients_in,
)

log = structlog.get_logger()
Clock = Callable[[], datetime]
CLOCK: web.AppKey[Clock] = web.AppKey("broadcast_clock")


def inside(account_area: str, area: str) -> bool:
    """Whether `area` lies inside an account's area (the regency holds every area)."""
    return account_area == REGENCY or area == account_area or area.startswith(account_area + ".")


def _now(request: web.Request) -> datetime:
    clock = request.app.get(CLOCK)
    return clock() if clock is not None else datetime.now(WIB)


@require(ROLES_TIPS)
async def broadcasts_page(request: web.Request) -> web.Response:
    """GET /console/broadcasts: the account's broadcasts and the form for a new one."""
    user = request[SESSION_KEY].user
    shown = await broadcasts_inside(request.app[keys.POOL], user.area)
    return render(
        request,
        "broadcasts.html",
        broadcasts=shown,
        form={"area": user.area, "body_id": "", "body_en": ""},
        max_body=MAX_BODY,
    )


async def _checked(request: web.Request) -> tuple[dict[str, str], web.Response, bool]:
    """The form's fields, the preview page (400 when something refuses them) and whether the
    broadcast may be submitted."""
    form = await request.post()
    fields = {k: str(form.get(k, "")).strip()[:MAX_BODY] for k in ("area", "body_id", "body_en")}
    user = request[SESSION_KEY].user
    config = request.app[keys.CONFIG]
    async with request.app[keys.POOL].acquire() as conn:
        try:
            area = (await checked_area(conn, fields["area"] or REGENCY)).code
        except InvalidArea:
            area = ""
        if not area or not inside(user.area, area):
            page = render(
                request, "broadcasts.html", status=400, broadcasts=[], form=fields,
                max_body=MAX_BODY, problem="broadcast_bad_area",
            )  # fmt: skip
            return fields, page, False
        fields["area"] = area
        count = await recipients_in(conn, area)
    shown = preview(fields["body_id"], fields["body_en"], count, config.sms_price_per_segment)
    page = render(
        request, "broadcast_preview.html", status=400 if shown.problems else 200,
        form=fields, preview=shown, token=secrets.token_urlsafe(16),
        price=config.sms_price_per_segment,
    )  # fmt: skip
    return fields, page, not shown.problems


@require(ROLES_TIPS)
async def preview_page(request: web.Request) -> web.Response:
    """POST /console/broadcasts/preview: what the broadcast will be, or why not."""
    _, page, _ = await _checked(request)
    return page


@require(ROLES_TIPS)
async def submit(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcasts: store the previewed broadcast, waiting for a second account."""
    fields, page, ok = await _checked(request)
    if not ok:
        return page
    token = str((await request.post()).get("token", ""))[:64]
    if not token:
        raise web.HTTPBadRequest(text="form token missing\n")
    user = request[SESSION_KEY].user
    try:
        broadcast_id = await create_broadcast(
            request.app[keys.POOL], fields["area"], fields["body_id"], fields["body_en"],
            user.name, token,
        )  # fmt: skip
    except BroadcastRefused as refusal:
        raise web.HTTPConflict(text=f"{refusal.reason}\n") from refusal
    log.info("broadcasts.submitted", user=user.name, broadcast_id=broadcast_id, area=fields["area"])
    raise web.HTTPSeeOther(f"/console/broadcasts/{broadcast_id}")


async def _detail(request: web.Request, status: int = 200, problem: str = "") -> web.Response:
    user = request[SESSION_KEY].user
    pool = request.app[keys.POOL]
    shown = await broadcast(pool, int(request.match_info["id"]))
    if shown is None or not inside(user.area, shown.area):
        return render(request, "not_found.html", status=404)
    return render(
        request, "broadcast.html", status=status, broadcast=shown,
        figures=await delivery_figures(pool, shown.id), problem=problem,
        footers={lang: footer(lang) for lang in ("id", "en")},
        can_approve=shown.status == "pending" and shown.author != user.name,
        approved=request.query.get("approved") == "1",
    )  # fmt: skip


@require(ROLES_TIPS)
async def broadcast_page(request: web.Request) -> web.Response:
    """GET /console/broadcasts/{id}: the broadcast, its approval and its delivery figures."""
    return await _detail(request)


@require(ROLES_TIPS)
async def approve(request: web.Request) -> web.StreamResponse:
    """POST /console/broadcasts/{id}/approve: a second account approves; its messages are
    queued, due at the configured rate from the first moment outside quiet hours."""
    user = request[SESSION_KEY].user
    pool = request.app[keys.POOL]
    broadcast_id = int(request.match_info["id"])
    shown = await broadcast(pool, broadcast_id)
    if shown is None or not inside(user.area, shown.area):
        return render(request, "not_found.html", status=404)
    config = request.app[keys.CONFIG]
    plan = schedule(_now(request), config.broadcast_per_second)
    footers = {lang: footer(lang) for lang in ("id", "en")}
    try:
        async with pool.acquire() as conn:
            queued = await approve_and_queue(conn, broadcast_id, user.name, plan, footers)
    except BroadcastRefused as refusal:
        log.info("broadcasts.approval_refused", user=user.name, reason=refusal.reason)
        return await _detail(request, status=409, problem=refusal.reason)
    log.info(
        "broadcasts.approved", user=user.name, broadcast_id=broadcast_id, queued=queued,
        starts_at=plan.first.isoformat(),
    )  # fmt: skip
    raise web.HTTPSeeOther(f"/console/broadcasts/{broadcast_id}?approved=1")


def setup_broadcasts(app: web.Application) -> None:
    """Register the broadcast pages."""
    app.router.add_get("/console/broadcasts", broadcasts_page)
    app.router.add_post("/console/broadcasts", submit)
    app.router.add_post("/console/broadcasts/preview", preview_page)
    app.router.add_get(r"/console/broadcasts/{id:\d{1,12}}", broadcast_page)
    app.router.add_post(r"/console/broadcasts/{id:\d{1,12}}/approve", approve)
