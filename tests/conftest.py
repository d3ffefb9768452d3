"""
Shared fixtures: a real PostgreSQL (DATABASE_URL, else an embedded pgserver), a migrated template
database, a fresh copy of it per test, and the real app behind aiohttp's test client.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import structlog
from aiohttp.test_utils import TestClient

from gateway import logs
from gateway.app import create_app
from gateway.config import Config
from storage.embedded import embedded_database_url
from storage.migrate import migrate
from storage.registry import replace_registry
from storage.sample import sample_agencies

# Per process: test runs side by side (CI, an editor's runner) never drop each other's template.
TEMPLATE = f"hotline_test_template_{os.getpid()}"
# The embedded server lives in the repository's var/ (ignored by git), so a run does not depend
# on pytest's temporary directories, which a concurrent run may clean up.
EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "var" / "test-postgres"
_numbers = itertools.count()


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


@pytest.fixture
async def database_url(server_url: str, template_url: str) -> AsyncIterator[str]:
    """A fresh, migrated, empty database for one test."""
    name = f"hotline_test_{os.getpid()}_{next(_numbers)}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        yield with_database(server_url, name)
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


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
def config(tmp_path: Path) -> Config:
    """A test configuration; the database comes separately."""
    return Config(
        data_dir=tmp_path,
        log_format="json",
        db_timeout_s=2.0,
        secret="test-secret-0123456789",
        run_worker=False,  # tests that send drive the worker themselves, against tests' fake AT
    )


@pytest.fixture(autouse=True)
def _logging(config: Config) -> Iterator[None]:
    logs.configure(config, cache=False)
    yield
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def log_output(config: Config) -> io.StringIO:
    """Everything the app logs from here on, rendered as in production (JSON lines)."""
    stream = io.StringIO()
    logs.configure(config, stream=stream, cache=False)
    return stream


@pytest.fixture
async def client(sample_db: str, config: Config, aiohttp_client) -> TestClient:  # type: ignore[no-untyped-def]
    """The real app, on the sample registry, behind a real HTTP client."""
    return await aiohttp_client(create_app(config, sample_db))
