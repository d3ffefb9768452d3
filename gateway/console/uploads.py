"""
The registry, job-order and officials pages, and their CSV uploads: upload, preview, then apply
or cancel.

Everyone signed in may read the registry and the job orders; only admins see the officials
directory and upload.
An upload is stored (storage.uploads) and previewed with exactly the validation of the CLI
import: every problem by line and field, or the names that would be added, changed and removed
(deactivated, for officials). Applying re-validates the stored file and claims the upload in the
same transaction as the import, so an upload is applied at most once; a registry import notifies
every gateway process. Cancelling changes nothing but forgetting the upload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiohttp import web

from gateway import keys
from gateway.console.auth import ROLES_ADMIN, ROLES_ALL, SESSION_KEY, Handler, require
from gateway.console.registry_search import registry_search
from gateway.console.render import WIB, render
from gateway.phones import normalize
from storage.csv_files import formula_warnings
from storage.db import Conn
from storage.errors import CsvProblem, InvalidCsv
from storage.job_orders import diff as job_orders_diff
from storage.job_orders import (
    job_orders_date,
    load_job_orders,
    parse_job_orders,
    replace_job_orders,
)
from storage.officials import (
    PHONE_COLUMNS,
    Official,
    directory_diff,
    import_officials,
    load_officials,
    parse_officials,
)
from storage.regions import load_kecamatan
from storage.registry import (
    Agency,
    diff,
    load_agencies,
    registry_snapshot,
    replace_registry,
)
from storage.registry_csv import parse_agencies
from storage.tips import CATEGORIES
from storage.uploads import cancel_upload, claim_upload, save_upload, upload_by_id
from ussd_menus import destinations

log = structlog.get_logger()
# The app refuses bodies over HOTLINE_MAX_BODY_BYTES (callbacks are small); a CSV upload may be
# larger, so its routes read up to this.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_FILE_NAME = 200


@dataclass(frozen=True, slots=True)
class Preview:
    """What applying a file would do: its problems, or the names it adds, changes, removes
    (and the cells a spreadsheet would run as formulas, as warnings)."""

    problems: tuple[CsvProblem, ...] = ()
    rows: int = 0
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    warnings: tuple[CsvProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of upload: where its pages are and how its files are checked and applied."""

    name: str
    path: str
    removed_label: str
    preview: Callable[[Conn, str], Awaitable[Preview]]
    apply: Callable[[Conn, str, str], Awaitable[Preview]]


async def _parse_registry(conn: Conn, text: str) -> list[Agency]:
    return parse_agencies(text)


async def _parse_officials(conn: Conn, text: str) -> list[Official]:
    codes = {k.code for k in await load_kecamatan(conn)}
    return parse_officials(text, normalize, codes, CATEGORIES)


async def _preview_registry(conn: Conn, text: str) -> Preview:
    agencies = await _parse_registry(conn, text)
    changes = diff(await load_agencies(conn), agencies)
    warnings = tuple(formula_warnings(text))
    return Preview((), len(agencies), changes.added, changes.changed, changes.removed, warnings)


async def _apply_registry(conn: Conn, text: str, file_name: str) -> Preview:
    agencies = await _parse_registry(conn, text)
    changes = await replace_registry(conn, agencies, file_name)
    return Preview((), len(agencies), changes.added, changes.changed, changes.removed)


async def _preview_officials(conn: Conn, text: str) -> Preview:
    officials = await _parse_officials(conn, text)
    changes = directory_diff(await load_officials(conn), officials)
    warnings = tuple(formula_warnings(text, PHONE_COLUMNS))
    return Preview(
        (), len(officials), changes.added, changes.changed, changes.deactivated, warnings
    )


async def _apply_officials(conn: Conn, text: str, file_name: str) -> Preview:
    officials = await _parse_officials(conn, text)
    changes = await import_officials(conn, officials, sample=False)
    return Preview((), len(officials), changes.added, changes.changed, changes.deactivated)


