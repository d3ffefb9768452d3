"""
The `hotline` command: serve, migrate, and the registry import/export.

Each subcommand reads Config from the environment, resolves the database (DATABASE_URL or the
embedded server in HOTLINE_DATA_DIR) and exits non-zero with a clear message on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import TypeVar

import asyncpg
import structlog

from gateway import logs
from gateway.alerting import alert_text, use_wording
from gateway.app import check_serving, create_app, log_sms_disabled, make_sender
from gateway.config import Config, ConfigError
from gateway.console.auth import hash_password, new_password
from gateway.identity import Identity, local_secret
from gateway.outbox_worker import OutboxWorker
from gateway.phones import normalize
from gateway.serving import serve
from gateway.workers import (
    ConnectionBudget,
    connection_budget,
    parse_workers,
    pool_size_for,
    supervise,
)
from storage.accounts import create_account, reset_password, set_active, set_area, set_role
from storage.alerts import release_held
from storage.areas import REGENCY, checked_area
from storage.csv_files import formula_warnings
from storage.embedded import embedded_database_url
from storage.errors import CsvProblem, InvalidCsv, StorageError
from storage.job_orders import diff as job_orders_diff
from storage.job_orders import load_job_orders, parse_job_orders, replace_job_orders
from storage.migrate import migrate
from storage.officials import (
    PHONE_COLUMNS,
    DirectoryDiff,
    Official,
    directory_diff,
    format_officials,
    import_officials,
    load_officials,
    parse_officials,
)
from storage.outbox import forget_recipients, retry_dead, set_paused
from storage.regions import load_kecamatan
from storage.registry import (
    REMOVAL_LIMIT,
    Mode,
    RegistryDiff,
    RolledBack,
    TooManyRemoved,
    diff,
    load_agencies,
    merge,
    replace_registry,
    rollback_registry,
)
from storage.registry_csv import format_agencies, parse_agencies
from storage.sample import sample_agencies, sample_job_orders, sample_officials_csv
from storage.tips import CATEGORIES, Purged, purge, read_tip
from storage.users import ROLES, add_api_token, add_user, list_users
from ussd_menus import catalogue, destinations
from ussd_menus.receipts import parse_receipt, show_receipt

log = structlog.get_logger()
T = TypeVar("T")
# `serve --demo` listens on loopback unless HOST or --host says otherwise: the demo has fictional
# data, its simulator and local gateway, and may run without a callback token.
DEMO_HOST = "127.0.0.1"
AREA_HELP = (
    "what the account sees: '*' (the regency, default), a kecamatan code (36.04.13)"
    " or a desa code (36.04.13.2001)"
)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `hotline` console script."""
    args = _parser().parse_args(argv)
    try:
        config = Config.from_env(os.environ)
    except ConfigError as error:
        sys.exit(str(error))
    if getattr(args, "host", None):
        config = replace(config, host=args.host)
    elif getattr(args, "demo", False) and not os.environ.get("HOST", "").strip():
        config = replace(config, host=DEMO_HOST)
    if getattr(args, "port", None):
        config = replace(config, port=args.port)
    # The service logs to stdout; other commands keep stdout for their own output (a CSV export).
    logs.configure(config, stream=sys.stdout if args.run is _serve else sys.stderr)
    try:
        args.run(config, args)
    except (InvalidCsv, StorageError, OSError) as error:
        sys.exit(f"error: {error}")
    except ConfigError as error:
        sys.exit(str(error))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service (migrates first)")
    serve.add_argument(
        "--host", help="listen address (default: HOST, else 0.0.0.0, or 127.0.0.1 with --demo)"
    )
    serve.add_argument("--port", type=int, help="listen port (default: PORT or 8000)")
    serve.add_argument("--demo", action="store_true", help="load sample data into an empty db")
    serve.add_argument(
        "--workers",
        type=parse_workers,
        default=1,
        metavar="N",
        help="serving processes sharing the port, or 'auto' for one per core (default 1;"
        " README 'Several processes on one host')",
    )
    # A worker of `serve --workers N`, started by its parent (gateway/workers.py): not for people.
    serve.add_argument("--worker-process", type=int, metavar="INDEX", help=argparse.SUPPRESS)
    serve.set_defaults(run=_serve)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)

    commands.add_parser(
        "purge", help="apply tip retention (HOTLINE_TIP_RETENTION_DAYS) now"
    ).set_defaults(run=_purge)

    tip = commands.add_parser("tip", help="read a tip (the read is audited)")
    tip_commands = tip.add_subparsers(required=True, metavar="ACTION")
    show = tip_commands.add_parser("show", help="print a tip's content")
    show.add_argument("receipt")
    show.add_argument("--reader", required=True, help="who is reading (written to the audit log)")
    show.add_argument("--purpose", default="", help="why (written to the audit log)")
    show.set_defaults(run=_tip_show)

    user = commands.add_parser("user", help="console accounts (every change is audited)")
    user_commands = user.add_subparsers(required=True, metavar="ACTION")
    add = user_commands.add_parser("add", help="create an account (password prompted)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--area", default=REGENCY, help=AREA_HELP)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    add.set_defaults(run=_user_add)
    user_commands.add_parser("list", help="every account").set_defaults(run=_user_list)
    for action, run, help_text in (
        ("disable", _user_disable, "disable an account (ends its sessions)"),
        ("enable", _user_enable, "enable a disabled account"),
        ("reset-password", _user_reset_password, "set a new random password, printed once"),
    ):
        command = user_commands.add_parser(action, help=help_text)
        command.add_argument("name")
        command.set_defaults(run=run)
    set_role_command = user_commands.add_parser("set-role", help="change an account's role")
    set_role_command.add_argument("name")
    set_role_command.add_argument("role", choices=ROLES)
    set_role_command.set_defaults(run=_user_set_role)
    set_area_command = user_commands.add_parser("set-area", help="change an account's area")
    set_area_command.add_argument("name")
    set_area_command.add_argument("area", help=AREA_HELP)
    set_area_command.set_defaults(run=_user_set_area)

    token = commands.add_parser("api-token", help="tokens for the JSON API")
    token_commands = token.add_subparsers(required=True, metavar="ACTION")
    token_add = token_commands.add_parser("add", help="create a token and print it once")
    token_add.add_argument("label")
    token_add.add_argument("--area", default=REGENCY, help=AREA_HELP)
    token_add.set_defaults(run=_api_token_add)

    commands.add_parser(
        "worker", help="send queued SMS and escalate alerts (beside `serve`, or several)"
    ).set_defaults(run=_worker)

    officials = commands.add_parser("officials", help="officials directory")
    officials_commands = officials.add_subparsers(required=True, metavar="ACTION")
    load_officials_cmd = officials_commands.add_parser(
        "import", help="update the directory from a CSV (missing officials are deactivated)"
    )
    load_officials_cmd.add_argument("file", type=Path)
    load_officials_cmd.add_argument("--dry-run", action="store_true")
    load_officials_cmd.set_defaults(run=_officials_import)
    dump_officials = officials_commands.add_parser("export", help="write the directory as CSV")
    dump_officials.add_argument("-o", "--output", type=Path)
    dump_officials.set_defaults(run=_officials_export)

    outbox = commands.add_parser("outbox", help="outbound SMS")
    outbox_commands = outbox.add_subparsers(required=True, metavar="ACTION")
    retry = outbox_commands.add_parser("retry", help="send a dead letter or failed SMS again")
    retry.add_argument("id", type=int)
    retry.set_defaults(run=_outbox_retry)
    outbox_commands.add_parser(
        "resume", help="lift an account-level pause after fixing its cause"
    ).set_defaults(run=_outbox_resume)

    alerts = commands.add_parser("alerts", help="alerts to officials")
    alerts_commands = alerts.add_subparsers(required=True, metavar="ACTION")
    alerts_commands.add_parser(
        "release", help="send the alerts held during a tip flood (after checking the tips)"
    ).set_defaults(run=_alerts_release)

    registry = commands.add_parser("registry", help="agency registry")
    registry_commands = registry.add_subparsers(required=True, metavar="ACTION")
    load = registry_commands.add_parser(
        "import",
        help="import a CSV snapshot (refused when it removes more than 10%% without --replace)",
    )
    load.add_argument("file", type=Path)
    load.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    kind = load.add_mutually_exclusive_group()
    kind.add_argument(
        "--replace",
        action="store_true",
        help="the file is the full registry: remove every agency missing from it, however many",
    )
    kind.add_argument(
        "--update", action="store_true", help="only add and change the file's rows, remove none"
    )
    load.set_defaults(run=_registry_import)
    registry_commands.add_parser(
        "rollback", help="restore the registry as it was before the last import"
    ).set_defaults(run=_registry_rollback)
    orders = registry_commands.add_parser(
        "import-job-orders", help="replace every job order with a CSV file's"
    )
    orders.add_argument("file", type=Path)
    orders.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    orders.set_defaults(run=_job_orders_import)
    dump = registry_commands.add_parser("export", help="write the registry as CSV")
    dump.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    dump.set_defaults(run=_registry_export)

    content = commands.add_parser("content", help="what residents read: texts, facts, hotlines")
    content_commands = content.add_subparsers(required=True, metavar="ACTION")
    content_commands.add_parser(
        "check", help="check every catalogue and list every fact with its source and date"
    ).set_defaults(run=_content_check)
    return parser


