"""
Shared fixtures: a real PostgreSQL (DATABASE_URL, else an embedded pgserver), a migrated template
database, a fresh copy of it per test, and the real app behind aiohttp's test client.
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from yarl import URL

from gateway import keys, logs
from gateway.app import WORKER, create_app
from gateway.config import Config
from gateway.outbox_worker import OutboxWorker
from gateway.phones import normalize
from gateway.providers.africastalking.fake import FAKE_AT, FakeAtState, create_fake_at
from gateway.providers.registry import callback_prefixes
from storage.embedded import embedded_database_url
from storage.migrate import migrate
from storage.officials import import_officials, parse_officials
from storage.regions import load_kecamatan
from storage.registry import replace_registry
from storage.sample import sample_agencies, sample_officials_csv
from storage.tips import CATEGORIES
from tests.console_helpers import PONTANG, TIRTAYASA, file_test_tip, load_sample_officials
from tests.databases import WorkingDatabase

# Per process: test runs side by side (CI, an editor's runner) never drop each other's template.
TEMPLATE = f"hotline_test_template_{os.getpid()}"
# The embedded server lives in the repository's var/ (ignored by git), so a run does not depend
# on pytest's temporary directories, which a concurrent run may clean up.
EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "var" / "test-postgres"
# The config fixture's HOTLINE_CALLBACK_TOKEN: outside the demo no app starts without one.
CALLBACK_TOKEN = "test-callback-token-0123456789"


def with_database(url: str, name: str) -> str:
    """The same server URL, pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture(scope="session")
def server_url() -> str:
    """An administrative URL of the PostgreSQL server the tests use."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    return embedded_database_url(EMBEDDED_DIR)


@pytest.fixture(scope="session")
async def template_url(server_url: str) -> AsyncIterator[str]:
    """A migrated database that every test database is copied from."""
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    url = with_database(server_url, TEMPLATE)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield url
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture(scope="session")
async def working_database(server_url: str, template_url: str) -> AsyncIterator[WorkingDatabase]:
    """This process's database for its tests, cleaned between them (tests/databases.py)."""
    name = f"hotline_test_{os.getpid()}"
    working = WorkingDatabase(server_url, name, TEMPLATE, with_database(server_url, name))
    await working.create()
    yield working
    await working.drop()


@pytest.fixture
async def database_url(working_database: WorkingDatabase) -> AsyncIterator[str]:
    """A migrated, empty database for one test: exactly what the migrations produce."""
    yield working_database.url
    await working_database.clean()


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test's database."""
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


@pytest.fixture
async def sample_db(database_url: str, conn: asyncpg.Connection) -> str:
    """The test database with the bundled sample registry loaded."""
    await replace_registry(conn, sample_agencies(), "sample")
    return database_url


@pytest.fixture
async def two_tips(conn: asyncpg.Connection) -> tuple[str, str]:
    """With the sample officials, one tip filed today in Pontang and one in Tirtayasa, each with
    its alerts to officials; their receipts."""
    await load_sample_officials(conn)
    return (
        await file_test_tip(conn, "ussd:two-tips-pontang", kecamatan_code=PONTANG),
        await file_test_tip(conn, "ussd:two-tips-tirtayasa", kecamatan_code=TIRTAYASA),
    )


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A test configuration; the database comes separately."""
    return Config(
        data_dir=tmp_path,
        log_format="json",
        db_timeout_s=2.0,
        secret="test-secret-0123456789",
        callback_token=CALLBACK_TOKEN,
        run_worker=False,  # tests that send drive the worker themselves, against tests' fake AT
        cookie_secure=False,  # the test client speaks plain HTTP and keeps no Secure cookie
    )


@pytest.fixture(autouse=True)
def _logging(config: Config) -> Iterator[None]:
    logs.configure(config, cache=False)
    yield
    logs.clear()


@pytest.fixture
def log_output(config: Config) -> io.StringIO:
    """Everything the app logs from here on, rendered as in production (JSON lines)."""
    stream = io.StringIO()
    logs.configure(config, stream=stream, cache=False)
    return stream


class AtTestClient(TestClient):  # type: ignore[type-arg]
    """aiohttp's test client, calling every provider's callbacks (`/at/...`, `/infobip/...`) as
    the providers' configured URLs do: with the app's (first) callback token in the query, unless
    the request names its own `token` or the test turns `sign_callbacks` off (to show what
    happens without one)."""

    sign_callbacks = True

    async def _request(self, method: str, path: str | URL, **kwargs: object) -> ClientResponse:
        params = kwargs.get("params")
        app = self.app
        if (
            self.sign_callbacks
            and app is not None
            and str(path).startswith(callback_prefixes())
            and not (isinstance(params, dict) and "token" in params)
        ):
            tokens = app[keys.CONFIG].callback_tokens
            if tokens:
                kwargs["params"] = {
                    **(params if isinstance(params, dict) else {}),
                    "token": tokens[0],
                }
        response: ClientResponse = await super()._request(method, path, **kwargs)
        return response


@pytest.fixture
def aiohttp_client_cls() -> type[TestClient]:  # type: ignore[type-arg]
    """Every `aiohttp_client` is an AtTestClient."""
    return AtTestClient


@pytest.fixture
async def client(sample_db: str, config: Config, aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    """The real app, on the sample registry, behind a real HTTP client."""
    return await aiohttp_client(create_app(config, sample_db))


@dataclass
class Gateway:
    """The service wired to a running fake Africa's Talking, and the fake's state."""

    client: TestClient
    fake: FakeAtState
    fake_url: str

    @property
    def worker(self) -> OutboxWorker:
        """The service's outbox worker (tests drive it: HOTLINE_WORKER is off)."""
        return self.client.server.app[WORKER]

    @property
    def delivery_url(self) -> str:
        """Where AT posts delivery reports: the service's callback, with its token."""
        return str(self.client.make_url("/at/sms/delivery").with_query(token=CALLBACK_TOKEN))


FAKE_API_KEY = "at-test-key-0123456789"


@pytest.fixture
async def gateway(sample_db: str, config: Config, aiohttp_server, aiohttp_client) -> Gateway:  # type: ignore[no-untyped-def]
    """The service on the sample registry and sample officials, sending to a fake AT that
    posts delivery reports back to it."""
    connection = await asyncpg.connect(sample_db)
    try:
        codes = {k.code for k in await load_kecamatan(connection)}
        officials = parse_officials(sample_officials_csv(), normalize, codes, CATEGORIES)
        await import_officials(connection, officials, sample=True)
    finally:
        await connection.close()
    fake_app = create_fake_at(FAKE_API_KEY, None)
    # AT's SDK sends from a thread pool that keeps its connection alive: the fake's shutdown
    # need not wait the default 60 s for it to go idle.
    fake_server = await aiohttp_server(fake_app, shutdown_timeout=1.0)
    fake_url = str(fake_server.make_url("/"))
    settings = replace(
        config,
        at_username="sandbox",
        at_api_key=FAKE_API_KEY,
        at_api_url=fake_url,
        retry_base_s=0.05,
        escalation_check_s=0.1,
    )
    client = await aiohttp_client(create_app(settings, sample_db))
    state = fake_app[FAKE_AT]
    state.report_delay_s = 0.01
    wired = Gateway(client, state, fake_url)
    state.report_url = wired.delivery_url
    return wired
