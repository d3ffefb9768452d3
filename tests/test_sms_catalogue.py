"""The SMS catalogue: every outgoing SMS is a checked template, and an operator's overrides are
refused at start-up unless they keep the placeholders and fit one SMS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from gateway.app import create_app
from gateway.config import Config, ConfigError
from storage.tips import TipStatus
from tests.test_sms_inbound import reply_to
from ussd_menus import cases, catalogue, sms, sms_catalogue
from ussd_menus.model import Lang
from ussd_menus.sms_catalogue import SPECS, CatalogueError, check, load, sms_length
from ussd_menus.texts import t

LANGS = catalogue.active().codes

BRAND = "PMI-Hotline: "
BRANDED_REPORT_FILED = (
    BRAND + "Laporan diterima. Nomor: {receipt}. Cek: SMS STATUS {code}. Jangan tulis nomor HP."
)


@pytest.fixture(autouse=True)
def _bundled_catalogue() -> Iterator[None]:
    """Whatever a test installs, the next one words SMS from the bundled catalogue again."""
    yield
    sms_catalogue.use(load())


def override(tmp_path: Path, text: str) -> Path:
    """An operator's catalogue file."""
    path = tmp_path / "sms-overrides.toml"
    path.write_text(text, "utf-8")
    return path


def refusal(path: Path, provider: str = "africastalking") -> str:
    """The problems named when the file is loaded (fails if it is accepted)."""
    with pytest.raises(CatalogueError) as caught:
        load(path, provider)
    return "\n".join(caught.value.problems)


class TestBundledCatalogue:
    def test_has_no_problems(self) -> None:
        """The bundled catalogue passes every check the start-up makes."""
        assert [] == check(load().texts)

    @pytest.mark.parametrize("lang", LANGS)
    @pytest.mark.parametrize("name", sorted(SPECS))
    def test_template_fits_its_gsm7_budget(self, name: str, lang: Lang) -> None:
        """Each template, with the longest realistic values, is GSM-7 within its segment
        budget (one SMS, or 3 x 153 concatenated) with the room its free text needs."""
        spec = SPECS[name]
        text = load().texts[name][lang].format(**spec.sample(lang))
        length, limit = sms_length(text, spec.segments)
        budget = 160 if spec.segments == 1 else 153 * spec.segments
        assert (budget, True) == (limit, length + spec.fill_room <= limit), text

    @pytest.mark.parametrize("name", ["alert", "alert_urgent", "official_case"])
    def test_alerts_may_take_three_segments(self, name: str) -> None:
        """An alert and a case's details are one concatenated SMS of up to 3 segments."""
        assert 3 == SPECS[name].segments


class TestSmsLength:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Laporan diterima", (16, 160)),
            ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà", (42, 160)),  # basic table
            ("{receipt} [x] ~^|\\", (26, 160)),  # extension characters count 2
            ("5 €", (4, 160)),
            ("ç", (1, 70)),  # only the capital C cedilla is GSM-7
            ("Pelapor \u2019anonim\u2019", (16, 70)),  # one curly quote: UCS-2
            ("ok \U0001f600", (5, 70)),  # an emoji takes two UTF-16 units
        ],
    )
    def test_counts_as_the_network_does(self, text: str, expected: tuple[int, int]) -> None:
        """GSM 03.38 basic characters count 1, extension characters 2; anything else turns
        the SMS into UCS-2, counted in UTF-16 units against 70."""
        assert expected == sms_length(text)

    @pytest.mark.parametrize(
        ("text", "segments", "expected"),
        [
            ("Laporan", 1, (7, 160)),
            ("Laporan", 3, (7, 459)),  # 3 x 153: each concatenated segment loses 7 septets
            ("\u2019", 3, (1, 201)),  # 3 x 67 UTF-16 units
        ],
    )
    def test_concatenated_budget(self, text: str, segments: int, expected: tuple[int, int]) -> None:
        """Within several segments the limit is 153 septets (67 units) per segment."""
        assert expected == sms_length(text, segments)


