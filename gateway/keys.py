"""
Typed keys for what the app keeps in its state; string keys are refused by our tests.

This module imports nothing of the gateway that could import it back: a key for a service whose
module reads the app's state lives next to that service instead (gateway.metrics.METRICS,
gateway.outbox_worker.WORKER, gateway.ussd.USSD), so there is no import circle.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web

from gateway.config import Config
from gateway.directory_watch import DirectoryWatcher
from gateway.identity import Identity
from ussd_menus.places import Gazetteer

CONFIG = web.AppKey("config", Config)
POOL = web.AppKey("pool", asyncpg.Pool)
DIRECTORY = web.AppKey("directory", DirectoryWatcher)
IDENTITY = web.AppKey("identity", Identity)
# The kecamatan and desa names SMS tips are searched for (ussd_menus.places).
PLACES = web.AppKey("places", Gazetteer)
