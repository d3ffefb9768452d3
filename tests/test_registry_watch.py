"""A running gateway picks up registry imports made elsewhere, without a restart."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import directory_watch, keys
from gateway.agency_index import AgencyIndex
from gateway.directory_watch import DirectoryWatcher
from storage.registry import Agency, replace_registry
from storage.sample import sample_agencies

NEW_AGENCY = Agency(
    licence_number="99000000000000001",
    name="PT Contoh Baru Sentosa Jaya",
    status="aktif",
    status_since=date(2026, 10, 1),
    valid_until=date(2099, 9, 30),
    head_office_city="Kota Serang",
    head_office_province="Banten",
    branch_cities=("Kabupaten Serang",),
    destination_countries=("Taiwan",),
    job_types=("operator pabrik",),
    source="Data contoh (fiktif)",
    snapshot_date=date(2026, 12, 1),
)
_sessions = itertools.count()


def index_of(client: TestClient) -> AgencyIndex:
    """The search index the running app answers from right now."""
    return client.server.app[keys.DIRECTORY].index


async def eventually(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Poll every 0.1 s until the condition holds or the time is up; whether it held."""
    for _ in range(int(timeout_s / 0.1)):
        if condition():
            return True
        await asyncio.sleep(0.1)
    return condition()


async def hop(client: TestClient, session_id: str, text: str) -> str:
    """Post one USSD hop as Africa's Talking does; the response body."""
    response = await client.post(
        "/at/ussd",
        data={
            "sessionId": session_id,
            "phoneNumber": "+6281234567890",
            "networkCode": "51010",
            "serviceCode": "*123*45#",
            "text": text,
        },
    )
    assert 200 == response.status
    return await response.text()


class TestDirectoryWatcher:
    async def test_new_agency_reaches_the_index(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An agency imported through another connection is searchable within 5 seconds."""
        assert index_of(client).get(NEW_AGENCY.licence_number) is None
        await replace_registry(conn, [*sample_agencies(), NEW_AGENCY], "update.csv")
        assert await eventually(lambda: index_of(client).get(NEW_AGENCY.licence_number) is not None)

    async def test_removed_agency_leaves_the_index(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """An agency dropped by an import is no longer found within 5 seconds."""
        sample = sample_agencies()
        await replace_registry(conn, sample[1:], "update.csv")
        assert await eventually(lambda: index_of(client).get(sample[0].licence_number) is None)

    async def test_changed_status_reaches_the_index(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """A revocation imported elsewhere shows in the index within 5 seconds."""
        sample = sample_agencies()
        revoked = replace(sample[0], status="dicabut", status_since=date(2026, 11, 20))
        await replace_registry(conn, [revoked, *sample[1:]], "update.csv")

        def is_revoked() -> bool:
            found = index_of(client).get(revoked.licence_number)
            return found is not None and "dicabut" == found.status

        assert await eventually(is_revoked)

    async def test_caller_finds_the_new_agency_by_name(
        self, client: TestClient, conn: asyncpg.Connection
    ) -> None:
        """After an import, a USSD search for the new agency's name shows its detail screen."""
        await replace_registry(conn, [*sample_agencies(), NEW_AGENCY], "update.csv")
        await eventually(lambda: index_of(client).get(NEW_AGENCY.licence_number) is not None)
        session = f"ATUid_watch_{next(_sessions)}"
        await hop(client, session, "")
        await hop(client, session, "1")
        body = await hop(client, session, f"1*{NEW_AGENCY.name}")
        assert body.startswith(f"CON {NEW_AGENCY.name}\nBERIZIN sampai 30-09-2099\n")
        assert "\nPusat: Kota Serang\n" in body


async def test_an_older_reload_never_replaces_a_newer_index(
    database_url: str, conn: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload that read the registry before an import and finishes after the import's own
    reload leaves the newer index in place (CI once saw a job order import vanish this way)."""
    read_first = asyncio.Event()
    release_first = asyncio.Event()
    real_load = directory_watch.load_agencies

    async def first_load_stalls(connection: asyncpg.Connection) -> list[Agency]:
        agencies = await real_load(connection)
        if not read_first.is_set():
            read_first.set()
            await release_first.wait()
        return agencies

    monkeypatch.setattr(directory_watch, "load_agencies", first_load_stalls)
    async with asyncpg.create_pool(database_url, min_size=1, max_size=3) as pool:
        watcher = DirectoryWatcher(pool, database_url)
        older = asyncio.ensure_future(watcher.load())
        await read_first.wait()  # it has read the registry as it was
        await replace_registry(conn, [*sample_agencies(), NEW_AGENCY], "update.csv")
        newer = asyncio.ensure_future(watcher.load())
        await asyncio.wait({newer}, timeout=2)  # without one load at a time, it is done by now
        release_first.set()
        await asyncio.gather(older, newer)
    assert watcher.index.get(NEW_AGENCY.licence_number) is not None
