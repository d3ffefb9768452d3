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

Every kind goes the same way, and every upload says what it is: a full snapshot from the source
("replace": what is missing goes, removals listed first, in red, with a count) or an update of
some rows ("update": add and change only). A snapshot that would remove more than
REMOVAL_LIMIT needs the admin to type the number of removals before it applies. The preview says
how the file was read (separator, byte-order mark, date form: storage.csv_files.detect) and which
fields of each changed row change. An applied registry import is a version (who, when, the
registry it replaced); the registry page restores the previous one (storage.registry rollback).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from aiohttp import web

from gateway import keys
from gateway.console import flash
from gateway.console.auth import ROLES_ADMIN, ROLES_ALL, SESSION_KEY, Handler, require
from gateway.console.registry_search import registry_search
from gateway.console.render import render
from gateway.phones import normalize
from gateway.ussd import WIB
from storage.csv_files import Detected, detect, formula_warnings
from storage.db import Conn
from storage.errors import CsvProblem, InvalidCsv
from storage.job_orders import (
    JobOrder,
    job_orders_date,
    load_job_orders,
    parse_job_orders,
    replace_job_orders,
)
from storage.job_orders import diff as job_orders_diff
from storage.officials import (
    PHONE_COLUMNS,
    DirectoryDiff,
    Official,
    directory_diff,
    import_officials,
    load_officials,
    parse_officials,
)
from storage.regions import load_kecamatan
from storage.registry import (
    REMOVAL_LIMIT,
    Mode,
    RegistryDiff,
    TooManyRemoved,
    as_mode,
    diff,
    load_agencies,
    merge,
    registry_date,
    registry_snapshot,
    registry_versions,
    replace_registry,
    rollback_registry,
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
    (and the cells a spreadsheet would run as formulas, as warnings); `before` is how many rows
    there are now, `changed_fields` which fields of each changed row change."""

    problems: tuple[CsvProblem, ...] = ()
    rows: int = 0
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    warnings: tuple[CsvProblem, ...] = ()
    changed_fields: tuple[str, ...] = ()
    before: int = 0
    detected: Detected | None = None

    @property
    def changes(self) -> tuple[tuple[str, str], ...]:
        """Each changed name with its changed fields."""
        fields = self.changed_fields or ("",) * len(self.changed)
        return tuple(zip(self.changed, fields, strict=True))

    @property
    def needs_confirmation(self) -> bool:
        """Whether it removes more than REMOVAL_LIMIT of what is there now."""
        return bool(self.removed) and len(self.removed) > REMOVAL_LIMIT * self.before


def _preview_of(changes: RegistryDiff, rows: int, text: str, warnings: list[CsvProblem]) -> Preview:
    return Preview(
        (),
        rows,
        changes.added,
        changes.changed,
        changes.removed,
        tuple(warnings),
        changes.changed_fields,
        changes.before,
        detect(text),
    )


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of upload: where its pages are and how its files are checked and applied."""

    name: str
    path: str
    removed_label: str
    preview: Callable[[Conn, str, Mode], Awaitable[Preview]]
    apply: Callable[[Conn, str, str, Mode, str], Awaitable[Preview]]


async def _parse_officials(conn: Conn, text: str) -> list[Official]:
    codes = {k.code for k in await load_kecamatan(conn)}
    return parse_officials(text, normalize, codes, CATEGORIES)


async def _preview_registry(conn: Conn, text: str, mode: Mode) -> Preview:
    agencies = parse_agencies(text)
    current = await load_agencies(conn)
    changes = diff(current, merge(current, agencies) if mode == "update" else agencies)
    return _preview_of(changes, len(agencies), text, formula_warnings(text))


async def _apply_registry(conn: Conn, text: str, file_name: str, mode: Mode, by: str) -> Preview:
    agencies = parse_agencies(text)
    changes = await replace_registry(conn, agencies, file_name, by=by, mode=mode)
    return _preview_of(changes, len(agencies), text, [])


def _officials_preview(changes: DirectoryDiff, rows: int, text: str, warn: bool) -> Preview:
    warnings = formula_warnings(text, PHONE_COLUMNS) if warn else []
    return Preview(
        (),
        rows,
        changes.added,
        changes.changed,
        changes.deactivated,
        tuple(warnings),
        changes.changed_fields,
        changes.before,
        detect(text),
    )


async def _preview_officials(conn: Conn, text: str, mode: Mode) -> Preview:
    officials = await _parse_officials(conn, text)
    changes = directory_diff(await load_officials(conn), officials, mode)
    return _officials_preview(changes, len(officials), text, warn=True)


async def _apply_officials(conn: Conn, text: str, file_name: str, mode: Mode, by: str) -> Preview:
    officials = await _parse_officials(conn, text)
    changes = await import_officials(conn, officials, sample=False, mode=mode)
    return _officials_preview(changes, len(officials), text, warn=False)


async def _job_orders_of(conn: Conn, text: str, mode: Mode) -> list[JobOrder]:
    orders = parse_job_orders(text)
    if mode == "update":
        merged = {o.key: o for o in await load_job_orders(conn)}
        merged.update((o.key, o) for o in orders)
        return list(merged.values())
    return orders


async def _preview_job_orders(conn: Conn, text: str, mode: Mode) -> Preview:
    orders = await _job_orders_of(conn, text, mode)
    changes = job_orders_diff(await load_job_orders(conn), orders)
    return _preview_of(changes, len(parse_job_orders(text)), text, formula_warnings(text))


async def _apply_job_orders(conn: Conn, text: str, file_name: str, mode: Mode, by: str) -> Preview:
    # The job orders of an update are merged here, inside the apply transaction.
    orders = await _job_orders_of(conn, text, mode)
    changes = await replace_job_orders(conn, orders, file_name)
    return _preview_of(changes, len(parse_job_orders(text)), text, [])


REGISTRY = Kind("registry", "/console/registry", "removed", _preview_registry, _apply_registry)
JOB_ORDERS = Kind(
    "job_orders", "/console/job-orders", "removed", _preview_job_orders, _apply_job_orders
)
OFFICIALS = Kind(
    "officials", "/console/officials", "deactivated", _preview_officials, _apply_officials
)


@require(ROLES_ALL)
async def registry_page(request: web.Request) -> web.Response:
    """GET /console/registry: the agencies matching the search (name, licence number, state in
    words from the one computation, Agency.effective_status), with the snapshot's data date and
    source; admins also get the upload form, the import history and the rollback button."""
    return await _registry(request, "", 200)


async def _registry(request: web.Request, problem: str, status: int) -> web.Response:
    pool = request.app[keys.POOL]
    message = request.query.get("done", "")
    today = datetime.now(WIB).date()
    return render(
        request,
        "registry.html",
        status=status,
        today=today,
        snapshot=await registry_snapshot(pool),
        versions=await registry_versions(pool),
        data_date=await registry_date(pool),
        message=message if message in ("rollback_done", "rollback_none") else "",
        problem=problem,
        **registry_search(request, await load_agencies(pool), today),
    )


@require(ROLES_ADMIN)
async def registry_rollback(request: web.Request) -> web.StreamResponse:
    """POST /console/registry/rollback: restore the registry before the last import, then
    back to the registry page (a refresh does not roll back again)."""
    user = request[SESSION_KEY].user
    async with request.app[keys.POOL].acquire() as conn:
        done = await rollback_registry(conn, f"console:{user.name}")
    log.info(
        "console.registry_rolled_back",
        user=user.name,
        import_id=done.import_id if done else None,
    )
    raise web.HTTPSeeOther(
        "/console/registry?done=" + ("rollback_done" if done else "rollback_none")
    )


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
        mode = as_mode(str(form.get("mode", "")))
        upload_id = await save_upload(
            request.app[keys.POOL], kind.name, field.filename[:MAX_FILE_NAME], text, user.id, mode
        )
        log.info("console.csv_uploaded", kind=kind.name, upload_id=upload_id, user=user.name)
        raise web.HTTPSeeOther(f"{kind.path}/uploads/{upload_id}")

    return handler


async def _form_again(request: web.Request, kind: Kind, problem: str) -> web.Response:
    pool = request.app[keys.POOL]
    if kind is REGISTRY:
        return await _registry(request, problem, 400)
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
                    outcome = await kind.preview(conn, stored.content, as_mode(stored.mode))
                except InvalidCsv as error:
                    outcome = Preview(problems=tuple(error.problems))
        state = "applied" if stored.applied_at else "pending"
        applied = flash.take(request).get("applied")
        if isinstance(applied, Preview):  # just applied (POST/redirect/GET): what it changed
            outcome, state = applied, "done"
        return _preview_page(
            request,
            kind,
            stored.id,
            stored.file_name,
            stored.user_name,
            outcome,
            state,
            mode=stored.mode,
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
    mode: str = "replace",
    problem: str = "",
) -> web.Response:
    return render(
        request,
        "upload_preview.html",
        status=status,
        kind=kind,
        mode=mode,
        problem=problem,
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
        form = await request.post()
        typed = str(form.get("confirm", "")).strip()
        async with request.app[keys.POOL].acquire() as conn:
            try:
                async with conn.transaction():
                    stored = await claim_upload(conn, upload_id, kind.name)
                    if stored is None:
                        return _done_page(request, kind, "upload_done", 409)
                    mode = as_mode(stored.mode)
                    # Checked in the same transaction as the import: what it would remove now.
                    planned = await kind.preview(conn, stored.content, mode)
                    if planned.needs_confirmation and typed != str(len(planned.removed)):
                        raise TooManyRemoved(RegistryDiff((), (), planned.removed))
                    outcome = await kind.apply(
                        conn, stored.content, stored.file_name, mode, f"console:{user.name}"
                    )
            except (InvalidCsv, TooManyRemoved) as error:  # the claim was rolled back
                again = await upload_by_id(conn, upload_id, kind.name)
                assert again is not None
                if isinstance(error, InvalidCsv):
                    shown, problem = Preview(problems=tuple(error.problems)), ""
                else:
                    shown = await kind.preview(conn, again.content, as_mode(again.mode))
                    problem = "confirm_removals_wrong"
                return _preview_page(
                    request,
                    kind,
                    upload_id,
                    again.file_name,
                    again.user_name,
                    shown,
                    state="pending",
                    status=400,
                    mode=again.mode,
                    problem=problem,
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
        note = flash.put(request, applied=outcome)
        raise web.HTTPSeeOther(f"{kind.path}/uploads/{upload_id}?note={note}")

    return handler


def cancel(kind: Kind) -> Handler:
    """POST {path}/uploads/{id}/cancel: forget the upload; nothing else changes."""

    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        upload_id = int(request.match_info["id"])
        done = await cancel_upload(request.app[keys.POOL], upload_id, kind.name)
        log.info("console.csv_cancelled", kind=kind.name, upload_id=upload_id, cancelled=done)
        if done:
            raise web.HTTPSeeOther(f"{kind.path}/uploads/cancelled")
        return _done_page(request, kind, "upload_done", 409)

    return handler


def cancelled(kind: Kind) -> Handler:
    """GET {path}/uploads/cancelled: where a cancel redirects (a refresh posts nothing)."""

    @require(ROLES_ADMIN)
    async def handler(request: web.Request) -> web.StreamResponse:
        return _done_page(request, kind, "cancelled", 200)

    return handler


def _done_page(request: web.Request, kind: Kind, message: str, status: int) -> web.Response:
    return render(request, "upload_done.html", status=status, kind=kind, message=message)


def setup_uploads(app: web.Application) -> None:
    """Register the registry and officials pages and their uploads."""
    app.router.add_get("/console/registry", registry_page)
    app.router.add_post("/console/registry/rollback", registry_rollback)
    app.router.add_get("/console/officials", officials_page)
    app.router.add_get(JOB_ORDERS.path, job_orders_page)
    for kind in (REGISTRY, OFFICIALS, JOB_ORDERS):
        app.router.add_post(f"{kind.path}/upload", upload(kind))
        app.router.add_get(kind.path + r"/uploads/{id:\d{1,18}}", preview(kind))
        app.router.add_get(kind.path + "/uploads/cancelled", cancelled(kind))
        app.router.add_post(kind.path + r"/uploads/{id:\d{1,18}}/apply", apply(kind))
        app.router.add_post(kind.path + r"/uploads/{id:\d{1,18}}/cancel", cancel(kind))
