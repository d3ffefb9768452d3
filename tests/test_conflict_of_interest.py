"""
Conflict of interest (issue 14, item 4): a tip the reporter marked as involving a village official
never produces an outbox row for a village official, filed by USSD or SMS, through routing and
every escalation; an official an investigator named as involved in a case (console, CSRF, stored
with who and when) gets none of its alerts, escalations or resends again. Real HTTP, real
PostgreSQL, the sample directory plus village officials that would otherwise be alerted.
"""

from __future__ import annotations

import re

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from storage.officials import VILLAGE_OFFICIAL
from storage.tips import CATEGORIES
from tests.conftest import Gateway
from tests.console_helpers import csrf_token, sign_in
from tests.sms_client import send_sms
from tests.ussd_client import walk

STORY = "Kepala desa minta uang 10 juta untuk ke Taiwan"
CHOICES = {key: str(n) for n, key in enumerate(("bahaya", "calo", "biaya", "dokumen"), 1)} | {
    "visa": "5",
    "tujuan": "6",
    "lainnya": "7",
}
# Sample officials (storage/sample/officials.csv) by their numbers.
CAMAT_PONTANG = "+6281199000007"
KADES_PONTANG = "+6281199000030"
KAPOLSEK_PONTANG = "+6281199000031"
DISNAKER_KABID = "+6281199000036"
DISNAKER_STAF = "+6281199000037"
POLRES_PPA = "+6281199000038"
# Village officials who would be alerted for any tip, at every tier, were they not left out.
EXTRA_VILLAGE = (
    ("Kades Uji", "Kepala Desa", "+6281199000091", "Desa Uji, Kec. Pontang", "36.04.12", 1),
    ("Sekdes Uji", "Sekretaris Desa", "+6281199000092", "Pemerintah Desa Uji", "*", 2),
    ("Perangkat Uji", "Perangkat Desa", "+6281199000093", "Desa Lain", "*", 3),
    # Known as village staff only by its agency code.
    ("Staf Uji", "Staf", "+6281199000094", "Balai Uji", "*", 1, "DESA"),
)


async def add_village_officials(conn: asyncpg.Connection) -> None:
    """Village officials for every category: one in Pontang (tier 1), two regency-wide."""
    for name, role, phone, office, kecamatan, tier, *agency in EXTRA_VILLAGE:
        await conn.execute(
            "INSERT INTO officials (name, role, phone, office, kecamatan_codes, categories, tier,"
            " agency, is_sample) VALUES ($1, $2, $3, $4, $5, '{*}', $6, $7, true)",
            name,
            role,
            phone,
            office,
            [kecamatan],
            tier,
            "".join(agency),
        )


def receipt_on(screen: str) -> str:
    """The receipt shown on a screen or in an SMS, as 9 digits."""
    match = re.search(r"(\d{4})-(\d{4})-(\d)\b", screen)
    assert match is not None, screen
    return "".join(match.groups())


async def file_by_ussd(client: TestClient, category: str, marked: bool) -> str:
    """A tip about Pontang over USSD (desa and agency skipped), marked or not; its receipt."""
    details = ["2"] if category == "bahaya" else []
    mark = ["2", "1"] if marked else []
    inputs = ["2", CHOICES[category], *details, "pontang", "1", "1", "1", STORY, *mark, "1"]
    return receipt_on(await walk(client, inputs))


async def file_by_sms(
    client: TestClient, conn: asyncpg.Connection, category: str, marked: bool
) -> str:
    """A tip by SMS (`LAPOR APARAT <category> ...` when marked); its receipt."""
    await send_sms(client, f"LAPOR {'APARAT ' if marked else ''}{category} {STORY}")
    receipt: str = await conn.fetchval("SELECT receipt FROM tips ORDER BY id DESC LIMIT 1")
    return receipt


async def escalate_all(gateway: Gateway, conn: asyncpg.Connection) -> None:
    """Let every open alert run out of time and escalate, tier after tier, until nothing is left."""
    for _ in range(4):
        await conn.execute(
            "UPDATE alerts SET ack_due_at = now() - interval '1 minute'"
            " WHERE acknowledged_at IS NULL AND escalated_at IS NULL"
        )
        await gateway.worker.escalate_once()