BAD_OVERRIDES = [
    # (id, override file, the problem it must be refused with)
    ("unknown-template", '[repot_filed]\nid = "Laporan"', "repot_filed: unknown template"),
    (
        "extra-placeholder",
        '[report_filed]\nid = "Nomor {receipt}, kode {kode}, {code}"',
        "report_filed (id): unknown placeholder {kode} (this template has: {code}, {receipt})",
    ),
    (
        "missing-placeholder",
        '[report_filed]\nen = "Report received: {receipt}."',
        "report_filed (en): missing placeholder {code}",
    ),
    (
        "too-long-gsm7",
        f'[help]\nid = "{BRAND}{"x" * 148}"',
        "help (id): too long: 161 characters with the longest values, one GSM-7 SMS holds 160",
    ),
    (
        "too-long-extension-characters",
        f'[help]\nid = "{"[" * 81}"',
        "help (id): too long: 162 characters",
    ),
    (
        "too-long-ucs2",
        '[official_closed]\nid = "Laporan {receipt} ditutup. Terima kasih \u2019banyak\u2019 atas'
        ' kerja sama Bapak/Ibu."',
        "official_closed (id): too long: 77 characters with the longest values, one UCS-2"
        " (not GSM-7: '\u2019') SMS holds 70",
    ),
    (
        "no-room-for-the-story",
        f'[alert]\nid = "LAPORAN {{receipt}} {{category}}.{{details}} {"x" * 320} {{code}}"',
        "alert (id): too long: 371 characters with the longest values, 3 concatenated GSM-7 SMS"
        " hold 459, leaving 100 for {details}",
    ),
    ("unknown-language", '[help]\nfr = "Aide"', "help: unknown language 'fr' (use id, en, su)"),
    ("broken-brace", '[help]\nid = "Kirim {CEK"', "help (id): broken braces"),
    (
        "format-spec",
        '[status_unknown]\nid = "Nomor {receipt!r} tidak ada."',
        "status_unknown (id): placeholders take no format, index or attribute: {receipt}",
    ),
    ("not-a-table", 'help = "Kirim CEK"', "help: must be a table with id and/or en texts"),
    ("not-toml", "[help\nid = 1", "not valid TOML"),
    (
        "bad-provider-table",
        '[provider.africastalking.help]\nid = "Kirim {keyword}"',
        "provider.africastalking.help (id): unknown placeholder {keyword}",
    ),
    (
        "other-provider-table",  # checked even while Africa's Talking is in use
        '[provider.infobip.help]\nid = "Kirim {keyword}"',
        "provider.infobip.help (id): unknown placeholder {keyword}",
    ),
]


class TestOverrideRefused:
    @pytest.mark.parametrize(
        ("text", "problem"), [b[1:] for b in BAD_OVERRIDES], ids=[b[0] for b in BAD_OVERRIDES]
    )
    def test_names_the_template_and_the_problem(
        self, tmp_path: Path, text: str, problem: str
    ) -> None:
        """A wrong template is refused with a message naming it and what is wrong."""
        assert problem in refusal(override(tmp_path, text))

    def test_missing_file_is_refused(self, tmp_path: Path) -> None:
        """A file that is not there is refused, not silently ignored."""
        assert "cannot read" in refusal(tmp_path / "nowhere.toml")

    def test_every_problem_is_named_at_once(self, tmp_path: Path) -> None:
        """An operator fixing a file sees all its problems in one go."""
        path = override(tmp_path, '[helpp]\nid = "x"\n[status_unknown]\nen = "Not found."')
        problems = refusal(path).splitlines()
        assert 2 == len(problems), problems

    def test_stops_start_up_with_a_config_error(self, tmp_path: Path, config: Config) -> None:
        """An invalid HOTLINE_SMS_CATALOGUE stops create_app, naming the template."""
        path = override(tmp_path, '[report_filed]\nid = "Nomor {receipt}, kode {kode}, {code}"')
        with pytest.raises(ConfigError) as caught:
            create_app(replace(config, sms_catalogue=path), "postgresql://unused")
        expected = f"HOTLINE_SMS_CATALOGUE: {path}: report_filed (id): unknown placeholder {{kode}}"
        assert [True] == [p.startswith(expected) for p in caught.value.problems]

    def test_a_refused_file_leaves_the_wording_in_use(self, tmp_path: Path) -> None:
        """Nothing of a refused file is used, not even its valid templates."""
        before = sms.report_filed("123456789", "id")
        path = override(tmp_path, '[report_filed]\nid = "{receipt} {code}"\n[help]\nid = "{x}"')
        with pytest.raises(CatalogueError):
            sms_catalogue.use(load(path, "africastalking"))
        assert before == sms.report_filed("123456789", "id")