def read_csv_file(path: Path) -> str:
    """A CSV file's text; a file that is not UTF-8 stops with a message saying so."""
    try:
        return path.read_text("utf-8")
    except UnicodeDecodeError:
        sys.exit(f"error: {path} is not UTF-8 text; save it as 'CSV UTF-8' and try again")


def database_url(config: Config) -> str:
    """DATABASE_URL, or the embedded server's (started on demand)."""
    return config.database_url or embedded_database_url(config.data_dir)


async def _connect(config: Config) -> asyncpg.Connection:
    conn = await asyncpg.connect(database_url(config))
    await migrate(conn)
    return conn


def _on_database(config: Config, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """Run `work` on a migrated connection of its own, closed afterwards."""

    async def run() -> T:
        conn = await _connect(config)
        try:
            return await work(conn)
        finally:
            await conn.close()

    return asyncio.run(run())


def _write(output: Path | None, text: str) -> None:
    """An export, to a file or to standard output."""
    if output:
        output.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)


def _warn(path: Path, warnings: Sequence[CsvProblem]) -> None:
    """Cells of an imported file a spreadsheet would run, on standard error (stdout stays clean)."""
    for warning in warnings:
        print(f"warning: {path}: {warning}", file=sys.stderr)


def _print_changes(headline: str, changes: Sequence[tuple[str, Sequence[str]]]) -> None:
    """What an import did (or would do), by name."""
    print(headline)
    for label, names in changes:
        print(f"{label}: {len(names)}" + "".join(f"\n  {name}" for name in names))


