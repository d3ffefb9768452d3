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
    "main.report": Text("Lapor (rahasia)", "Report (confidential)"),
    "main.status": Text("Cek laporan saya", "Check my report"),
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
    "check.list": Text("Pilih PT ({page}/{pages}):", "Pick an agency ({page}/{pages}):"),
    "check.none": Text(
        '"{query}" TIDAK ditemukan di daftar P3MI berizin.',
        '"{query}" NOT found among licensed P3MI.',
    ),
    "check.warning": Text(
        "Jangan bayar/serahkan dokumen. Tanya Disnaker, telp 0800-1000.",
        "Do not pay or hand over papers. Ask Disnaker, call 0800-1000.",
    ),
    "check.again": Text("Cari lagi", "Search again"),
    "status.aktif": Text("BERIZIN s/d {valid_until}", "LICENSED until {valid_until}"),
    "status.aktif_open": Text("BERIZIN", "LICENSED"),
    "status.dihentikan_sementara": Text("IZIN DIHENTIKAN {until}", "SUSPENDED {until}"),
    "status.dicabut": Text("IZIN DICABUT {since}", "REVOKED {since}"),
    "status.kedaluwarsa": Text("IZIN HABIS {valid_until}", "EXPIRED {valid_until}"),
    "status.until": Text("s/d {day}", "until {day}"),
    "detail.head_office": Text("Pusat: {city}", "HQ: {city}"),
    "detail.branch_yes": Text("Cabang Serang: ada", "Serang branch: yes"),
    "detail.branch_no": Text("Cabang Serang: tidak", "Serang branch: no"),
    "detail.reminder": Text("Izin bukan jaminan kerja.", "Licence is no job guarantee."),
    "detail.report": Text("Laporkan", "Report it"),
    "problem.receipt_typo": Text("Nomor salah ketik, cek lagi.", "Mistyped number, check it."),
    "problem.describe": Text("Ceritakan sedikit lebih.", "Please tell a little more."),
    "report.limited": Text(
        "Maaf, Anda sudah mengirim {limit} laporan dalam 1 jam. Coba lagi nanti. Jika darurat"
        " telp 110 atau KP2MI 0800-1000.",
        "Sorry, you sent {limit} reports within 1 hour. Please try later. In an emergency call"
        " 110 or KP2MI 0800-1000.",
    ),
    "report.resume": Text(
        "Ada laporan Anda yang belum terkirim.", "You have a report that was not sent."
    ),
    "report.not_filed": Text(
        "Maaf, laporan belum terkirim karena gangguan. Hubungi lagi dalam {minutes} menit dan"
        " pilih Lapor > Lanjutkan: laporan Anda masih tersimpan.",
        "Sorry, your report was not sent because of a fault. Dial again within {minutes} minutes"
        " and choose Report > Continue: your report is kept.",
    ),
    "report.continue": Text("Lanjutkan", "Continue"),
    "report.restart": Text("Mulai baru", "Start over"),
    "report.category": Text("Lapor rahasia:", "Confidential report:"),
    "cat.bahaya": Text("BAHAYA sekarang", "DANGER now"),
    "cat.calo": Text("Calo/sponsor", "Calo/sponsor"),
    "cat.biaya": Text("Biaya besar", "Large fees"),
    "cat.dokumen": Text("Dokumen ditahan", "Documents held"),
    "cat.visa": Text("Visa turis", "Tourist visa"),
    "cat.tujuan": Text("Negara terlarang", "Banned country"),
    "cat.lainnya": Text("Lainnya", "Other"),
    "report.kecamatan": Text(
        "Kecamatan? Ketik nama atau pilih ({page}/{pages}):",
        "Kecamatan? Type its name or pick ({page}/{pages}):",
    ),
    "report.kecamatan_none": Text("Kecamatan tidak ditemukan.", "No such kecamatan."),
    "report.desa": Text("Nama desa? Ketik, atau pilih:", "Village (desa)? Type it, or pick:"),
    "report.skip": Text("Lewati", "Skip"),
    "report.agency": Text(
        "Nama PT/calo yang merekrut? Ketik, atau pilih:",
        "Name of the agency or recruiter? Type it, or pick:",
    ),
    "report.agency_pick": Text("Yang Anda maksud?", "Which one do you mean?"),
    "report.agency_typed": Text('Pakai "{name}"', 'Use "{name}"'),
    "report.describe": Text(
        "Ceritakan singkat apa yang terjadi. Jangan tulis nama atau nomor HP Anda:",
        "Briefly tell what happened. Do not write your name or phone number:",
    ),
    "report.confirm": Text(
        "Kirim laporan rahasia?\n{summary}", "Send confidential report?\n{summary}"
    ),
    "report.send": Text("Kirim", "Send"),
    "report.send_sms": Text("Kirim + SMS nomor laporan", "Send + SMS me the number"),
    "report.done": Text(
        "Laporan diterima, terima kasih. Nomor laporan: {receipt}\nSimpan nomor ini untuk cek"
        " status di menu 3. Identitas Anda dirahasiakan.",
        "Report received, thank you. Report number: {receipt}\nKeep it to check the status in"
        " menu 3. Your identity is kept secret.",
    ),
    "report.done_urgent": Text(
        "Laporan DARURAT diterima: {receipt}\nPetugas segera diberi tahu. Jika nyawa terancam"
        " telp 110 sekarang.",
        "URGENT report received: {receipt}\nOfficials are alerted now. If a life is at risk"
        " call 110 now.",
    ),
    "status.prompt": Text(
        "Ketik nomor laporan Anda (9 angka):", "Type your report number (9 digits):"
    ),
    "status.unknown": Text(
        "Nomor laporan {receipt} tidak ditemukan.", "Report number {receipt} not found."
    ),
    "status.again": Text("Coba lagi", "Try again"),
    "status.diterima": Text("Diterima", "Received"),
    "status.diteruskan": Text("Diteruskan ke petugas", "Forwarded to officials"),
    "status.diproses": Text("Sedang ditangani", "In progress"),
    "status.ditutup": Text("Selesai", "Closed"),
    "status.line": Text("Laporan {receipt}: {status}", "Report {receipt}: {status}"),
    "status.message": Text("Petugas: {message}", "Official: {message}"),
    "status.question": Text("Pertanyaan petugas: {question}", "Official asks: {question}"),
    "status.answer": Text("Jawab pertanyaan", "Answer the question"),
    "status.answer_prompt": Text("Ketik jawaban Anda:", "Type your answer:"),
    "status.answered": Text(
        "Jawaban terkirim ke petugas, terima kasih. Cek lagi nanti di menu 3.",
        "Answer sent to the officials, thank you. Check again later in menu 3.",
    ),
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
