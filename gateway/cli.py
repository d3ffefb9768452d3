"""
The `hotline` command: serve, migrate, and the registry import/export.

Each subcommand reads Config from the environment, resolves the database (DATABASE_URL or the
embedded server in HOTLINE_DATA_DIR) and exits non-zero with a clear message on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import asyncpg
import structlog
from aiohttp import web

from gateway import logs
from gateway.app import create_app
from gateway.config import Config, ConfigError
from gateway.identity import local_secret
from storage.embedded import embedded_database_url
from storage.errors import InvalidCsv, StorageError
from storage.migrate import migrate
from storage.registry import diff, load_agencies, replace_registry
from storage.registry_csv import format_agencies, parse_agencies
from storage.sample import sample_agencies
from storage.tips import purge, read_tip
from ussd_menus.receipts import parse_receipt, show_receipt

log = structlog.get_logger()


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `hotline` console script."""
    args = _parser().parse_args(argv)
    try:
        config = Config.from_env(os.environ)
    except ConfigError as error:
        sys.exit(str(error))
    if getattr(args, "host", None):
        config = replace(config, host=args.host)
    if getattr(args, "port", None):
        config = replace(config, port=args.port)
    # The service logs to stdout; other commands keep stdout for their own output (a CSV export).
    logs.configure(config, stream=sys.stdout if args.run is _serve else sys.stderr)
    try:
        args.run(config, args)
    except (InvalidCsv, StorageError, OSError) as error:
        sys.exit(f"error: {error}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web service (migrates first)")
    serve.add_argument("--host", help="listen address (default: HOST or 0.0.0.0)")
    serve.add_argument("--port", type=int, help="listen port (default: PORT or 8000)")
    serve.add_argument("--demo", action="store_true", help="load sample data into an empty db")
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

    registry = commands.add_parser("registry", help="agency registry")
    registry_commands = registry.add_subparsers(required=True, metavar="ACTION")
    load = registry_commands.add_parser("import", help="replace the registry with a CSV snapshot")
    load.add_argument("file", type=Path)
    load.add_argument("--dry-run", action="store_true", help="validate and show the changes only")
    load.set_defaults(run=_registry_import)
    dump = registry_commands.add_parser("export", help="write the registry as CSV")
    dump.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    dump.set_defaults(run=_registry_export)
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


def _migrate(config: Config, args: argparse.Namespace) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(database_url(config))
        try:
            applied = await migrate(conn)
        finally:
            await conn.close()
        print(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m}" for m in applied))

    asyncio.run(run())


def _serve(config: Config, args: argparse.Namespace) -> None:
    if config.secret is None:
        if config.database_url:
            sys.exit(
                "HOTLINE_SECRET must be set when DATABASE_URL is set: it keys the reporters'"
                " pseudonyms and must stay the same across restarts and processes."
            )
        config = replace(config, secret=local_secret(config.data_dir))
    url = database_url(config)

    async def prepare() -> None:
        conn = await _connect(config)
        try:
            if args.demo and not await load_agencies(conn):
                changes = await replace_registry(conn, sample_agencies(), "sample:agencies.csv")
                log.info("demo.sample_registry_loaded", agencies=len(changes.added))
        finally:
            await conn.close()

    asyncio.run(prepare())
    log.info("http.serving", host=config.host, port=config.port, demo=args.demo)
    web.run_app(
        create_app(config, url),
        host=config.host,
        port=config.port,
        access_log=None,
        print=None,
        handle_signals=True,
    )


def _purge(config: Config, args: argparse.Namespace) -> None:
    async def run() -> None:
        conn = await _connect(config)
        try:
            purged = await purge(conn, config.tip_retention_days, config.draft_minutes)
        finally:
            await conn.close()
        print(
            f"retention {config.tip_retention_days} days: {purged.tips} tips anonymised,"
            f" {purged.messages} messages, {purged.drafts} drafts, {purged.inbound} inbound SMS,"
            f" {purged.outbox} outbound SMS cleared"
        )

    asyncio.run(run())


def _tip_show(config: Config, args: argparse.Namespace) -> None:
    receipt = parse_receipt(args.receipt)
    if receipt is None:
        sys.exit("error: not a valid receipt code (check digit mismatch)")

    async def run() -> None:
        conn = await _connect(config)
        try:
            tip = await read_tip(conn, receipt, args.reader, args.purpose)
        finally:
            await conn.close()
        if tip is None:
            sys.exit(f"error: no tip {show_receipt(receipt)}")
        for field_name, value in asdict(tip).items():
            print(f"{field_name}: {'' if value is None else value}")

    asyncio.run(run())


def _registry_import(config: Config, args: argparse.Namespace) -> None:
    agencies = parse_agencies(read_csv_file(args.file))

    async def run() -> None:
        conn = await _connect(config)
        try:
            if args.dry_run:
                changes = diff(await load_agencies(conn), agencies)
            else:
                changes = await replace_registry(conn, agencies, args.file.name)
        finally:
            await conn.close()
        verb = "would import" if args.dry_run else "imported"
        print(f"{verb} {len(agencies)} agencies from {args.file}")
        for label, names in (
            ("added", changes.added),
            ("changed", changes.changed),
            ("removed", changes.removed),
        ):
            print(f"{label}: {len(names)}" + "".join(f"\n  {name}" for name in names))

    asyncio.run(run())


def _registry_export(config: Config, args: argparse.Namespace) -> None:
    async def run() -> str:
        conn = await _connect(config)
        try:
            return format_agencies(await load_agencies(conn))
        finally:
            await conn.close()

    text = asyncio.run(run())
    if args.output:
        args.output.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