def _migrate(config: Config, args: argparse.Namespace) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(database_url(config))
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m}" for m in applied))

    asyncio.run(run())


def _with_secret(config: Config) -> Config:
    if config.secret is not None:
        return config
    if config.database_url:
        sys.exit(
            "HOTLINE_SECRET must be set when DATABASE_URL is set: it keys the reporters'"
            " pseudonyms and must stay the same across restarts and processes."
        )
    return replace(config, secret=local_secret(config.secret_file.expanduser(), config.data_dir))


def _serve(config: Config, args: argparse.Namespace) -> None:
    if args.worker_process is not None:
        _serve_worker(config, args)
        return
    config = _with_secret(config)
    config = replace(config, demo=args.demo)  # the phone simulator at /simulator
    check_serving(config)
    url = database_url(config)
    workers: int = args.workers

    async def prepare() -> ConnectionBudget | None:
        conn = await _connect(config)
        try:
            if args.demo:
                await load_demo(conn, config)
            return await connection_budget(conn) if workers > 1 else None
        finally:
            await conn.close()

    budget = asyncio.run(prepare())
    if budget is not None:
        pool_size = pool_size_for(workers, config.db_pool_size, budget)
        if pool_size < config.db_pool_size:
            log.warning(
                "db.pool_size_lowered",
                configured=config.db_pool_size,
                per_worker=pool_size,
                workers=workers,
                max_connections=budget.max_connections,
            )
        sys.exit(supervise(config, url, workers, pool_size, args.demo))
    log.info("http.serving", host=config.host, port=config.port, demo=args.demo)
    asyncio.run(serve(create_app(config, url), config))


def _serve_worker(config: Config, args: argparse.Namespace) -> None:
    """One worker of `serve --workers N`: its parent migrated, loaded the demo, and put the
    database's URL, the secret and this worker's pool size in its environment."""
    url = config.database_url
    assert url is not None, "a worker's parent sets DATABASE_URL"
    config = replace(config, demo=args.demo, workers=args.workers, worker=args.worker_process)
    check_serving(config)
    log.info("http.worker_serving", worker=args.worker_process, pid=os.getpid())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(create_app(config, url), config, parent=os.getppid()))


