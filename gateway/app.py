"""
The application factory: the one place where config, database, menus and routes are wired.

Nothing runs at import time; `create_app` is used by `hotline serve`, the tests and the benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import asdict

import asyncpg
import structlog
from aiohttp import web

from gateway import keys
from gateway.alerting import alert_text, use_wording
from gateway.api import setup_api
from gateway.config import Config, ConfigError
from gateway.console.setup import setup_console
from gateway.core.messages import Sender
from gateway.deadline import Deadline
from gateway.directory_watch import DirectoryWatcher
from gateway.health import healthz, readyz
from gateway.identity import Identity
from gateway.metrics import METRICS, Metrics, metrics_endpoint
from gateway.middleware import request_context
from gateway.outbox_worker import OutboxWorker
from gateway.providers.africastalking.ussd import ussd_callback
from gateway.providers.africastalking.ussd_events import ussd_events_callback
from gateway.providers.provider import LOCAL_FAKE, LocalGateway, Provider
from gateway.providers.registry import provider_for
from gateway.public.pages import setup_public
from gateway.simulator import setup_simulator
from gateway.usecases.tips import TipRules
from gateway.ussd import USSD, UssdHops, UssdMenus, menu_desa
from gateway.ussd_desk import HopDesk
from gateway.ussd_sessions import SessionPaths
from storage.db import DATABASE_ERRORS, keep_session
from storage.migrants import purge_migrants
from storage.outbox import forget_recipients
from storage.regions import load_kecamatan
from storage.tips import purge
from storage.ussd_sessions import purge_free_text
from ussd_menus.model import Kecamatan
from ussd_menus.places import Gazetteer
from ussd_menus.tree import build_machine

log = structlog.get_logger()
HOUSEKEEPING_INTERVAL_S = 3600
# A hung server must not hold a connection attempt or a statement forever (asyncpg's defaults:
# 60 s to connect, no statement limit). Hops give up sooner (HOTLINE_DB_TIMEOUT_S); these bound
# the work they leave behind, and the worker's and console's queries.
DB_CONNECT_TIMEOUT_S = 10.0
DB_COMMAND_TIMEOUT_S = 30.0
# The app's outbox worker (when SMS is configured); declared here, where it is made.
WORKER = web.AppKey("worker", OutboxWorker)
# Connections one serving process holds besides its two pools: the directory watcher's LISTEN
# (the registry and the officials' numbers on one connection).
LISTEN_CONNECTIONS = 1


def state_pool_size(pool_size: int) -> int:
    """The session-state pool's size (spans, input paths) beside a main pool of `pool_size`."""
    return max(2, pool_size // 2)


def connections_per_process(pool_size: int) -> int:
    """The most PostgreSQL connections one serving process opens with HOTLINE_DB_POOL_SIZE =
    `pool_size`: its main pool, its state pool and the LISTEN connection (`hotline serve
    --workers` divides max_connections by this; keep it in step with `services` below)."""
    return pool_size + state_pool_size(pool_size) + LISTEN_CONNECTIONS


def check_serving(config: Config) -> None:
    """Refuse to serve without what protects reporters and officials (ConfigError)."""
    if config.secret is None:
        raise ConfigError(["HOTLINE_SECRET: required to serve (pseudonymises reporters)"])
    if not config.demo and not config.callback_tokens:
        raise ConfigError(
            [
                "HOTLINE_CALLBACK_TOKEN: required outside --demo (without it anyone who reaches"
                " the provider callbacks (/at/..., /infobip/...) can post as the provider, and as"
                " any official)"
            ]
        )
    provider_for(config)  # a provider name that is not registered stops here
    if config.sms_provider == "infobip" and not config.demo and config.infobip_missing():
        missing = ", ".join(config.infobip_missing())
        raise ConfigError([f"{missing}: required with HOTLINE_SMS_PROVIDER=infobip"])


def create_app(config: Config, database_url: str) -> web.Application:
    """Build the app; the menu tree is checked at start-up, so a broken menu never serves."""
    check_serving(config)
    use_wording(config)  # a wrong operator SMS catalogue stops start-up (ConfigError)
    assert config.secret is not None
    identity = Identity(config.secret)
    provider = provider_for(config)
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[request_context])
    app[keys.CONFIG] = config
    app[METRICS] = Metrics()  # this app's own registry, served at /metrics

    async def services(app: web.Application) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=config.db_pool_size,
            timeout=DB_CONNECT_TIMEOUT_S,
            command_timeout=DB_COMMAND_TIMEOUT_S,
            reset=keep_session,
        )
        state_pool = await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=state_pool_size(config.db_pool_size),
            timeout=DB_CONNECT_TIMEOUT_S,
            command_timeout=DB_COMMAND_TIMEOUT_S,
            server_settings={"synchronous_commit": "off"},
            reset=keep_session,
        )
        kecamatan = tuple(Kecamatan(k.code, k.name) for k in await load_kecamatan(pool))
        desa = menu_desa()
        machine = build_machine(kecamatan, desa)
        watcher = DirectoryWatcher(pool, database_url)
        await watcher.load()
        app[keys.POOL] = pool
        app[keys.DIRECTORY] = watcher
        app[keys.IDENTITY] = identity
        app[keys.PLACES] = Gazetteer(kecamatan, desa)
        deadline = Deadline(config.db_timeout_s)
        app[USSD] = UssdHops(
            UssdMenus(machine, lambda: watcher.index, kecamatan, config.ussd_service_code, desa),
            SessionPaths(pool, state_pool, deadline),
            HopDesk(
                pool,
                state_pool,
                identity,
                TipRules.from_config(config),
                app[METRICS],
                deadline,
                replies_per_hour=config.sms_replies_per_hour,
                service_code=config.ussd_service_code,
                agencies=lambda: watcher.index,
                official_phones=lambda: watcher.official_phones,
            ),
            identity,
        )
        # Every background task runs in every worker of `serve --workers N`, each safe to run in
        # several processes at once: the directory watcher must (each worker holds its own index
        # and officials' numbers); housekeeping's purges are idempotent UPDATE/DELETEs by age; the
        # outbox worker claims rows with FOR UPDATE SKIP LOCKED and a lease, escalates under an
        # advisory lock, queues the REKAP digest through a per-official claim (ON CONFLICT DO
        # NOTHING), and the hourly SMS budget and broadcast pacing are counted in PostgreSQL, not
        # in a process.
        tasks = [
            asyncio.create_task(watcher.run(), name="directory-watcher"),
            asyncio.create_task(_housekeeping(pool, config), name="housekeeping"),
        ]
        sender = make_sender(config) if config.sms_enabled else None
        if sender is None:
            log_sms_disabled()
        else:
            app[WORKER] = OutboxWorker(
                pool, sender, identity, config, alert_text, metrics=app[METRICS]
            )
            if config.run_worker:
                tasks.append(asyncio.create_task(app[WORKER].run(), name="outbox-worker"))
        yield
        await app[USSD].desk.drain()  # agency checks the hops did not wait for
        if sender is not None:
            await sender.close()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await state_pool.close()
        await pool.close()

    app.cleanup_ctx.append(services)
    app.router.add_post("/at/ussd", ussd_callback)
    app.router.add_post("/at/ussd/events", ussd_events_callback)
    provider.routes(app)  # the SMS provider's callbacks
    setup_console(app)
    setup_public(app)
    if config.demo:
        setup_simulator(app)  # the phone simulator at /simulator, only in `serve --demo`
    if config.local_gateway:
        # The demo without a provider account: SMS go to the provider's fake, mounted here
        # (recipients in clear: never mounted outside the demo); it posts delivery reports back
        # like the provider does.
        local = local_gateway(config, provider)
        app[LOCAL_FAKE] = provider.fake(local.report_url)
        app.add_subapp(provider.local_mount, app[LOCAL_FAKE])
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)  # no auth: firewall it
    setup_api(app)
    return app