async def _preview_job_orders(conn: Conn, text: str) -> Preview:
    orders = parse_job_orders(text)
    changes = job_orders_diff(await load_job_orders(conn), orders)
    warnings = tuple(formula_warnings(text))
    return Preview((), len(orders), changes.added, changes.changed, changes.removed, warnings)


async def _apply_job_orders(conn: Conn, text: str, file_name: str) -> Preview:
    orders = parse_job_orders(text)
    changes = await replace_job_orders(conn, orders, file_name)
    return Preview((), len(orders), changes.added, changes.changed, changes.removed)


REGISTRY = Kind("registry", "/console/registry", "removed", _preview_registry, _apply_registry)
JOB_ORDERS = Kind(
    "job_orders", "/console/job-orders", "removed", _preview_job_orders, _apply_job_orders
)
OFFICIALS = Kind(
    "officials", "/console/officials", "deactivated", _preview_officials, _apply_officials
)


@require(ROLES_ALL)
async def registry_page(request: web.Request) -> web.Response:
    """GET /console/registry: the agencies matching the search (name, licence number, status),
    with the snapshot's data date and source; admins also get the upload form."""
    pool = request.app[keys.POOL]
    agencies = await load_agencies(pool)
    found = registry_search(request, agencies, datetime.now(WIB).date())
    snapshot = await registry_snapshot(pool)
    return render(request, "registry.html", problem="", snapshot=snapshot, **found)


@require(ROLES_ALL)
async def job_orders_page(request: web.Request) -> web.Response:
    """GET /console/job-orders: every job order with its data date; admins also upload."""
    return await _job_orders(request, "", 200)


async def _job_orders(request: web.Request, problem: str, status: int) -> web.Response:
    pool = request.app[keys.POOL]
    table = destinations.active()
    rows = [
        (o, table.country_by_code(o.country_code), table.job_by_key(o.job_kind))
        for o in await load_job_orders(pool)
    ]
    return render(
        request,
        "job_orders.html",
        status=status,
        rows=rows,
        data_date=await job_orders_date(pool),
        problem=problem,
    )


@require(ROLES_ADMIN)
async def officials_page(request: web.Request) -> web.Response:
    """GET /console/officials: the directory and the upload form."""
    officials = await load_officials(request.app[keys.POOL])
    return render(request, "officials.html", officials=officials, problem="")


