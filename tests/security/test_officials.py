"""Attacks on the officials' side (issue 11, High 1 and 2): acting as an official on a tip routed
elsewhere, callbacks without a token, a question that phishes the reporter for their identity,
and the demo's local gateway (every SMS with its recipient in clear) outside the demo."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from gateway import cli
from gateway.app import create_app
from gateway.config import Config, ConfigError
from tests.conftest import CALLBACK_TOKEN, Gateway
from tests.console_helpers import csrf_token, sign_in
from tests.test_official_commands import (
    CAMAT_KRAMATWATU,
    CAMAT_PONTANG,
    STRANGER,
    acknowledged,
    command,
    file_calo_tip,
    official_messages,
    tip_status,
    unknown_receipt,
)
from tests.ussd_client import walk
from ussd_menus.identity_requests import identity_requests
from ussd_menus.receipts import show_receipt

ROOT = Path(__file__).resolve().parent.parent.parent
PHISHING = "Siapa nama Anda dan nomor KTP Anda?"
FORGED = [
    # (id, the command CAMAT_KRAMATWATU sends about a Pontang tip he was never alerted for)
    ("ok", "OK {r}"),
    ("tanya", "TANYA {r} " + PHISHING),
    ("selesai", "SELESAI {r} Sudah selesai"),
    ("info", "INFO {r}"),
]


def unknown(receipt: str) -> str:
    """The reply to a receipt no tip has."""
    return f"Nomor laporan {show_receipt(receipt)} tidak dikenal. Cek lagi nomornya."


class TestCommandOnATipRoutedElsewhere:
    @pytest.mark.parametrize("text", [f[1] for f in FORGED], ids=[f[0] for f in FORGED])
    async def test_gets_the_unknown_receipt_reply(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """An official not alerted for a tip gets exactly the reply of a receipt that does not
        exist, so the answer does not tell that the tip exists."""
        receipt = await file_calo_tip(gateway.client)
        other = unknown_receipt()
        assert (unknown(receipt), unknown(other)) == (
            await command(gateway, conn, CAMAT_KRAMATWATU, text.format(r=receipt)),
            await command(gateway, conn, CAMAT_KRAMATWATU, text.format(r=other)),
        )

    @pytest.mark.parametrize("text", [f[1] for f in FORGED], ids=[f[0] for f in FORGED])
    async def test_changes_nothing(
        self, gateway: Gateway, conn: asyncpg.Connection, text: str
    ) -> None:
        """Nothing acknowledged, no status change, no message in the thread, no alert resent."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_KRAMATWATU, text.format(r=receipt))
        assert ([], "diteruskan", [], 3) == (
            await acknowledged(conn),
            await tip_status(conn, receipt),
            await official_messages(conn),
            await conn.fetchval("SELECT count(*) FROM outbox WHERE cause LIKE 'alert:%'"),
        )

    async def test_forged_close_leaves_escalation_running(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A forged SELESAI does not silence the tip's escalation: its alerts stay open."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_KRAMATWATU, f"SELESAI {receipt} tutup")
        await conn.execute("UPDATE alerts SET ack_due_at = now() - interval '1 minute'")
        assert 1 == await gateway.worker.escalate_once()

    async def test_alerted_official_still_acts(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The official the tip was routed to still closes it."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        assert "selesai_ditindak" == await tip_status(conn, receipt)


class TestCallbackTokenRequired:
    async def test_app_refuses_to_start_without_one(self, config: Config) -> None:
        """Outside the demo, building the app without HOTLINE_CALLBACK_TOKEN raises ConfigError."""
        with pytest.raises(ConfigError, match="HOTLINE_CALLBACK_TOKEN"):
            create_app(replace(config, callback_token=None), "postgresql://unused/app")

    async def test_demo_starts_without_one(self, config: Config) -> None:
        """The demo (loopback, fictional data) may run without a token."""
        create_app(replace(config, demo=True, callback_token=None), "postgresql://unused/app")

    def test_serve_exits_naming_it(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """`hotline serve` without a token stops before serving, saying which variable."""
        monkeypatch.delenv("HOTLINE_CALLBACK_TOKEN", raising=False)
        monkeypatch.delenv("DATABASE_URL", raising=False)
        monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("HOTLINE_SECRET", "test-secret-0123456789")

        def no_database(config: Config) -> str:
            raise AssertionError("reached the database before checking the token")

        monkeypatch.setattr(cli, "database_url", no_database)
        with pytest.raises(SystemExit) as stopped:
            cli.main(["serve"])
        assert "HOTLINE_CALLBACK_TOKEN: required outside --demo" in str(stopped.value.code)


ROTATING = "old-token-0123456789abcdef, new-token-0123456789abcdef"


async def rotating_client(sample_db: str, config: Config, aiohttp_client: Any) -> TestClient:
    """The app configured from the environment with two tokens; it signs nothing itself."""
    environ = {"HOTLINE_CALLBACK_TOKEN": ROTATING, "HOTLINE_SECRET": "test-secret-0123456789"}
    settings = replace(config, callback_token=Config.from_env(environ).callback_token)
    client = await aiohttp_client(create_app(settings, sample_db))
    client.sign_callbacks = False
    return client  # type: ignore[no-any-return]


class TestTokenRotation:
    @pytest.mark.parametrize(
        "token", ["old-token-0123456789abcdef", "new-token-0123456789abcdef"], ids=["old", "new"]
    )
    async def test_accepts_each_token(
        self, sample_db: str, config: Config, aiohttp_client: Any, token: str
    ) -> None:
        """While rotating, a callback with either token is handled."""
        client = await rotating_client(sample_db, config, aiohttp_client)
        form = {"id": "ATXid_rotation", "status": "Success"}
        response = await client.post("/at/sms/delivery", params={"token": token}, data=form)
        assert 200 == response.status

    @pytest.mark.parametrize(
        "token",
        [
            "other-token-0123456789abcdef",
            ROTATING,
            "old-token-0123456789abcdef,new-token-0123456789abcdef",
            "",
            CALLBACK_TOKEN,
        ],
        ids=["other", "the-list", "the-list-unspaced", "empty", "not-configured"],
    )
    async def test_refuses_any_other(
        self, sample_db: str, config: Config, aiohttp_client: Any, token: str
    ) -> None:
        """Anything but one of the listed tokens is refused with 403."""
        client = await rotating_client(sample_db, config, aiohttp_client)
        form = {"id": "ATXid_rotation", "status": "Success"}
        response = await client.post("/at/sms/delivery", params={"token": token}, data=form)
        assert 403 == response.status

    def test_short_token_in_the_list_is_refused_unseen(self) -> None:
        """A list with a token under 16 characters stops start-up without showing it."""
        environ = {"HOTLINE_CALLBACK_TOKEN": "old-token-0123456789abcdef,short1"}
        with pytest.raises(ConfigError) as error:
            Config.from_env(environ)
        assert (True, False) == (
            "HOTLINE_CALLBACK_TOKEN: token 2 of 2" in str(error.value),
            "short1" in str(error.value),
        )


STATUS_PROBE = re.compile(r"KTP|nama Anda", re.I)


class TestIdentityQuestionHeld:
    async def test_official_is_told_it_is_held(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """TANYA asking for name and KTP is answered 'held for review', not 'sent'."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
        assert reply.startswith(f"Pertanyaan untuk laporan {show_receipt(receipt)} ditahan")

    async def test_stored_held_with_the_official(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The question is kept, held, with the official who sent it and why it was held."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
        row = await conn.fetchrow(
            "SELECT m.review, m.held_for, f.phone FROM tip_messages m"
            " JOIN officials f ON f.id = m.official_id"
        )
        assert ("held", "nama, ktp", CAMAT_PONTANG) == tuple(row)

    async def test_not_visible_by_sms_status(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The reporter's STATUS shows no question while it is held."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
        reply = await command(gateway, conn, STRANGER, f"STATUS {receipt}")
        assert (None, True) == (STATUS_PROBE.search(reply), reply.startswith("Laporan"))

    async def test_not_visible_by_ussd(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """The reporter's USSD 'check my report' shows no question and offers no answer."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
        screen = await walk(gateway.client, ["3", receipt])
        assert (None, False) == (STATUS_PROBE.search(screen), "Jawab pertanyaan" in screen)

    async def test_cannot_be_answered(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """JAWAB to a held question finds no question to answer and stores nothing."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
        await command(gateway, conn, STRANGER, f"JAWAB {receipt} Budi, 3604123456780001")
        assert 0 == await conn.fetchval("SELECT count(*) FROM tip_messages WHERE kind = 'answer'")

    async def test_closing_note_is_held_but_tip_closes(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """SELESAI with a note asking for a phone number closes the tip; the note stays hidden."""
        receipt = await file_calo_tip(gateway.client)
        reply = await command(
            gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Kirim nomor HP Anda ke 0812 3456 789"
        )
        status = await command(gateway, conn, STRANGER, f"STATUS {receipt}")
        assert (True, "selesai_ditindak", False) == (
            "Catatan ditahan" in reply,
            await tip_status(conn, receipt),
            "0812" in status,
        )

    async def test_ordinary_question_is_not_held(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A question about the agency reaches the reporter as before."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} Apa nama PT-nya?")
        reply = await command(gateway, conn, STRANGER, f"STATUS {receipt}")
        assert "Apa nama PT-nya?" in reply


async def held_question(gateway: Gateway, conn: asyncpg.Connection) -> tuple[str, int]:
    """A tip with a held phishing question from CAMAT_PONTANG: its receipt and the message id."""
    receipt = await file_calo_tip(gateway.client)
    await command(gateway, conn, CAMAT_PONTANG, f"TANYA {receipt} {PHISHING}")
    message_id: int = await conn.fetchval("SELECT id FROM tip_messages WHERE review = 'held'")
    return receipt, message_id


async def decide(gateway: Gateway, receipt: str, message_id: int, action: str) -> int:
    """POST a reviewer's decision with the page's CSRF token; the status (not followed)."""
    token = await csrf_token(gateway.client, f"/console/tips/{receipt}")
    response = await gateway.client.post(
        f"/console/tips/{receipt}/messages/{message_id}/{action}",
        data={"csrf": token},
        allow_redirects=False,
    )
    return response.status


class TestStaffReview:
    async def test_tip_page_names_the_official(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The console shows which official asked, with their office, and that it is held."""
        receipt, _ = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "investigator")
        page = await (await gateway.client.get(f"/console/tips/{receipt}")).text()
        assert (True, True) == ("Agus Contoh, Kecamatan Pontang" in page, "DITAHAN" in page)

    async def test_tips_list_flags_the_tip(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The tips list marks a tip with a held message, so reviewers find it."""
        receipt, _ = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "investigator")
        page = await (await gateway.client.get("/console/tips")).text()
        row = page.split(f'data-receipt="{receipt}"', 1)[1].split("</tr>", 1)[0]
        assert "pesan ditahan: 1" in row

    async def test_closing_names_the_official(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The closing note on the tip page says which official closed it."""
        receipt = await file_calo_tip(gateway.client)
        await command(gateway, conn, CAMAT_PONTANG, f"SELESAI {receipt} Calo sudah ditangkap")
        await sign_in(gateway.client, conn, "admin")
        page = await (await gateway.client.get(f"/console/tips/{receipt}")).text()
        assert "Agus Contoh, Kecamatan Pontang</span> (catatan)" in page

    async def test_release_shows_it_to_the_reporter(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Once an investigator releases it, the reporter's STATUS shows the question."""
        receipt, message_id = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "investigator")
        assert 303 == await decide(gateway, receipt, message_id, "release")
        assert "KTP" in await command(gateway, conn, STRANGER, f"STATUS {receipt}")

    async def test_reject_keeps_it_hidden_and_records_who(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A rejected question never reaches the reporter; the reviewer's name is kept."""
        receipt, message_id = await held_question(gateway, conn)
        name = await sign_in(gateway.client, conn, "admin")
        await decide(gateway, receipt, message_id, "reject")
        row = await conn.fetchrow("SELECT review, reviewed_by FROM tip_messages")
        status = await command(gateway, conn, STRANGER, f"STATUS {receipt}")
        assert (("rejected", name), None) == (tuple(row), STATUS_PROBE.search(status))

    async def test_decision_is_final(self, gateway: Gateway, conn: asyncpg.Connection) -> None:
        """Releasing after a rejection changes nothing."""
        receipt, message_id = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "admin")
        await decide(gateway, receipt, message_id, "reject")
        await decide(gateway, receipt, message_id, "release")
        assert "rejected" == await conn.fetchval("SELECT review FROM tip_messages")

    async def test_concurrent_decisions_apply_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A release and a rejection at once: exactly one decision is recorded."""
        receipt, message_id = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "admin")
        token = await csrf_token(gateway.client, f"/console/tips/{receipt}")
        responses = await asyncio.gather(
            *(
                gateway.client.post(
                    f"/console/tips/{receipt}/messages/{message_id}/{action}",
                    data={"csrf": token},
                    allow_redirects=False,
                )
                for action in ("release", "reject") * 3
            )
        )
        outcomes = sorted(r.headers["Location"].rsplit("=", 1)[1] for r in responses)
        assert 5 == outcomes.count("not_held")

    async def test_operator_may_not_release(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An operator's release is refused (403) and the question stays held."""
        receipt, message_id = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "operator")
        token = await csrf_token(gateway.client)
        response = await gateway.client.post(
            f"/console/tips/{receipt}/messages/{message_id}/release",
            data={"csrf": token},
            allow_redirects=False,
        )
        assert (403, "held") == (
            response.status,
            await conn.fetchval("SELECT review FROM tip_messages"),
        )

    async def test_release_needs_the_csrf_token(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A release without the CSRF token is refused and changes nothing."""
        receipt, message_id = await held_question(gateway, conn)
        await sign_in(gateway.client, conn, "investigator")
        response = await gateway.client.post(
            f"/console/tips/{receipt}/messages/{message_id}/release", allow_redirects=False
        )
        assert (403, "held") == (
            response.status,
            await conn.fetchval("SELECT review FROM tip_messages"),
        )


HELD = [
    PHISHING,
    "Mohon kirim foto e-KTP dan KK",
    "No.KTP / NIK berapa?",
    "Alamat rumah Anda di mana?",
    "Tinggal dimana? RT/RW berapa?",
    "Boleh minta nomor HP atau WA?",
    "Hubungi saya di 0812-3456-7890",
    "Bisa kita ketemu di balai desa?",
    "What is your name and address?",
    "Send me your phone number",
]
PASSED = [
    "Kapan berangkat?",
    "Apa nama PT yang merekrut?",
    "Di mana alamat kantor calo itu?",
    "Berapa uang yang diminta?",
    "Negara tujuannya apa?",
    "Apakah sudah ada kontrak kerja?",
    "Calo sudah ditangkap",
]


class TestIdentityPatterns:
    @pytest.mark.parametrize("text", HELD)
    def test_identity_requests_are_caught(self, text: str) -> None:
        """Questions for a name, ID number, address, phone or a meeting are caught."""
        assert () != identity_requests(text)

    @pytest.mark.parametrize("text", PASSED)
    def test_questions_about_the_case_pass(self, text: str) -> None:
        """Questions about the agency, the money or the journey are not caught."""
        assert () == identity_requests(text)


class TestLocalGatewayOnlyInTheDemo:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/local-at/fake-at/messages"),
            ("POST", "/local-at/fake-at/mode"),
            ("POST", "/local-at/version1/messaging"),
            ("GET", "/simulator"),
        ],
    )
    async def test_absent_outside_the_demo(
        self, client: TestClient, method: str, path: str
    ) -> None:
        """Without --demo (and without an AT account) the local gateway and simulator are 404."""
        response = await client.request(method, path, data={"mode": "down"})
        assert 404 == response.status

    @pytest.mark.parametrize("path", ["/local-at/fake-at/messages", "/simulator"])
    async def test_present_in_the_demo(
        self, sample_db: str, config: Config, aiohttp_client: Any, path: str
    ) -> None:
        """The demo still has both."""
        client = await aiohttp_client(create_app(replace(config, demo=True), sample_db))
        assert 200 == (await client.get(path)).status

    async def test_sms_disabled_is_logged(
        self, sample_db: str, config: Config, aiohttp_client: Any, log_output: Any
    ) -> None:
        """A server without an SMS provider says at start-up that SMS is disabled."""
        await aiohttp_client(create_app(config, sample_db))
        events = [line for line in log_output.getvalue().splitlines() if '"sms.disabled"' in line]
        assert 1 == len(events)

    async def test_replies_stay_queued(
        self, sample_db: str, config: Config, aiohttp_client: Any, conn: asyncpg.Connection
    ) -> None:
        """With the worker on but no provider, a reply is queued and never attempted."""
        client = await aiohttp_client(create_app(replace(config, run_worker=True), sample_db))
        form = {"from": STRANGER, "to": "98765", "text": "HELP", "id": "ATXid_disabled"}
        assert 200 == (await client.post("/at/sms/inbound", data=form)).status
        await asyncio.sleep(1.0)
        row = await conn.fetchrow("SELECT status, attempts, last_error FROM outbox")
        assert ("queued", 0, "") == tuple(row)

    @pytest.mark.parametrize("path", ["/local-at", "/simulator"])
    def test_nginx_blocks(self, path: str) -> None:
        """The shipped proxy answers 404 for the demo-only paths."""
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        assert re.search(rf"location {path} \{{\s*return 404;\s*\}}", conf)

    @pytest.mark.parametrize(
        ("argv", "host_env", "expected"),
        [
            (["serve", "--demo"], None, "127.0.0.1"),
            (["serve", "--demo"], "0.0.0.0", "0.0.0.0"),  # noqa: S104 - the operator's choice
            (["serve", "--demo", "--host", "10.0.0.5"], None, "10.0.0.5"),
            (["serve"], None, "0.0.0.0"),  # noqa: S104 - a container's default
        ],
        ids=["demo", "demo-HOST", "demo-host-flag", "not-demo"],
    )
    def test_demo_listens_on_loopback(
        self,
        monkeypatch: pytest.MonkeyPatch,
        argv: list[str],
        host_env: str | None,
        expected: str,
    ) -> None:
        """`serve --demo` binds 127.0.0.1 unless HOST or --host says otherwise."""
        seen: list[str] = []
        monkeypatch.setattr(cli, "_serve", lambda config, args: seen.append(config.host))
        if host_env is None:
            monkeypatch.delenv("HOST", raising=False)
        else:
            monkeypatch.setenv("HOST", host_env)
        cli.main(argv)
        assert [expected] == seen