class TestOverrideApplied:
    def test_replaces_one_template_in_one_language(self, tmp_path: Path) -> None:
        """A template given in one language replaces only that one; the rest stays bundled."""
        bundled_en = sms.report_filed("123456789", "en")
        path = override(tmp_path, f'[report_filed]\nid = "{BRANDED_REPORT_FILED}"')
        sms_catalogue.use(load(path, "africastalking"))
        assert (
            BRAND + "Laporan diterima. Nomor: 1234-5678-9. Cek: SMS STATUS 123456789."
            " Jangan tulis nomor HP.",
            bundled_en,
        ) == (sms.report_filed("123456789", "id"), sms.report_filed("123456789", "en"))

    @pytest.mark.parametrize(
        ("provider", "branded"), [("infobip", True), ("africastalking", False)]
    )
    def test_provider_table_applies_to_its_provider_only(
        self, tmp_path: Path, provider: str, branded: bool
    ) -> None:
        """[provider.infobip.<template>] rewords for Infobip and leaves other providers alone."""
        path = override(tmp_path, f'[provider.infobip.report_filed]\nid = "{BRANDED_REPORT_FILED}"')
        sms_catalogue.use(load(path, provider))
        assert branded == sms.report_filed("123456789", "id").startswith(BRAND)

    def test_provider_table_wins_over_the_common_one(self, tmp_path: Path) -> None:
        """A provider's own wording replaces the operator's wording for every provider."""
        path = override(
            tmp_path,
            '[official_stopped]\nid = "Berhenti."\n'
            '[provider.infobip.official_stopped]\nid = "PMI-Hotline: berhenti."',
        )
        sms_catalogue.use(load(path, "infobip"))
        assert "PMI-Hotline: berhenti." == sms.official_reply("stopped", "")

    def test_alert_story_is_cut_to_the_room_a_longer_frame_leaves(self, tmp_path: Path) -> None:
        """A branded alert still fits 3 segments: the story gets the room that is left."""
        frame = BRAND + "LAPORAN {receipt} {category}.{details} Balas: OK {code} / TANYA {code}"
        sms_catalogue.use(load(override(tmp_path, f'[alert]\nid = "{frame}"'), "africastalking"))
        text = sms.alert_text("123456789", "calo", "Kragilan", "Ds. Sukajadi", "PT X", "y" * 900)
        assert (True, 459) == (text.startswith(BRAND + "LAPORAN 1234-5678-9"), len(text))

    def test_ucs2_alert_fits_three_ucs2_segments(self, tmp_path: Path) -> None:
        """An alert worded outside GSM-7 is cut to 3 concatenated UCS-2 segments, 3 x 67."""
        frame = "\u2019{receipt}\u2019 {category}.{details} {code}"
        sms_catalogue.use(load(override(tmp_path, f'[alert]\nid = "{frame}"'), "africastalking"))
        text = sms.alert_text("123456789", "calo", "Kragilan", None, None, "y" * 900)
        assert (201, 201) == sms_length(text, 3), text

    async def test_served_replies_use_the_operator_wording(
        self,
        tmp_path: Path,
        config: Config,
        sample_db: str,
        conn: asyncpg.Connection,
        aiohttp_client,  # type: ignore[no-untyped-def]
    ) -> None:
        """With HOTLINE_SMS_CATALOGUE set, a tip filed by SMS is answered in that wording."""
        path = override(
            tmp_path,
            f'[provider.africastalking.report_filed]\nid = "{BRANDED_REPORT_FILED}"',
        )
        client = await aiohttp_client(create_app(replace(config, sms_catalogue=path), sample_db))
        reply = await reply_to(client, conn, "LAPOR calo minta biaya 20 juta di desa")
        assert re.fullmatch(
            re.escape(BRAND) + r"Laporan diterima\. Nomor: \d{4}-\d{4}-\d\. Cek: SMS STATUS"
            r" \d{9}\. Jangan tulis nomor HP\.",
            reply,
        ), reply


LONG_HOLDER = "DISNAKER,IMIGRASI"  # the longest pair of agency kinds a resident may read


class TestFreeTextIsCutToFit:
    @pytest.mark.parametrize("lang", LANGS)
    @pytest.mark.parametrize("status", cases.STATUSES)
    def test_status_with_a_long_question_is_one_sms(self, lang: Lang, status: str) -> None:
        """However long the officials' question, the status reply stays one SMS and keeps the
        way to answer it."""
        tip = TipStatus("123456789", status, "calo", None, 7, "Kapan " * 40, holder=LONG_HOLDER)
        text = sms.status_reply(tip, lang)
        assert (True, True) == (sms_length(text)[0] <= 160, text.endswith(">")), text

    @pytest.mark.parametrize("lang", LANGS)
    def test_long_message_is_cut_to_one_sms(self, lang: Lang) -> None:
        """However long the officials' latest message, the status reply stays one SMS and says
        the message goes on."""
        tip = TipStatus("123456789", "diteruskan", "calo", "Kami " * 60, None, None)
        text = sms.status_reply(replace(tip, holder=LONG_HOLDER), lang)
        assert (True, True) == (sms_length(text)[0] <= 160, text.endswith("..")), text

    @pytest.mark.parametrize("lang", LANGS)
    def test_long_history_keeps_the_newest_steps(self, lang: Lang) -> None:
        """A long history keeps the newest steps that fit in one SMS, oldest first."""
        steps = [(date(2026, 12, d), s, "POLRES") for d in (1, 2, 3) for s in cases.STATUSES]
        tip = TipStatus("123456789", "tidak_terbukti", "calo", None, None, None, steps=steps)
        text = sms.status_reply(tip, lang)
        assert sms_length(text)[0] <= 160, text
        assert text.endswith("03/12 " + t("status.bukan_wewenang", lang)), text
        assert "01/12" not in text


class TestConfig:
    def test_setting_names_the_file(self) -> None:
        """HOTLINE_SMS_CATALOGUE is read as the path of the operator's catalogue."""
        config = Config.from_env({"HOTLINE_SMS_CATALOGUE": "/etc/pmi-hotline/sms.toml"})
        assert Path("/etc/pmi-hotline/sms.toml") == config.sms_catalogue
