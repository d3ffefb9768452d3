"""
Faults: PostgreSQL stopped and restarted, the gateway process killed mid-submission, several
gateway processes serving one session. Each test is bounded in time and uses loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pgserver
import pytest
from aiohttp.test_utils import TestClient
from pgserver._commands import pg_ctl

from gateway.app import create_app
from gateway.config import Config
from storage.migrate import migrate
from storage.registry import replace_registry
from storage.sample import sample_agencies
from tests.processes import free_port, service_env, wait_ready
from ussd_menus.receipts import check_digit

HOTLINE = str(Path(sys.executable).parent / "hotline")
OFFICIALS = Path(__file__).resolve().parent.parent / "storage" / "sample" / "officials.csv"
STORY = "Calo datang ke rumah, minta uang 5 juta, katanya visa ziarah"
TO_CONFIRM = ["2", "2", "pontang", "1", "1", "1", STORY]
RECEIPT = "12345678" + check_digit("12345678")  # well-formed, so the lookup asks PostgreSQL


class OwnPostgres:
    """A PostgreSQL of the test's own, which the test may stop and start."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(root / "pg", cleanup_mode="delete")  # type: ignore[attr-defined]
        self.url = self.server.get_uri()

    def stop(self) -> None:
        pg_ctl(["-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def own_postgres(tmp_path: Path) -> Iterator[OwnPostgres]:
    """A separate, stoppable PostgreSQL with the schema and the sample registry."""
    database = OwnPostgres(Path("/tmp") / f"hl-fault-{os.getpid()}-{tmp_path.name[-20:]}")  # noqa: S108 - short socket path

    async def prepare() -> None:
        conn = await asyncpg.connect(database.url)
        try:
            await migrate(conn)
            await replace_registry(conn, sample_agencies(), "sample")
        finally:
            await conn.close()

    asyncio.run(prepare())
    yield database
    database.server.cleanup()
    shutil.rmtree(database.server.pgdata.parent, ignore_errors=True)


async def hop(
    client: TestClient, session: str, inputs: list[str], phone: str = "+6281200000011"
) -> str:
    """One hop with the path of these inputs."""
    form = {"sessionId": session, "phoneNumber": phone, "text": "*".join(inputs)}
    response = await client.post("/at/ussd", data=form)
    assert 200 == response.status
    return await response.text()


async def walk(client: TestClient, session: str, inputs: list[str]) -> str:
    """Every hop of a session up to these inputs; the last answer."""
    body = await hop(client, session, [])
    for n in range(1, len(inputs) + 1):
        body = await hop(client, session, inputs[:n])
    return body


class TestDatabaseOutage:
    async def test_callers_get_a_polite_end_and_service_recovers(
        self, own_postgres: OwnPostgres, config: Config, aiohttp_client: Any
    ) -> None:
        """While PostgreSQL is down a hop that needs it ends politely; afterwards all works."""
        client = await aiohttp_client(
            create_app(replace(config, db_timeout_s=1.0), own_postgres.url)
        )
        assert (await walk(client, "before", ["2"])).startswith("CON Nomor HP tidak disimpan")
        own_postgres.stop()
        during = await walk(client, "during", ["2"])
        assert during.startswith("END Maaf, layanan sedang gangguan")
        assert 503 == (await client.get("/readyz")).status
        own_postgres.start()
        deadline = time.monotonic() + 15
        after = ""
        while time.monotonic() < deadline and not after.startswith("CON Nomor HP"):
            after = await walk(client, f"after-{time.monotonic()}", ["2"])
            await asyncio.sleep(0.2)
        assert after.startswith("CON Nomor HP tidak disimpan")

    async def test_a_tip_sent_during_the_outage_leaves_nothing_half_written(
        self, own_postgres: OwnPostgres, config: Config, aiohttp_client: Any
    ) -> None:
        """A final hop that fails during the outage files nothing at all: no tip, SMS or alert."""
        client = await aiohttp_client(
            create_app(replace(config, db_timeout_s=1.0), own_postgres.url)
        )
        assert "Kirim laporan" in await walk(client, "cut", TO_CONFIRM)
        own_postgres.stop()
        final = await hop(client, "cut", [*TO_CONFIRM, "1"])
        own_postgres.start()
        assert final.startswith("END Maaf")
        conn = await asyncpg.connect(own_postgres.url)
        try:
            counts = await conn.fetchrow(
                "SELECT (SELECT count(*) FROM tips) AS tips, (SELECT count(*) FROM outbox) AS sms,"
                " (SELECT count(*) FROM alerts) AS alerts"
            )
        finally:
            await conn.close()
        assert (0, 0, 0) == tuple(counts)


Served = tuple[asyncio.subprocess.Process, str]


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    """`hotline serve` as a real process on the test database, with the sample officials."""
    env = service_env(database_url, tmp_path, free_port())
    load = await asyncio.create_subprocess_exec(
        HOTLINE, "officials", "import", str(OFFICIALS), env=env, stdout=asyncio.subprocess.DEVNULL
    )
    assert 0 == await load.wait()
    process = await asyncio.create_subprocess_exec(
        HOTLINE, "serve", "--demo", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{env['PORT']}"
    await wait_ready(url)
    yield process, url
    if process.returncode is None:
        process.kill()
    await process.wait()


class TestGatewayKilled:
    async def test_every_receipt_shown_is_in_the_database_with_its_alerts(
        self, served: Served, database_url: str
    ) -> None:
        """SIGKILL while tips are submitted: each receipt a caller saw has its tip and alerts."""
        process, url = served
        sessions = [f"kill-{i}" for i in range(40)]
        async with aiohttp.ClientSession() as http:

            async def post(session: str, inputs: list[str], phone: str) -> str:
                form = {"sessionId": session, "phoneNumber": phone, "text": "*".join(inputs)}
                async with http.post(f"{url}/at/ussd", data=form) as response:
                    return await response.text()

            for i, session in enumerate(sessions):
                for n in range(len(TO_CONFIRM) + 1):
                    await post(session, TO_CONFIRM[:n], f"+62812000{i:05d}")

            async def final(i: int, session: str) -> str | None:
                await asyncio.sleep(i * 0.01)
                try:
                    return await post(session, [*TO_CONFIRM, "1"], f"+62812000{i:05d}")
                except aiohttp.ClientError:
                    return None

            async def killer() -> None:
                await asyncio.sleep(0.2)
                process.send_signal(signal.SIGKILL)

            answers = await asyncio.gather(*(final(i, s) for i, s in enumerate(sessions)), killer())
        found = [re.search(r"(\d{4})-(\d{4})-(\d)", a) for a in answers if a]
        shown = ["".join(m.groups()) for m in found if m]
        assert shown, "no receipt was shown before the kill: the test proves nothing"
        conn = await asyncpg.connect(database_url)
        try:
            stored = {r["receipt"] for r in await conn.fetch("SELECT receipt FROM tips")}
            without_alerts = await conn.fetchval(
                "SELECT count(*) FROM tips t"
                " WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.tip_id = t.id)"
            )
            alerts_without_sms = await conn.fetchval(
                "SELECT count(*) FROM alerts WHERE outbox_id IS NULL"
            )
        finally:
            await conn.close()
        assert set(shown) <= stored
        assert (0, 0) == (without_alerts, alerts_without_sms)


class TestSeveralGateways:
    async def test_alternating_processes_answer_like_one(
        self, config: Config, sample_db: str, aiohttp_client: Any
    ) -> None:
        """Hops of one session alternating between two gateways give the screens one would."""
        one = await aiohttp_client(create_app(config, sample_db))
        first = await aiohttp_client(create_app(config, sample_db))
        second = await aiohttp_client(create_app(config, sample_db))
        journeys = [
            ["1", "contoh", "2", "0", "00", "4", "1", "99"],
            ["1", "zz*top", "1", "Contoh*Samudra", "0"],
            ["5", "2", "1", "sampel bahari", "00", "2", "2", "pontang", "1", "1"],
        ]
        for number, inputs in enumerate(journeys):
            alone, shared = [], []
            for n in range(len(inputs) + 1):
                alone.append(await hop(one, f"alone-{number}", inputs[:n], "+6281200000021"))
                gateway = first if n % 2 == 0 else second
                shared.append(await hop(gateway, f"shared-{number}", inputs[:n], "+6281200000022"))
            assert alone == shared


def _children(parent: int) -> list[int]:
    """The pids of a process's direct children (read from /proc: Linux only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # the process ended meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                found.append(int(entry.name))
    return found


class Frozen:
    """SIGSTOP on a PostgreSQL's postmaster and every process it forked: connections stay open
    and nothing answers, as when the database host hangs. thaw() resumes them all."""

    def __init__(self, database: OwnPostgres) -> None:
        pid_file = database.server.pgdata / "postmaster.pid"
        self.postmaster = int(pid_file.read_text().split()[0])
        self.stopped: list[int] = []

    def freeze(self) -> None:
        os.kill(self.postmaster, signal.SIGSTOP)
        self.stopped.append(self.postmaster)
        for pid in _children(self.postmaster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                self.stopped.append(pid)

    def thaw(self) -> None:
        for pid in reversed(self.stopped):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.stopped.clear()


@pytest.fixture
def frozen(own_postgres: OwnPostgres) -> Iterator[Frozen]:
    """A freezer for the test's own PostgreSQL that always thaws it afterwards."""
    freezer = Frozen(own_postgres)
    try:
        yield freezer
    finally:
        freezer.thaw()


class TestDatabaseFrozen:
    async def test_every_hop_answers_by_the_deadline_and_the_pool_recovers(
        self, own_postgres: OwnPostgres, frozen: Frozen, config: Config, aiohttp_client: Any
    ) -> None:
        """With PostgreSQL hung, every hop answers within HOTLINE_DB_TIMEOUT_S + 0.5 s; after
        the thaw the same pool serves again and the report is resumed and filed."""
        timeout = 1.0
        client = await aiohttp_client(
            create_app(replace(config, db_timeout_s=timeout), own_postgres.url)
        )
        assert "Kirim laporan" in await walk(client, "report", TO_CONFIRM)
        assert "CON " in await walk(client, "check", ["1"])
        assert "CON " in await walk(client, "lookup", ["3"])
        during: dict[str, tuple[float, str]] = {}
        frozen.freeze()
        try:
            for name, session, inputs in [
                ("menu", "menu", []),
                ("agency check", "check", ["1", "contoh"]),
                ("receipt lookup", "lookup", ["3", RECEIPT]),
                ("confirm", "report", [*TO_CONFIRM, "1"]),
                ("new report", "again", ["2"]),
            ]:
                started = time.monotonic()
                try:  # bounded, so that a hop that hangs fails the test instead of stalling it
                    answer = await asyncio.wait_for(hop(client, session, inputs), timeout + 10)
                except TimeoutError:
                    answer = "(no answer)"
                during[name] = (time.monotonic() - started, answer)
        finally:
            frozen.thaw()
        late = {name: round(took, 2) for name, (took, _) in during.items() if took > timeout + 0.5}
        assert {} == late
        assert during["menu"][1].startswith("CON Layanan Info Kerja")
        assert during["confirm"][1].startswith("END Maaf, laporan belum terkirim")
        assert "Lanjutkan" in during["confirm"][1]
        apologies = [n for n, (_, a) in during.items() if a.startswith("END Maaf, layanan")]
        assert ["agency check", "receipt lookup", "new report"] == apologies
        # Thawed: the same pool answers again once the abandoned work has cleaned up.
        recovered = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not recovered.startswith("CON "):
            await asyncio.sleep(1)  # a few polls only: the flood guard counts hops per number
            recovered = await walk(client, f"after-{time.monotonic()}", ["2"])
        assert recovered.startswith("CON Lanjutkan atau mulai baru?")
        resumed = await walk(client, "resume", ["2", "1"])
        assert "Kirim laporan" in resumed
        filed = await walk(client, "resume-send", ["2", "1", "1"])
        assert "Nomor laporan" in filed
        conn = await asyncpg.connect(own_postgres.url)
        try:
            stories = [r["description"] for r in await conn.fetch("SELECT description FROM tips")]
        finally:
            await conn.close()
        assert [STORY] == stories
