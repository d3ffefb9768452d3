"""The USSD callback, spoken to as Africa's Talking does: urlencoded POSTs over real HTTP."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.app import create_app
from gateway.config import Config

DIALOGUES = json.loads((Path(__file__).parent / "data" / "ussd_dialogues.json").read_text())
_sessions = itertools.count()
PHONE = "+6281234567890"


def hop_form(text: str, session_id: str | None = None) -> dict[str, str]:
    """The fields AT posts for one hop."""
    return {
        "sessionId": session_id or f"ATUid_test_{next(_sessions)}",
        "phoneNumber": PHONE,
        "networkCode": "51010",
        "serviceCode": "*123*45#",
        "text": text,
    }


async def hop(client: TestClient, text: str, session_id: str | None = None) -> str:
    """Post one hop and return the body, checking the protocol envelope."""
    response = await client.post("/at/ussd", data=hop_form(text, session_id))
    body = await response.text()
    assert 200 == response.status
    assert response.content_type == "text/plain"
    assert body.startswith(("CON ", "END ")), body
    return body


async def walk(client: TestClient, inputs: list[str]) -> str:
    """Dial and answer each input in turn within one session; the last screen."""
    session = f"ATUid_walk_{next(_sessions)}"
    body = await hop(client, "", session)
    for n in range(1, len(inputs) + 1):
        body = await hop(client, "*".join(inputs[:n]), session)
    return body


class TestDialogues:
    @pytest.mark.parametrize("case", DIALOGUES, ids=[c["label"] for c in DIALOGUES])
    async def test_dialogue(self, client: TestClient, case: dict[str, Any]) -> None:
        """Each sequence of inputs, sent hop by hop as AT does, ends on the expected screen."""
        body = await walk(client, case["inputs"])
        assert case["kind"] == body[:3]
        for fragment in case["contains"]:
            assert fragment in body
        for fragment in case.get("absent", []):
            assert fragment not in body

    def test_labels_are_unique(self) -> None:
        """Every dialogue case has its own label."""
        labels = [c["label"] for c in DIALOGUES]
        assert sorted(set(labels)) == sorted(labels)


class TestFreeTextWithStars:
    async def test_star_in_search_survives_later_hops(self, client: TestClient) -> None:
        """A '*' typed in free text stays part of it on every later hop of the session."""
        session = "ATUid_star"
        await hop(client, "", session)
        await hop(client, "1", session)
        first = await hop(client, "1*zz*top", session)
        assert '"zz*top" TIDAK ada' in first
        again = await hop(client, "1*zz*top*0", session)
        assert "Ketik nama PT penempatan" in again
        found = await hop(client, "1*zz*top*0*Contoh*Samudra Karya", session)
        # One query, '*' and all, finds the agency; split at the '*' it would list every "Contoh".
        assert (
            "CON PT Contoh Samudra Karya\nBERIZIN sampai 13-03-2027\nIzin bukan jaminan kerja.\n"
            "Pusat: Jakarta Timur\nData per 01-11-2026.\n1 Laporkan\n0 Kembali 00 Menu"
        ) == found
        back = await hop(client, "1*zz*top*0*Contoh*Samudra Karya*0", session)
        assert "Ketik nama PT penempatan" in back

    async def test_another_process_continues_the_session(
        self, client: TestClient, aiohttp_client: Any, config: Config, sample_db: str
    ) -> None:
        """A second gateway process, sharing only PostgreSQL, reads the boundaries stored."""
        session = "ATUid_two_processes"
        await hop(client, "1", session)
        await hop(client, "1*zz*top", session)
        other = await aiohttp_client(create_app(config, sample_db))
        body = await hop(other, "1*zz*top*0", session)
        assert "Ketik nama PT penempatan" in body

    async def test_repeated_hop_gives_the_same_screen(self, client: TestClient) -> None:
        """AT may resend a hop: the same path answers the same screen."""
        session = "ATUid_retry"
        await hop(client, "", session)
        await hop(client, "1", session)
        first = await hop(client, "1*a*b*c", session)
        second = await hop(client, "1*a*b*c", session)
        assert first == second
        assert '"a*b*c" TIDAK' in first


ROBUSTNESS = [
    ("missing-session-id", b"text=1&phoneNumber=%2B6281234567890", 200, "END Maaf"),
    ("missing-text-is-first-hop", b"sessionId=x1", 200, "CON Layanan"),
    ("empty-body", b"", 200, "END Maaf"),
    ("non-utf8-bytes", b"sessionId=x2&text=1*\xff\xfe\xfd", 200, "CON "),
    ("percent-encoded-non-utf8", b"sessionId=x3&text=1*%ff%fe%fdabc", 200, "CON "),
    ("not-a-form", b'{"sessionId": "x4"}', 200, "END Maaf"),
    ("nul-bytes", b"sessionId=x5&text=1*ab%00cd", 200, "CON "),
    ("absurdly-long-path", b"sessionId=x6&text=" + b"1*" * 1500, 200, "END Sesi terlalu panjang"),
    ("repeated-fields", b"sessionId=x7&sessionId=x8&text=&text=2", 200, "CON Layanan"),
    ("oversized-body", b"sessionId=x9&text=" + b"a" * 20_000, 413, ""),
]


class TestCallbackRobustness:
    @pytest.mark.parametrize(
        ("body", "status", "prefix"),
        [r[1:] for r in ROBUSTNESS],
        ids=[r[0] for r in ROBUSTNESS],
    )
    async def test_bad_input_gets_a_clear_answer(
        self, client: TestClient, body: bytes, status: int, prefix: str
    ) -> None:
        """Malformed callbacks never crash the handler and never give a 500."""
        response = await client.post(
            "/at/ussd",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        text = await response.text()
        assert status == response.status
        assert text.startswith(prefix)

    async def test_get_is_not_allowed(self, client: TestClient) -> None:
        """Only POST reaches the callback."""
        response = await client.get("/at/ussd")
        assert 405 == response.status


class TestLogging:
    async def test_one_summary_line_per_hop(
        self, client: TestClient, log_output: io.StringIO
    ) -> None:
        """Each hop logs one http.request_finished line with its session and menu step."""
        await hop(client, "1*PT Contoh Samudra Karya", "ATUid_logged")
        lines = [json.loads(line) for line in log_output.getvalue().splitlines()]
        finished = [e for e in lines if e["event"] == "http.request_finished"]
        assert 1 == len(finished)
        assert ("ATUid_logged", "check_detail", 200) == (
            finished[0]["session_id"],
            finished[0]["ussd_node"],
            finished[0]["status"],
        )

    async def test_phone_number_never_logged(
        self, client: TestClient, log_output: io.StringIO
    ) -> None:
        """The caller's number appears in no log line, in any of its formats."""
        await walk(client, ["1", "PT Contoh Samudra Karya"])
        await client.post("/at/ussd", data={"phoneNumber": PHONE, "text": PHONE})
        output = log_output.getvalue()
        assert output
        for form in (PHONE, PHONE[1:], "0" + PHONE[3:]):
            assert form not in output


class TestFloods:
    async def test_a_flood_from_one_number_is_refused_politely(self, client: TestClient) -> None:
        """Past 60 hops a minute from one number, the answer is a polite END."""
        form = {"sessionId": "flood", "phoneNumber": "+6281200000777", "text": ""}
        bodies = [await (await client.post("/at/ussd", data=form)).text() for _ in range(61)]
        assert bodies[59].startswith("CON ")
        assert bodies[60].startswith("END Terlalu banyak permintaan")

    async def test_other_numbers_are_not_affected(self, client: TestClient) -> None:
        """One number's flood does not limit anyone else."""
        form = {"sessionId": "flood2", "phoneNumber": "+6281200000778", "text": ""}
        for _ in range(61):
            await client.post("/at/ussd", data=form)
        assert (await hop(client, "")).startswith("CON Layanan")
