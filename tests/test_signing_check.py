"""
The check before signing (issue 15 item 4): the pure decision over the table in
tests/data/signing_check.json, the same cases through a real SMS (CEKIZIN) from a village
official, every answered check recorded, LAPORKAN filing a red one as a case, and a number
outside the officials directory getting exactly what a resident gets for an unknown word.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from storage.job_orders import JobOrder
from storage.registry import Agency
from storage.sample import sample_agencies
from tests.conftest import Gateway
from tests.sms_client import send_sms
from tests.test_job_orders import import_now
from ussd_menus import destinations, sms
from ussd_menus.catalogue import ContentError
from ussd_menus.signing import check_before_signing, parse_request, render

TABLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "signing_check.json").read_text("utf-8")
)
TODAY = date.fromisoformat(TABLE["today"])
CASES = TABLE["cases"]
SMS_CASES = [c for c in CASES if c.get("sms")]
KADES_PONTANG = "+6281199000030"  # storage/sample/officials.csv: a kepala desa in Pontang
PONTANG = "36.04.12"
STRANGER = "+6285711113333"
LANGS = ("id", "en", "su")


def _agency(licence: str | None) -> Agency | None:
    return next((a for a in sample_agencies() if a.licence_number == licence), None)


def _orders(case: dict[str, Any]) -> list[JobOrder]:
    return [
        JobOrder(licence, country, job, date.fromisoformat(until), "test", TODAY)
        for licence, country, job, until in case["orders"]
    ]


def _check(case: dict[str, Any]) -> Any:
    country = destinations.country(case["country"])
    job = destinations.job(case["job"])
    assert country is not None and job is not None, case["name"]
    agency = _agency(case["licence"])
    assert (agency is None) == (case["licence"] is None), case["name"]
    bans = destinations.active().bans
    return check_before_signing(case["query"], agency, country, job, bans, _orders(case), TODAY)


def test_the_table_has_the_cases_the_issue_asks_for() -> None:
    """At least 12 cases, covering sign, revoked, banned, no job order and unknown agency."""
    reasons = {r for c in CASES for r in c["reasons"]}
    assert len(CASES) >= 12
    assert {"sign", "stop"} == {c["verdict"] for c in CASES}
    assert {"licence_dicabut", "no_job_order", "unknown_agency"} <= reasons
    assert any(r.startswith("banned:") for r in reasons)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_decides(case: dict[str, Any]) -> None:
    """The verdict and its reasons, as the table says."""
    result = _check(case)
    assert (case["verdict"], tuple(case["reasons"])) == (result.verdict, result.reasons)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("lang", LANGS)
def test_answer_fits_one_screen(case: dict[str, Any], lang: str) -> None:
    """Every answer, with the data's date, fits a 160-character screen and SMS."""
    text = render(_check(case), lang, as_of=date(2030, 12, 31))  # type: ignore[arg-type]
    assert len(text) <= 160, text
    assert "31-12-2030" in text, text


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_answer_says_why(case: dict[str, Any], lang: str) -> None:
    """The answer states what the table expects it to, and not what it must not."""
    text = render(_check(case), lang, as_of=TODAY)  # type: ignore[arg-type]
    for expected in case["contains"][lang]:
        assert expected in text, text
    for unwanted in case.get("absent", {}).get(lang, ()):
        assert unwanted not in text, text


def test_a_ussd_screen_may_leave_the_report_to_an_option() -> None:
    """With no report text (a USSD option offers it) a red answer does not say LAPORKAN."""
    unknown = next(c for c in CASES if c["licence"] is None)
    text = render(_check(unknown), "id", offer_report="")
    assert "LAPORKAN" not in text and "STOP" in text