def larger_body(handler: Handler) -> Handler:
    """Let this route read a body up to MAX_UPLOAD_BYTES (before anything reads it)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        larger = request.clone(client_max_size=MAX_UPLOAD_BYTES)
        try:
            return await handler(larger)
        finally:
            # aiohttp closes a multipart body's temporary files only for the request it made.
            larger._finish()

    return wrapped


def upload(kind: Kind) -> Handler:
    """POST {path}/upload: store the file and show its preview."""

    @larger_body
    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        field = form.get("file")
        if not isinstance(field, web.FileField) or not field.filename:
            return await _form_again(request, kind, "no_file")
        try:
            text = field.file.read().decode("utf-8")
        except UnicodeDecodeError:
            return await _form_again(request, kind, "not_utf8")
        user = request[SESSION_KEY].user
        upload_id = await save_upload(
            request.app[keys.POOL], kind.name, field.filename[:MAX_FILE_NAME], text, user.id
        )
        log.info("console.csv_uploaded", kind=kind.name, upload_id=upload_id, user=user.name)
        raise web.HTTPSeeOther(f"{kind.path}/uploads/{upload_id}")

    return handler


async def _form_again(request: web.Request, kind: Kind, problem: str) -> web.Response:
    pool = request.app[keys.POOL]
    if kind is REGISTRY:
        return render(
            request,
            "registry.html",
            status=400,
            agencies=await load_agencies(pool),
            problem=problem,
        )
    if kind is JOB_ORDERS:
        return await _job_orders(request, problem, 400)
    officials = await load_officials(pool)
    return render(request, "officials.html", status=400, officials=officials, problem=problem)


def preview(kind: Kind) -> Handler:
    """GET {path}/uploads/{id}: the problems, or the changes applying would make."""

    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        pool = request.app[keys.POOL]
        stored = await upload_by_id(pool, int(request.match_info["id"]), kind.name)
        if stored is None:
            return render(request, "not_found.html", status=404)
        outcome = Preview()
        if stored.applied_at is None:
            async with pool.acquire() as conn:
                try:
                    outcome = await kind.preview(conn, stored.content)
                except InvalidCsv as error:
                    outcome = Preview(problems=tuple(error.problems))
        state = "applied" if stored.applied_at else "pending"
        return _preview_page(
            request, kind, stored.id, stored.file_name, stored.user_name, outcome, state
        )

    return handler


def _preview_page(
    request: web.Request,
    kind: Kind,
    upload_id: int,
    file_name: str,
    user_name: str,
    outcome: Preview,
    state: str,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        "upload_preview.html",
        status=status,
        kind=kind,
        upload_id=upload_id,
        file_name=file_name,
        uploaded_by=user_name,
        preview=outcome,
        state=state,
    )


def apply(kind: Kind) -> Handler:
    """POST {path}/uploads/{id}/apply: import the file, once."""

    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        upload_id = int(request.match_info["id"])
        user = request[SESSION_KEY].user
        async with request.app[keys.POOL].acquire() as conn:
            try:
                async with conn.transaction():
                    stored = await claim_upload(conn, upload_id, kind.name)
                    if stored is None:
                        return _done_page(request, kind, "upload_done", 409)
                    outcome = await kind.apply(conn, stored.content, stored.file_name)
            except InvalidCsv as error:  # the claim was rolled back with the import
                problems = Preview(problems=tuple(error.problems))
                again = await upload_by_id(conn, upload_id, kind.name)
                assert again is not None
                return _preview_page(
                    request,
                    kind,
                    upload_id,
                    again.file_name,
                    again.user_name,
                    problems,
                    state="pending",
                    status=400,
                )
        log.info(
            "console.csv_applied",
            kind=kind.name,
            upload_id=upload_id,
            user=user.name,
            rows=outcome.rows,
            added=len(outcome.added),
            changed=len(outcome.changed),
            removed=len(outcome.removed),
        )
        return _preview_page(
            request, kind, upload_id, stored.file_name, stored.user_name, outcome, state="done"
        )

    return handler


def cancel(kind: Kind) -> Handler:
    """POST {path}/uploads/{id}/cancel: forget the upload; nothing else changes."""

    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        upload_id = int(request.match_info["id"])
        done = await cancel_upload(request.app[keys.POOL], upload_id, kind.name)
        log.info("console.csv_cancelled", kind=kind.name, upload_id=upload_id, cancelled=done)
        if done:
            return _done_page(request, kind, "cancelled", 200)
        return _done_page(request, kind, "upload_done", 409)

    return handler


def _done_page(request: web.Request, kind: Kind, message: str, status: int) -> web.Response:
    return render(request, "upload_done.html", status=status, kind=kind, message=message)


def setup_uploads(app: web.Application) -> None:
    """Register the registry and officials pages and their uploads."""
    app.router.add_get("/console/registry", registry_page)
    app.router.add_get("/console/officials", officials_page)
    app.router.add_get(JOB_ORDERS.path, job_orders_page)
    for kind in (REGISTRY, OFFICIALS, JOB_ORDERS):
        app.router.add_post(f"{kind.path}/upload", upload(kind))
        app.router.add_get(kind.path + r"/uploads/{id:\d{1,18}}", preview(kind))
        app.router.add_post(kind.path + r"/uploads/{id:\d{1,18}}/apply", apply(kind))
        app.router.add_post(kind.path + r"/uploads/{id:\d{1,18}}/cancel", cancel(kind))