def _purge(config: Config, args: argparse.Namespace) -> None:
    async def work(conn: asyncpg.Connection) -> tuple[int, Purged]:
        forgotten = await forget_recipients(conn, config.dead_letter_hours)
        return forgotten, await purge(conn, config.tip_retention_days, config.draft_minutes)

    forgotten, purged = _on_database(config, work)
    print(
        f"retention {config.tip_retention_days} days: {purged.tips} tips anonymised,"
        f" {purged.messages} messages, {purged.drafts} drafts, {purged.inbound} inbound SMS,"
        f" {purged.outbox} outbound SMS cleared; {forgotten} residents' numbers forgotten"
    )


def _tip_show(config: Config, args: argparse.Namespace) -> None:
    receipt = parse_receipt(args.receipt)
    if receipt is None:
        sys.exit("error: not a valid receipt code (check digit mismatch)")
    tip = _on_database(config, lambda conn: read_tip(conn, receipt, args.reader, args.purpose))
    if tip is None:
        sys.exit(f"error: no tip {show_receipt(receipt)}")
    for field_name, value in asdict(tip).items():
        print(f"{field_name}: {'' if value is None else value}")


def _user_add(config: Config, args: argparse.Namespace) -> None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            sys.exit("error: the passwords differ")
    if len(password) < 10:
        sys.exit("error: a password needs at least 10 characters")

    password_hash = hash_password(password)
    name = args.name.lower()

    async def work(conn: asyncpg.Connection) -> str:
        area = await checked_area(conn, args.area)
        await create_account(conn, name, args.role, password_hash, area.code, _actor())
        return area.code

    area = _on_database(config, work)
    print(f"user {name} added as {args.role}, area {area}")