@pytest.mark.parametrize(
    ("typed", "agency", "country", "job"),
    [
        ("PT Contoh Jaya ; Malaysia ; pabrik", "PT Contoh Jaya", "MY", "factory"),
        ("PT Contoh Jaya Malaysia pabrik", "PT Contoh Jaya", "MY", "factory"),
        ("PT X arab saudi rumah tangga", "PT X", "SA", "domestic"),
        ("99116000345227871, KSA, PLRT", "99116000345227871", "SA", "domestic"),
        ("PT Sampel Bahari | Hongkong | ART", "PT Sampel Bahari", "HK", "domestic"),
        ("PT Jaya\nMalysia\nABK", "PT Jaya", "MY", "fishing"),
    ],
)
def test_reads_forgiving_syntax(typed: str, agency: str, country: str, job: str) -> None:
    """Separators ';', '|', ',' or new lines, or none when the country and job come last."""
    asked = parse_request(typed)
    found = (asked.agency, asked.country and asked.country.code, asked.job and asked.job.key)
    assert (agency, country, job) == found


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Arab", "SA"),
        ("Saudi", "SA"),
        ("KSA", "SA"),
        ("Arab Saudi", "SA"),
        ("arab saudia", "SA"),
        ("Malaysia", "MY"),
        ("malaysya", "MY"),
        ("Hongkong", "HK"),
        ("Hong Kong", "HK"),
        ("Taiwan", "TW"),
        ("Korea", "KR"),
        ("Jepang", "JP"),
        ("Japan", "JP"),
        ("Singapura", "SG"),
        ("UEA", "AE"),
        ("Brunei", "BN"),
    ],
)
def test_countries_as_people_write_them(typed: str, code: str) -> None:
    """Indonesian and English names, short forms and one typo find the country."""
    found = destinations.country(typed)
    assert code == (found.code if found else None)


@pytest.mark.parametrize("typed", ["", "xyz", "Narnia", "a" * 500, "ks"])
def test_no_country_is_guessed(typed: str) -> None:
    """Nothing close, or too short to tell: no country."""
    assert destinations.country(typed) is None


@pytest.mark.parametrize("field", ["source", "since", "verified_on"])
def test_a_ban_without_source_or_dates_is_refused(tmp_path: Path, field: str) -> None:
    """Like facts and hotlines, a ban without its source or dates stops the service starting."""
    root = tmp_path / "ussd_menus"
    shutil.copytree(Path(destinations.__file__).parent / "content", root / "content")
    bans = root / "content" / "bans.toml"
    text = bans.read_text("utf-8")
    bans.write_text(re.sub(rf"(?m)^{field} = .*$", "", text), "utf-8")
    with pytest.raises(ContentError) as refused:
        destinations.load(root)
    assert any(field in problem for problem in refused.value.problems)


async def _reply(gateway: Gateway, conn: asyncpg.Connection, sender: str, text: str) -> str:
    message_id = await send_sms(gateway.client, text, sender)
    rows = await conn.fetch(
        "SELECT body FROM outbox WHERE cause = $1 ORDER BY id", f"reply:{message_id}"
    )
    assert 1 == len(rows), rows
    body: str = rows[0]["body"]
    return body


def _sms_text(case: dict[str, Any]) -> str:
    return f"CEKIZIN {case['query']} ; {case['country']} ; {case['job']}"


@pytest.mark.parametrize("case", SMS_CASES, ids=[c["name"] for c in SMS_CASES])
async def test_answers_by_sms(
    gateway: Gateway, conn: asyncpg.Connection, case: dict[str, Any]
) -> None:
    """A village official's CEKIZIN gets the table's answer in Indonesian, in one SMS."""
    await import_now(gateway.client, conn, _orders(case))
    reply = await _reply(gateway, conn, KADES_PONTANG, _sms_text(case))
    assert len(reply) <= 160, reply
    for expected in case["contains"]["id"]:
        assert expected in reply, reply


@pytest.mark.parametrize("case", SMS_CASES, ids=[c["name"] for c in SMS_CASES])
async def test_every_check_is_recorded(
    gateway: Gateway, conn: asyncpg.Connection, case: dict[str, Any]
) -> None:
    """The check is recorded with the official's kecamatan, what was asked and the answer."""
    await import_now(gateway.client, conn, _orders(case))
    await _reply(gateway, conn, KADES_PONTANG, _sms_text(case))
    row = await conn.fetchrow(
        "SELECT kecamatan_code, agency_query, licence_number, country_code, job_kind, result,"
        " reasons FROM signing_checks"
    )
    country = destinations.country(case["country"])
    job = destinations.job(case["job"])
    assert country is not None and job is not None
    assert (PONTANG, case["query"], case["licence"], country.code, job.key) == tuple(row)[:5]
    assert (case["verdict"], case["reasons"]) == (row["result"], row["reasons"])


