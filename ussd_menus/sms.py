"""
SMS keywords and replies, in Bahasa Indonesia with English aliases: pure parsing and wording.

Keywords are matched case-insensitively, tolerating a typo (LAPRO, STATSU) and extra spaces.
Replies are kept to one 160-character GSM-7 segment where the content allows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import DamerauLevenshtein

from ussd_menus.agency_check import status_line
from ussd_menus.model import AgencyRecord, Context, Env, Lang
from ussd_menus.receipts import show_receipt
from ussd_menus.texts import plain, t

# keyword -> (command, reply language)
KEYWORDS: dict[str, tuple[str, Lang]] = {
    "LAPOR": ("report", "id"),
    "REPORT": ("report", "en"),
    "STATUS": ("status", "id"),
    "CEK": ("check", "id"),
    "CHECK": ("check", "en"),
    "JAWAB": ("answer", "id"),
    "ANSWER": ("answer", "en"),
    "INFO": ("info", "id"),
    "BANTUAN": ("help", "id"),
    "HELP": ("help", "en"),
}
_FIRST_WORD = re.compile(r"^\s*([A-Za-z]+)[\s:#.,*-]*(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed inbound SMS: what is asked, in which language, and the rest of the text."""

    name: str
    lang: Lang
    rest: str


def parse(text: str) -> Command:
    """The command in an SMS; anything unrecognised is 'unknown'."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return Command("unknown", "id", text.strip())
    word, rest = match.group(1).upper(), match.group(2).strip()
    if word in KEYWORDS:
        name, lang = KEYWORDS[word]
        if name == "check" and rest.upper().startswith("STATUS"):  # 'CEK STATUS 1234..'
            return Command("status", lang, rest[6:].strip())
        return Command(name, lang, rest)
    best = min(KEYWORDS, key=lambda k: DamerauLevenshtein.distance(word, k))
    allowed = 1 if len(best) <= 5 else 2
    if len(word) >= 3 and DamerauLevenshtein.distance(word, best) <= allowed:
        name, lang = KEYWORDS[best]
        return Command(name, lang, rest)
    return Command("unknown", "id", text.strip())


SMS_TEXTS: dict[str, tuple[str, str]] = {
    "help": (
        "Layanan Info Kerja LN. Kirim: CEK <nama PT> | LAPOR <cerita> (rahasia) |"
        " STATUS <nomor laporan> | INFO. Darurat: 110, KP2MI 0800-1000.",
        "Work Abroad Info. Send: CHECK <agency> | REPORT <story> (confidential) |"
        " STATUS <report number> | INFO. Emergency: 110, KP2MI 0800-1000.",
    ),
    "info": (
        "Kerja LN resmi: daftar di desa & Disnakertrans, lewat PT (P3MI) berizin, visa kerja,"
        " tanpa biaya penempatan. Jangan lewat calo. Tanya: KP2MI 0800-1000.",
        "Legal work abroad: register at your village and Disnakertrans, go through a licensed"
        " P3MI, work visa, no placement fee. Avoid calo. Ask: KP2MI 0800-1000.",
    ),
    "receipt": (
        "Nomor laporan: {receipt}. Cek status: menu 3, atau SMS STATUS {code}."
        " Simpan nomor ini, jangan bagikan.",
        "Report number: {receipt}. Check its status: menu 3, or SMS STATUS {code}."
        " Keep it, do not share it.",
    ),
    "report_empty": (
        "Tulis cerita setelah LAPOR, mis: LAPOR calo minta biaya 10 juta di desa X."
        " Identitas Anda dirahasiakan. Jangan tulis nomor HP.",
        "Write the story after REPORT, e.g.: REPORT a calo asked 10 million in village X."
        " Your identity is kept secret. Do not write phone numbers.",
    ),
    "report_filed": (
        "Laporan diterima, terima kasih. Nomor laporan: {receipt}. Cek: SMS STATUS {code}."
        " Identitas Anda dirahasiakan. Jangan tulis nomor HP di laporan.",
        "Report received, thank you. Report number: {receipt}. Check: SMS STATUS {code}."
        " Your identity is kept secret. Do not write phone numbers in reports.",
    ),
    "report_limited": (
        "Maaf, Anda sudah mengirim {limit} laporan dalam 1 jam. Coba lagi nanti."
        " Darurat: 110 atau KP2MI 0800-1000.",
        "Sorry, you sent {limit} reports within 1 hour. Please try later."
        " Emergency: 110 or KP2MI 0800-1000.",
    ),
    "status_typo": (
        "Nomor laporan salah ketik. Cek lagi 9 angkanya, mis: STATUS 123456789.",
        "The report number is mistyped. Check its 9 digits, e.g.: STATUS 123456789.",
    ),
    "status_busy": (
        "Maaf, cek nomor laporan sedang dibatasi. Coba lagi beberapa jam lagi."
        " Darurat: 110 atau KP2MI 0800-1000.",
        "Sorry, report number checks are limited right now. Please try again in a few hours."
        " Emergency: 110 or KP2MI 0800-1000.",
    ),
    "status_unknown": (
        "Nomor laporan {receipt} tidak ditemukan.",
        "Report number {receipt} not found.",
    ),
    "status_question": (
        " Pertanyaan petugas: {question} Balas: JAWAB {code} <jawaban>",
        " Official asks: {question} Reply: ANSWER {code} <answer>",
    ),
    "answer_sent": (
        "Jawaban terkirim ke petugas, terima kasih.",
        "Answer sent to the officials, thank you.",
    ),
    "answer_none": (
        "Tidak ada pertanyaan terbuka untuk laporan {receipt}.",
        "There is no open question on report {receipt}.",
    ),
    "answer_format": (
        "Format: JAWAB <nomor laporan> <jawaban>",
        "Format: ANSWER <report number> <answer>",
    ),
    "check_empty": (
        "Ketik nama PT atau nomor izin setelah CEK, mis: CEK PT Contoh Jaya.",
        "Type the agency name or licence number after CHECK, e.g.: CHECK PT Contoh Jaya.",
    ),
    "check_many": (
        "Ditemukan: {names}. Kirim CEK dengan nama lengkap.",
        "Found: {names}. Send CHECK with the full name.",
    ),
}


def say(key: str, lang: Lang, **values: object) -> str:
    """An SMS reply text."""
    texts = SMS_TEXTS[key]
    return (texts[0] if lang == "id" else texts[1]).format(**values)


def report_filed(receipt: str, lang: Lang) -> str:
    """The reply to a filed SMS tip."""
    return say("report_filed", lang, receipt=show_receipt(receipt), code=receipt)


def check_reply(query: str, matches: Sequence[AgencyRecord], today: date, lang: Lang) -> str:
    """The agency check, as the USSD result screen says it, in one SMS."""
    if not matches:
        return t("check.none", lang, query=plain(query, 30)) + " " + t("check.warning", lang)
    if len(matches) > 1:
        names = "; ".join(plain(a.name, 34) for a in matches[:3])
        return say("check_many", lang, names=names)
    agency = matches[0]
    ctx = Context(lang, Env(agencies=_Nothing(), today=today))
    branch = "detail.branch_yes" if agency.has_serang_branch else "detail.branch_no"
    parts = [
        plain(agency.name, 40) + ":",
        status_line(agency, ctx) + ".",
        t("detail.head_office", lang, city=plain(agency.head_office_city or "-", 24)) + ".",
        t(branch, lang) + ".",
        t("detail.reminder", lang),
    ]
    return " ".join(parts)


def status_reply(
    receipt: str,
    status: str,
    latest: str | None,
    question: str | None,
    lang: Lang,
) -> str:
    """A tip's status in one SMS: status, then the open question or the latest message."""
    line = t("status.line", lang, receipt=show_receipt(receipt), status=t(f"status.{status}", lang))
    if question:
        return line + "." + say("status_question", lang, question=plain(question, 70), code=receipt)
    if latest:
        return line + ". " + t("status.message", lang, message=plain(latest, 90))
    return line + "."