def _actor() -> str:
    """Who changes accounts from the command line, for the audit."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _user_list(config: Config, args: argparse.Namespace) -> None:
    for user in _on_database(config, list_users):
        state = "active" if user.active else "disabled"
        print(f"{user.name}\t{user.role}\t{user.area}\t{state}")


def _user_disable(config: Config, args: argparse.Namespace) -> None:
    _on_database(config, lambda conn: set_active(conn, args.name, False, _actor()))
    print(f"user {args.name.lower()} disabled")


def _user_enable(config: Config, args: argparse.Namespace) -> None:
    _on_database(config, lambda conn: set_active(conn, args.name, True, _actor()))
    print(f"user {args.name.lower()} enabled")


def _user_reset_password(config: Config, args: argparse.Namespace) -> None:
    password = new_password()
    password_hash = hash_password(password)
    _on_database(config, lambda conn: reset_password(conn, args.name, password_hash, _actor()))
    print(f"new password for {args.name.lower()} (shown once): {password}")


def _user_set_role(config: Config, args: argparse.Namespace) -> None:
    _on_database(config, lambda conn: set_role(conn, args.name, args.role, _actor()))
    print(f"user {args.name.lower()} is now {args.role}")


def _user_set_area(config: Config, args: argparse.Namespace) -> None:
    async def work(conn: asyncpg.Connection) -> str:
        area = await checked_area(conn, args.area)
        await set_area(conn, args.name, area.code, _actor())
        return area.code

    area = _on_database(config, work)
    print(f"user {args.name.lower()} now sees area {area}")


def _api_token_add(config: Config, args: argparse.Namespace) -> None:
    token = secrets.token_urlsafe(32)

    async def work(conn: asyncpg.Connection) -> None:
        area = await checked_area(conn, args.area)
        await add_api_token(conn, token, args.label, area.code)

    _on_database(config, work)
    print(token)


def _worker(config: Config, args: argparse.Namespace) -> None:
    config = _with_secret(config)
    url = database_url(config)
    if not config.sms_enabled:
        log_sms_disabled()
        sys.exit(
            "error: no SMS account (AT_USERNAME and AT_API_KEY, or the INFOBIP_ settings):"
            " a worker has nothing to send"
        )
    use_wording(config)  # the worker words escalation alerts

    async def run() -> None:
        conn = await _connect(config)
        await conn.close()
        pool = await asyncpg.create_pool(url, min_size=1, max_size=config.db_pool_size)
        assert config.secret is not None
        sender = make_sender(config)
        worker = OutboxWorker(pool, sender, Identity(config.secret), config, alert_text)
        log.info("sms.worker_started", provider=config.sms_provider, local=sender.is_local)
        try:
            await worker.run()
        finally:
            await sender.close()
            await pool.close()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


async def _parse_officials_file(conn: asyncpg.Connection, path: Path) -> list[Official]:
    codes = {k.code for k in await load_kecamatan(conn)}
    text = read_csv_file(path)
    officials = parse_officials(text, normalize, codes, CATEGORIES)
    _warn(path, formula_warnings(text, PHONE_COLUMNS))
    return officials


def _officials_import(config: Config, args: argparse.Namespace) -> None:
    async def work(conn: asyncpg.Connection) -> tuple[list[Official], DirectoryDiff]:
        officials = await _parse_officials_file(conn, args.file)
        if args.dry_run:
            return officials, directory_diff(await load_officials(conn), officials)
        return officials, await import_officials(conn, officials, sample=False)

    officials, changes = _on_database(config, work)
    verb = "would import" if args.dry_run else "imported"
    _print_changes(
        f"{verb} {len(officials)} officials from {args.file}",
        [
            ("added", changes.added),
            ("changed", changes.changed),
            ("deactivated", changes.deactivated),
        ],
    )


def _officials_export(config: Config, args: argparse.Namespace) -> None:
    async def work(conn: asyncpg.Connection) -> str:
        return format_officials(await load_officials(conn))

    _write(args.output, _on_database(config, work))


def _outbox_retry(config: Config, args: argparse.Namespace) -> None:
    if not _on_database(config, lambda conn: retry_dead(conn, args.id, "CLI")):
        sys.exit(f"error: SMS {args.id} is not a dead letter or failed message")
    print(f"SMS {args.id} queued again")


def _outbox_resume(config: Config, args: argparse.Namespace) -> None:
    _on_database(config, lambda conn: set_paused(conn, False, ""))
    print("sending resumed")


def _alerts_release(config: Config, args: argparse.Namespace) -> None:
    released = _on_database(config, release_held)
    log.info("alerts.held_released", alerts=released)
    print(f"{released} held alerts queued for sending")


async def load_demo(conn: asyncpg.Connection, config: Config) -> None:
    """The fictional sample data `serve --demo` shows, each part only where that part is empty:
    registry, job orders, officials, console accounts."""
    if not await load_agencies(conn):
        changes = await replace_registry(conn, sample_agencies(), "sample:agencies.csv")
        log.info("demo.sample_registry_loaded", agencies=len(changes.added))
    if not await load_job_orders(conn):
        orders = sample_job_orders()
        await replace_job_orders(conn, orders, "sample:job_orders.csv", sample=True)
        log.info("demo.sample_job_orders_loaded", job_orders=len(orders))
    if not await load_officials(conn):
        codes = {k.code for k in await load_kecamatan(conn)}
        sample = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
        await import_officials(conn, sample, sample=True)
        log.info("demo.sample_officials_loaded", officials=len(sample))
    if not await list_users(conn):
        await _demo_accounts(conn, config)


async def _demo_accounts(conn: asyncpg.Connection, config: Config) -> None:
    """One console account per role for the demo, with fresh passwords printed once to standard
    error (never through the structured log; but when stderr is not a terminal, whatever
    collects it keeps them: the README says so); a database that has accounts already gets
    none."""
    lines = [f"demo console: http://127.0.0.1:{config.port}/console  (phone simulator: /simulator)"]
    for role in ROLES:
        password = secrets.token_urlsafe(9)
        await add_user(conn, f"demo-{role}", role, hash_password(password))
        lines.append(f"  user demo-{role:<13} password {password}")
    print("\n".join(lines), file=sys.stderr)


def _registry_import(config: Config, args: argparse.Namespace) -> None:
    """Import a registry file: a full snapshot (refused when it would remove more than 10%
    unless --replace says the removals are meant) or, with --update, added and changed rows."""
    text = read_csv_file(args.file)
    agencies = parse_agencies(text)
    _warn(args.file, formula_warnings(text))
    mode: Mode = "update" if args.update else "replace"

    async def work(conn: asyncpg.Connection) -> RegistryDiff:
        if args.dry_run:
            current = await load_agencies(conn)
            return diff(current, merge(current, agencies) if args.update else agencies)
        return await replace_registry(
            conn, agencies, args.file.name, by=_actor(), mode=mode, allow_removals=args.replace
        )

    try:
        changes = _on_database(config, work)
    except TooManyRemoved as refused:
        gone = refused.changes
        sys.exit(
            f"error: {args.file} would remove {len(gone.removed)} of the {gone.before} agencies"
            f" in the registry (more than {REMOVAL_LIMIT:.0%}); nothing was changed.\n"
            "If the file is the full registry from the source, run again with --replace;"
            " to add and change its rows only, use --update."
        )
    verb = "would import" if args.dry_run else "imported"
    _print_changes(
        f"{verb} {len(agencies)} agencies from {args.file}",
        [
            ("added", changes.added),
            ("changed", _with_fields(changes)),
            ("removed", changes.removed),
        ],
    )
    if changes.removes_too_many and args.dry_run and not args.replace:
        print(f"note: removes more than {REMOVAL_LIMIT:.0%}; importing it needs --replace")


def _with_fields(changes: RegistryDiff) -> list[str]:
    """Changed names, each with the fields that changed."""
    fields = changes.changed_fields or ("",) * len(changes.changed)
    return [
        f"{name} ({what})" if what else name
        for name, what in zip(changes.changed, fields, strict=True)
    ]


def _registry_rollback(config: Config, args: argparse.Namespace) -> None:
    """Restore the registry as it was before the last import (not yet rolled back)."""

    async def work(conn: asyncpg.Connection) -> RolledBack | None:
        return await rollback_registry(conn, _actor())

    done = _on_database(config, work)
    if done is None:
        sys.exit("error: no import to roll back")
    changes = done.changes
    _print_changes(
        f"rolled back import {done.import_id} ({done.file_name})",
        [
            ("added", changes.added),
            ("changed", _with_fields(changes)),
            ("removed", changes.removed),
        ],
    )


def _snapshot_import(
    config: Config,
    args: argparse.Namespace,
    noun: str,
    parse: Callable[[str], list[T]],
    load: Callable[[asyncpg.Connection], Awaitable[list[T]]],
    compare: Callable[[list[T], list[T]], RegistryDiff],
    replace_all: Callable[[asyncpg.Connection, list[T], str], Awaitable[RegistryDiff]],
) -> None:
    """Import a file that replaces a whole table (the registry, the job orders), or with
    --dry-run only say what it would change."""
    text = read_csv_file(args.file)
    items = parse(text)
    _warn(args.file, formula_warnings(text))

    async def work(conn: asyncpg.Connection) -> RegistryDiff:
        if args.dry_run:
            return compare(await load(conn), items)
        return await replace_all(conn, items, args.file.name)

    changes = _on_database(config, work)
    verb = "would import" if args.dry_run else "imported"
    _print_changes(
        f"{verb} {len(items)} {noun} from {args.file}",
        [("added", changes.added), ("changed", changes.changed), ("removed", changes.removed)],
    )


def _job_orders_import(config: Config, args: argparse.Namespace) -> None:
    _snapshot_import(
        config,
        args,
        "job orders",
        parse_job_orders,
        load_job_orders,
        job_orders_diff,
        replace_job_orders,
    )


def _content_check(config: Config, args: argparse.Namespace) -> None:
    """Every language, fact and hotline as the service would use them (the operator's
    HOTLINE_HOTLINES_FILE and HOTLINE_SMS_CATALOGUE applied); exits non-zero naming each
    problem, as start-up would."""
    use_wording(config)
    content = catalogue.active()
    print("languages:")
    for language in content.languages:
        draft = " (draft, awaiting review)" if language.draft else ""
        print(
            f"  {language.code}  {language.name}{draft}: {len(content.texts[language.code])} texts"
        )
    print("hotlines:")
    for hotline in content.hotlines:
        print(f"  {hotline.key}: {hotline.number} ({hotline.name('id')}, {hotline.purpose('id')})")
        print(f"    source: {hotline.source}; verified on {hotline.verified_on}")
        print(f"    from: {hotline.origin}")
    print("facts:")
    for fact in content.facts:
        print(f"  {fact.key}: {fact.value('id') or fact.claim}")
        print(f"    source: {fact.source}; verified on {fact.verified_on}")
    print("bans:")
    for ban in destinations.active().bans:
        print(f"  {ban.key}: {', '.join(ban.jobs)} in {', '.join(ban.countries)} since {ban.since}")
        print(f"    source: {ban.source}; verified on {ban.verified_on}")
    print("content ok")


def _registry_export(config: Config, args: argparse.Namespace) -> None:
    async def work(conn: asyncpg.Connection) -> str:
        return format_agencies(await load_agencies(conn))

    _write(args.output, _on_database(config, work))