async def test_laporkan_files_the_red_check_as_a_case(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """After a red check, LAPORKAN files it as a case in the official's kecamatan, naming the
    agency asked, and links the check to it."""
    await _reply(
        gateway, conn, KADES_PONTANG, "CEKIZIN PT Maju Kerja Luar Negeri ; Hongkong ; PLRT"
    )
    reply = await _reply(gateway, conn, KADES_PONTANG, "LAPORKAN")
    tip = await conn.fetchrow(
        "SELECT id, receipt, category, kecamatan_code, agency_name, description FROM tips"
    )
    assert tip is not None, reply
    assert ("calo", PONTANG, "PT Maju Kerja Luar Negeri") == (
        tip["category"],
        tip["kecamatan_code"],
        tip["agency_name"],
    )
    assert "CEKIZIN" in tip["description"] and "Tatang Contoh" in tip["description"]
    assert tip["id"] == await conn.fetchval("SELECT tip_id FROM signing_checks")
    assert "dilaporkan" in reply and tip["receipt"][:4] in reply


async def test_laporkan_without_a_red_check_files_nothing(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """LAPORKAN with no red check today says so and files nothing."""
    reply = await _reply(gateway, conn, KADES_PONTANG, "LAPORKAN")
    assert sms.official_reply("signing_nothing", "") == reply
    assert 0 == await conn.fetchval("SELECT count(*) FROM tips")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("CEKIZIN", "signing_format"),
        ("CEKIZIN PT Contoh Samudra Karya", "signing_format"),
        ("CEKIZIN PT Contoh Samudra Karya ; Narnia ; pabrik", "signing_country"),
        ("CEKIZIN PT Contoh Samudra Karya ; Malaysia", "signing_job"),
        ("CEKIZIN PT Contoh Samudra Karya ; Malaysia ; astronot", "signing_job"),
        ("CEKIZIN ; Malaysia ; pabrik", "signing_format"),
        ("CEKIZIN x ; Malaysia ; pabrik", "signing_format"),
    ],
)
async def test_missing_parts_are_asked_again(
    gateway: Gateway, conn: asyncpg.Connection, text: str, key: str
) -> None:
    """A missing or unknown part is named in a re-prompt; nothing is recorded."""
    reply = await _reply(gateway, conn, KADES_PONTANG, text)
    template = sms.official_reply(key, "", **_samples(key))
    assert template.split(" ")[0] == reply.split(" ")[0], reply
    assert len(reply) <= 160, reply
    assert 0 == await conn.fetchval("SELECT count(*) FROM signing_checks")


def _samples(key: str) -> dict[str, str]:
    if key == "signing_country":
        return {"query": "x"}
    if key == "signing_job":
        return {"query": "x", "jobs": destinations.jobs_list("id")}
    return {}


async def test_a_500_character_request_is_answered(
    gateway: Gateway, conn: asyncpg.Connection
) -> None:
    """A very long request gets one short answer, never a crash."""
    reply = await _reply(gateway, conn, KADES_PONTANG, "CEKIZIN " + "PT Sangat Panjang " * 28)
    assert 0 < len(reply) <= 160, reply


@pytest.mark.parametrize(
    "text", ["CEKIZIN PT Contoh Samudra Karya ; Malaysia ; pabrik", "LAPORKAN"]
)
async def test_a_number_outside_the_directory_gets_the_residents_answer(
    gateway: Gateway, conn: asyncpg.Connection, text: str
) -> None:
    """CEKIZIN or LAPORKAN from an unknown number: the reply to any unknown word, nothing
    recorded or filed."""
    reply = await _reply(gateway, conn, STRANGER, text)
    assert sms.say("help", "id") == reply
    assert 0 == await conn.fetchval("SELECT count(*) FROM signing_checks")
    assert 0 == await conn.fetchval("SELECT count(*) FROM tips")