def local_gateway(config: Config, provider: Provider) -> LocalGateway:
    """Where the demo's fake is mounted, and the delivery callback it posts reports to."""
    origin = f"http://127.0.0.1:{config.port}"
    tokens = config.callback_tokens
    token = f"?token={tokens[0]}" if tokens else ""
    return LocalGateway(
        base_url=origin + provider.local_mount,
        report_url=origin + provider.delivery_path + token,
    )


def log_sms_disabled() -> None:
    """Say once at start-up that nothing will be sent, and why."""
    log.warning(
        "sms.disabled",
        reason="no SMS account: set AT_USERNAME and AT_API_KEY, or HOTLINE_SMS_PROVIDER=infobip"
        " and the INFOBIP_ settings (the local gateway is demo-only)",
        effect="USSD works; replies and alerts stay queued in the outbox until SMS is configured",
    )


def make_sender(config: Config) -> Sender:
    """The configured provider's sender (its local gateway in the demo without an account).
    Raises ConfigError when SMS is disabled (no account outside the demo)."""
    provider = provider_for(config)
    local = local_gateway(config, provider) if config.local_gateway else None
    return provider.make_sender(config, local)


async def _housekeeping(pool: asyncpg.Pool, config: Config) -> None:
    """Hourly: drop free-text boundaries of finished sessions, residents' numbers no longer
    needed for a retry, and apply tip retention and prospective migrants' retention."""
    while True:
        try:
            removed = await purge_free_text(pool, older_than_hours=24)
            forgotten = await forget_recipients(pool, config.dead_letter_hours)
            async with pool.acquire() as conn:
                purged = await purge(conn, config.tip_retention_days, config.draft_minutes)
                migrants = await purge_migrants(conn, config.migrant_retention_days)
            log.info(
                "housekeeping.purged",
                free_text=removed,
                recipients_forgotten=forgotten,
                migrants=migrants,
                **asdict(purged),
            )
        except DATABASE_ERRORS as error:
            log.warning("housekeeping.failed", error=str(error))
        await asyncio.sleep(HOUSEKEEPING_INTERVAL_S)