class _Nothing:
    def search(self, query: str) -> list[AgencyRecord]:
        return []

    def get(self, licence_number: str) -> AgencyRecord | None:
        return None


ALERT_LIMIT = 160  # one GSM-7 segment


def alert_text(
    receipt: str,
    category: str,
    kecamatan: str | None,
    desa: str | None,
    agency: str | None,
    description: str | None,
) -> str:
    """An alert to officials in one SMS segment: what, where, who, the story's start, how to
    reply. Nothing about the reporter: there is nothing about them to say."""
    urgent = "DARURAT! " if category == "bahaya" else ""
    label = t(f"cat.{category}", "id")
    place = ", ".join(
        p for p in (f"Kec. {kecamatan}" if kecamatan else "", f"Ds. {desa}" if desa else "") if p
    )
    tail = f" Balas: OK {receipt} / TANYA {receipt} <isi>"
    head = f"{urgent}LAPORAN {show_receipt(receipt)} {label}."
    for extra, limit in ((place, 40), (agency, 30)):
        if extra and len(head) + len(tail) + limit + 2 <= ALERT_LIMIT:
            head += f" {plain(extra, limit)}."
    room = ALERT_LIMIT - len(head) - len(tail) - 1
    story = plain(description or "", max(room, 0)) if room >= 12 else ""
    return f"{head} {story}{tail}" if story else f"{head}{tail}"