async def village_rows(conn: asyncpg.Connection) -> list[str]:
    """The numbers of the village officials with an outbox row, sorted."""
    rows = await conn.fetch(
        "SELECT officials.phone FROM outbox JOIN officials ON officials.id = outbox.official_id"
        f" WHERE {VILLAGE_OFFICIAL} ORDER BY officials.phone"
    )
    return [r["phone"] for r in rows]


async def official_rows(conn: asyncpg.Connection, cause: str = "alert:%") -> list[str]:
    """The numbers of the officials with an outbox row of this cause (LIKE), sorted."""
    rows = await conn.fetch(
        "SELECT officials.phone FROM outbox JOIN officials ON officials.id = outbox.official_id"
        " WHERE outbox.cause LIKE $1 ORDER BY officials.phone",
        cause,
    )
    return [r["phone"] for r in rows]


async def file(
    gateway: Gateway, conn: asyncpg.Connection, channel: str, category: str, marked: bool
) -> str:
    """File a tip by the channel; its receipt."""
    if channel == "ussd":
        return await file_by_ussd(gateway.client, category, marked)
    return await file_by_sms(gateway.client, conn, category, marked)


class TestMarkedByTheReporter:
    @pytest.mark.parametrize("channel", ["ussd", "sms"])
    @pytest.mark.parametrize("category", CATEGORIES)
    async def test_never_an_outbox_row_for_a_village_official(
        self, category: str, channel: str, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A marked tip of any category, by USSD or SMS, routed and escalated to the last tier,
        never produces an outbox row for a village official (yet alerts someone)."""
        await add_village_officials(conn)
        await file(gateway, conn, channel, category, marked=True)
        await escalate_all(gateway, conn)
        assert True is await conn.fetchval("SELECT involves_village_official FROM tips")
        assert [] == await village_rows(conn)
        assert [] != await official_rows(conn)

    @pytest.mark.parametrize("channel", ["ussd", "sms"])
    async def test_unmarked_tip_does_reach_village_officials(
        self, channel: str, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The same tip unmarked reaches village officials (the check above can fail)."""
        await add_village_officials(conn)
        await file(gateway, conn, channel, "calo", marked=False)
        await escalate_all(gateway, conn)
        assert [] != await village_rows(conn)

    async def test_goes_to_kecamatan_and_kabupaten_at_once(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A marked calo tip about Pontang alerts the camat, the kapolsek and the kabupaten tier
        at once, not the kepala desa."""
        await file_by_ussd(gateway.client, "calo", marked=True)
        assert [
            CAMAT_PONTANG,
            KAPOLSEK_PONTANG,
            DISNAKER_KABID,
            DISNAKER_STAF,
            POLRES_PPA,
        ] == await official_rows(conn, "alert:new")

    async def test_village_officials_told_apart_by_role_or_office(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """In the sample directory the three kepala desa are the village officials, no camat,
        police or agency staff."""
        rows = await conn.fetch(
            f"SELECT phone FROM officials WHERE {VILLAGE_OFFICIAL} ORDER BY phone"
        )
        assert [KADES_PONTANG, "+6281199000032", "+6281199000034"] == [r["phone"] for r in rows]

    async def test_village_officials_told_apart_by_agency_too(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Every added village official is one, the one known only by agency DESA included."""
        await add_village_officials(conn)
        rows = await conn.fetch(
            f"SELECT phone FROM officials WHERE {VILLAGE_OFFICIAL} AND phone LIKE '+628119900009_'"
        )
        assert {v[2] for v in EXTRA_VILLAGE} == {r["phone"] for r in rows}


async def official_id(conn: asyncpg.Connection, phone: str) -> int:
    """The directory id of the official with this number."""
    found: int = await conn.fetchval("SELECT id FROM officials WHERE phone = $1", phone)
    return found


async def name_involved(
    client: TestClient, conn: asyncpg.Connection, receipt: str, phone: str
) -> int:
    """As a signed-in account, name the official involved on the tip's page; the status."""
    page = f"/console/tips/{receipt}"
    token = await csrf_token(client, page)
    response = await client.post(
        f"{page}/involved",
        data={"csrf": token, "official": str(await official_id(conn, phone))},
        allow_redirects=False,
    )
    return response.status


class TestNamedByAnInvestigator:
    async def test_page_lists_the_case_officials(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """The tip's page lists the alerted officials and those who may be alerted, each with
        a form to name them."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        text = await (await gateway.client.get(f"/console/tips/{receipt}")).text()
        for phone in (KADES_PONTANG, DISNAKER_KABID):
            assert f'id="case-official-{await official_id(conn, phone)}"' in text
        assert 'action="/console/tips/' in text and "/involved" in text

    async def test_naming_is_stored_with_who_and_when(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Naming an official is a CSRF-checked POST, stored with the account's name and time."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        name = await sign_in(gateway.client, conn, "investigator")
        assert 303 == await name_involved(gateway.client, conn, receipt, KADES_PONTANG)
        row = await conn.fetchrow(
            "SELECT set_by, set_at IS NOT NULL AS dated, official_id FROM case_involved_officials"
        )
        assert (name, True, await official_id(conn, KADES_PONTANG)) == tuple(row)

    async def test_naming_without_the_csrf_token_is_refused(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """A POST without the form's token is refused and names nobody."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        kades = await official_id(conn, KADES_PONTANG)
        response = await gateway.client.post(
            f"/console/tips/{receipt}/involved", data={"official": str(kades)}
        )
        assert 403 == response.status
        assert 0 == await conn.fetchval("SELECT count(*) FROM case_involved_officials")

    async def test_an_operator_cannot_name(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Operators, who never read tips, cannot name officials either."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "operator")
        response = await gateway.client.post(
            f"/console/tips/{receipt}/involved", data={"official": "1"}
        )
        assert 403 == response.status
        assert 0 == await conn.fetchval("SELECT count(*) FROM case_involved_officials")

    async def test_unsent_alert_is_cancelled(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Named before their alert went out, the official is never sent it."""
        gateway.fake.report_url = None
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        await name_involved(gateway.client, conn, receipt, KADES_PONTANG)
        while await gateway.worker.drain_once():
            pass
        assert [CAMAT_PONTANG, KAPOLSEK_PONTANG] == sorted(m["to"] for m in gateway.fake.messages)

    async def test_no_escalation_reaches_them(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Named before the case escalates to their tier, they are left out of it."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        await name_involved(gateway.client, conn, receipt, DISNAKER_KABID)
        await escalate_all(gateway, conn)
        escalated = await official_rows(conn, "alert:escalated")
        assert DISNAKER_STAF in escalated
        assert DISNAKER_KABID not in escalated

    async def test_info_resends_nothing_to_them(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An involved official's INFO for the case resends nothing."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        await name_involved(gateway.client, conn, receipt, KADES_PONTANG)
        await send_sms(gateway.client, f"INFO {receipt}", KADES_PONTANG)
        assert [] == await official_rows(conn, "alert:resend")

    async def test_info_still_resends_to_the_others(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """Another official's INFO still resends (naming one leaves the rest alone)."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await sign_in(gateway.client, conn, "investigator")
        await name_involved(gateway.client, conn, receipt, KADES_PONTANG)
        await send_sms(gateway.client, f"INFO {receipt}", CAMAT_PONTANG)
        assert [CAMAT_PONTANG] == await official_rows(conn, "alert:resend")

    async def test_their_acknowledgement_is_taken_back(
        self, gateway: Gateway, conn: asyncpg.Connection
    ) -> None:
        """An involved official who took the case (OK) does not hold it: it escalates past them."""
        receipt = await file_by_ussd(gateway.client, "calo", marked=False)
        await send_sms(gateway.client, f"OK {receipt}", KADES_PONTANG)
        await sign_in(gateway.client, conn, "investigator")
        await name_involved(gateway.client, conn, receipt, KADES_PONTANG)
        await escalate_all(gateway, conn)
        assert DISNAKER_KABID in await official_rows(conn, "alert:escalated")
        assert KADES_PONTANG not in await official_rows(conn, "alert:escalated")
