"""
Every fixed string the menus show, in Bahasa Indonesia and English.

Plain ASCII only: one curly quote or emoji switches a USSD screen to UCS-2 and halves its room.
The service title is neutral on purpose; a resident may be watched by the recruiter.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import NamedTuple

from ussd_menus.model import Lang


class Text(NamedTuple):
    """One string in both languages."""

    id: str
    en: str


TEXTS: dict[str, Text] = {
    "main.title": Text("Layanan Info Kerja Luar Negeri", "Work Abroad Information"),
    "main.check": Text("Cek perusahaan (P3MI)", "Check an agency (P3MI)"),
    "main.info": Text("Info kerja LN yang aman", "Safe migration info"),
    "main.lang": Text("Bahasa/Language", "Language/Bahasa"),
    "main.exit": Text("0 Keluar", "0 Exit"),
    "goodbye": Text(
        "Terima kasih. Ragu soal tawaran kerja LN? Telp KP2MI 0800-1000 (gratis).",
        "Thank you. Unsure about a job abroad? Call KP2MI 0800-1000 (free).",
    ),
    "nav.footer": Text("0 Kembali 00 Menu", "0 Back 00 Menu"),
    "nav.more": Text("99 Lanjut", "99 Next"),
    "problem.choice": Text("Pilihan salah.", "Invalid choice."),
    "problem.too_short": Text("Ketik minimal 3 huruf.", "Type at least 3 letters."),
    "lang.title": Text("Pilih bahasa:", "Choose a language:"),
    "lang.id": Text("Bahasa Indonesia", "Bahasa Indonesia"),
    "lang.en": Text("English", "English"),
    "check.prompt": Text(
        "Ketik nama perusahaan atau nomor izin (SIP3MI):",
        "Type the agency name or licence number (SIP3MI):",
    ),
    "check.list": Text("Pilih perusahaan ({page}/{pages}):", "Choose an agency ({page}/{pages}):"),
    "check.none": Text(
        '"{query}" TIDAK ditemukan di daftar P3MI berizin. Jangan bayar/serahkan dokumen.'
        " Tanya Disnaker/Kades atau telp 0800-1000.",
        '"{query}" NOT found among licensed P3MI. Do not pay or hand over documents.'
        " Ask Disnaker/village head or call 0800-1000.",
    ),
    "check.again": Text("Cari lagi", "Search again"),
    "status.aktif": Text("BERIZIN s/d {valid_until}", "LICENSED until {valid_until}"),
    "status.aktif_open": Text("BERIZIN", "LICENSED"),
    "status.dihentikan_sementara": Text(
        "IZIN DIHENTIKAN SEMENTARA {until}", "LICENCE SUSPENDED {until}"
    ),
    "status.dicabut": Text("IZIN DICABUT {since}", "LICENCE REVOKED {since}"),
    "status.kedaluwarsa": Text("IZIN HABIS {valid_until}", "LICENCE EXPIRED {valid_until}"),
    "status.until": Text("s/d {day}", "until {day}"),
    "detail.head_office": Text("Pusat: {city}", "Head office: {city}"),
    "detail.branch_yes": Text("Cabang Kab. Serang: ada", "Branch in Serang: yes"),
    "detail.branch_no": Text("Cabang Kab. Serang: tidak", "Branch in Serang: no"),
    "detail.reminder": Text("Izin bukan jaminan kerja.", "A licence is no job guarantee."),
    "info.title": Text("Info kerja aman:", "Safe migration:"),
}


def t(key: str, lang: Lang, **values: object) -> str:
    """The string for key in lang, formatted with values."""
    text = TEXTS[key].id if lang == "id" else TEXTS[key].en
    return text.format(**values) if values else text


def plain(value: str, limit: int) -> str:
    """Outside data made screen-safe: ASCII only, one line, at most `limit` characters."""
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    # GSM-7 extension characters cost two slots and some handsets drop them.
    cleaned = " ".join(ascii_only.translate(_GSM_EXTENSION).split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 2].rstrip() + ".."


_GSM_EXTENSION = str.maketrans("[]{}|^~\\`", "()()/    ")


def day(value: date) -> str:
    """A date as residents write it."""
    return value.strftime("%d-%m-%Y")