def official_reply(key: str, receipt: str) -> str:
    """Replies to officials' commands (Indonesian: the officials' working language)."""
    texts = {
        "ok": "Terima kasih. Laporan {r} dicatat sedang ditangani.",
        "asked": "Pertanyaan dikirim. Pelapor membacanya lewat nomor laporan {r}; identitasnya"
        " tetap rahasia.",
        "closed": "Laporan {r} ditutup. Terima kasih.",
        # A question or note asking who the reporter is (ussd_menus/identity_requests.py).
        "asked_held": "Pertanyaan untuk laporan {r} ditahan untuk diperiksa staf: pelapor"
        " anonim, jangan tanyakan nama, KTP, alamat atau nomor HP.",
        "closed_held": "Laporan {r} ditutup. Catatan ditahan untuk diperiksa staf: pelapor"
        " anonim, jangan tanyakan nama, KTP, alamat atau nomor HP.",
        "unknown": "Nomor laporan {r} tidak dikenal. Cek lagi nomornya.",
        "format": "Format: OK <nomor> | TANYA <nomor> <pertanyaan> | SELESAI <nomor> <catatan>"
        " | INFO <nomor>",
        "stopped": "Anda tidak akan menerima SMS dari layanan ini lagi.",
    }
    return texts[key].format(r=show_receipt(receipt) if receipt else "")


OFFICIAL_COMMANDS = {"OK": "ok", "OKE": "ok", "TANYA": "ask", "SELESAI": "close", "INFO": "info"}
STOP_WORDS = frozenset({"BERHENTI", "STOP", "UNREG"})


def parse_official(text: str) -> Command | None:
    """An official's command (OK/TANYA/SELESAI/INFO <code> ...), or None if it is not one."""
    match = _FIRST_WORD.match(text)
    if match is None:
        return None
    word, rest = match.group(1).upper(), match.group(2).strip()
    best = min(OFFICIAL_COMMANDS, key=lambda k: DamerauLevenshtein.distance(word, k))
    if word != best and (len(word) < 4 or DamerauLevenshtein.distance(word, best) > 1):
        return None
    return Command(OFFICIAL_COMMANDS[best], "id", rest)


def is_stop(text: str) -> bool:
    """BERHENTI, STOP or UNREG, alone."""
    return text.strip().upper().rstrip(".!") in STOP_WORDS
