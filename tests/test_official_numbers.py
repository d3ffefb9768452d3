"""
Who is an official on USSD (issue 15): every process holds the active officials' numbers in
memory (gateway.directory_watch), so a resident's session never asks PostgreSQL, an official's
number is still confirmed there, and a change to the directory by plain SQL reaches the running
app within moments. Real HTTP, real PostgreSQL, the sample officials.
"""

from __future__ import annotations

import asyncio
import itertools

import asyncpg
import pytest

import gateway.ussd_desk
from gateway import keys
from gateway.directory_watch import DirectoryWatcher
from gateway.ussd import USSD
from tests.conftest import Gateway
from tests.test_alert_routing import KADES_PONTANG
from tests.test_registry_watch import eventually
from tests.ussd_client import RESIDENT, hop

OFFICIALS_MENU = "6 Menu petugas"
NEW_OFFICIAL = "+6281299990001"
_sessions = itertools.count()


def watcher(gateway: Gateway) -> DirectoryWatcher:
    """The running app's directory watcher."""
    return gateway.client.server.app[keys.DIRECTORY]


async def main_menu(gateway: Gateway, phone: str) -> str:
    """The first screen of a new session from this number."""
    return await hop(gateway.client, "", f"numbers-{next(_sessions)}", phone)


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The numbers the desk looks up in the officials table (the real query still runs)."""
    seen: list[str] = []
    real = gateway.ussd_desk.official_by_phone

    async def counted(conn: asyncpg.Pool, phone: str) -> object:
        seen.append(phone)
        return await real(conn, phone)

    monkeypatch.setattr(gateway.ussd_desk, "official_by_phone", counted)
    return seen


async def test_a_residents_session_asks_the_database_nothing(
    gateway: Gateway, lookups: list[str]
) -> None:
    """A number no official has gets the residents' menu without an officials lookup."""
    screen = await main_menu(gateway, RESIDENT)
    assert screen.startswith("CON") and OFFICIALS_MENU not in screen
    assert lookups == []


async def test_an_officials_number_is_confirmed_in_the_database(
    gateway: Gateway, lookups: list[str]
) -> None:
    """A number held as an official's is looked up once, and gets the officials' menu."""
    assert OFFICIALS_MENU in await main_menu(gateway, KADES_PONTANG)
    assert lookups == [KADES_PONTANG]


async def test_memory_alone_never_makes_an_official(gateway: Gateway) -> None:
    """A number memory holds but the directory does not (stale memory) gets the residents' menu."""
    held = watcher(gateway)
    held.official_phones = held.official_phones | {NEW_OFFICIAL}
    assert OFFICIALS_MENU not in await main_menu(gateway, NEW_OFFICIAL)


async def test_a_deactivated_official_is_a_resident_at_once(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """Deactivating an official takes effect on the next session, before memory reloads."""
    await conn.execute("UPDATE officials SET active = false WHERE phone = $1", KADES_PONTANG)
    assert OFFICIALS_MENU not in await main_menu(gateway, KADES_PONTANG)


async def test_an_official_added_by_sql_is_known_within_moments(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """A row inserted by plain SQL reaches the running app's memory, then its menus."""
    assert OFFICIALS_MENU not in await main_menu(gateway, NEW_OFFICIAL)
    await conn.execute(
        "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories, tier)"
        " VALUES ('Petugas Contoh Baru', 'Staf', $1, 'Disnakertrans', '{*}', '{*}', 3)",
        NEW_OFFICIAL,
    )
    assert await eventually(lambda: NEW_OFFICIAL in watcher(gateway).official_phones)
    assert OFFICIALS_MENU in await main_menu(gateway, NEW_OFFICIAL)


async def test_a_residents_first_screen_is_served_from_the_answer_cache(gateway: Gateway) -> None:
    """The first resident's first screen is cached; the next resident's is read from it."""
    answers = gateway.client.server.app[USSD].answers
    first = await main_menu(gateway, RESIDENT)
    cached = len(answers)
    assert cached >= 1
    assert await main_menu(gateway, "+6281234567891") == first
    assert len(answers) == cached


@pytest.mark.parametrize("written", ["+620{}", "0{}", "62{}"])
async def test_an_officials_number_in_another_form_is_known(gateway: Gateway, written: str) -> None:
    """A gateway sending the official's number with a trunk 0 or without '+' still finds them."""
    national = KADES_PONTANG.removeprefix("+62")
    assert OFFICIALS_MENU in await main_menu(gateway, written.format(national))


async def test_a_notification_meeting_shutdown_does_not_keep_the_watcher(database_url: str) -> None:
    """A change notified just as the app stops: the watcher still ends when cancelled (a
    cancellation swallowed there left the app's shutdown waiting forever)."""
    async with asyncpg.create_pool(database_url, min_size=1, max_size=2) as pool:
        for _ in range(10):
            watching = DirectoryWatcher(pool, database_url)
            task = asyncio.ensure_future(watching.run())
            await asyncio.sleep(0.2)  # connected, loaded, waiting for a notification
            watching._notified(None, 0, "officials_changed", "")
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=2)
            assert done == {task}
