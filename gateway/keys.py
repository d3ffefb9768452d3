"""
Typed keys for everything the app keeps in its state; string keys are refused by our tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg
from aiohttp import web

from gateway.config import Config

if TYPE_CHECKING:
    from gateway.agency_index import RegistryWatcher
    from gateway.identity import Identity
    from gateway.metrics import Metrics
    from gateway.outbox_worker import OutboxWorker
    from gateway.ussd import UssdService

CONFIG = web.AppKey("config", Config)
DATABASE_URL = web.AppKey("database_url", str)
POOL = web.AppKey("pool", asyncpg.Pool)
REGISTRY: web.AppKey[RegistryWatcher] = web.AppKey("registry")
USSD: web.AppKey[UssdService] = web.AppKey("ussd")
IDENTITY: web.AppKey[Identity] = web.AppKey("identity")
WORKER: web.AppKey[OutboxWorker] = web.AppKey("worker")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
