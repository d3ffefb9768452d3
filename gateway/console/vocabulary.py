"""
One vocabulary for every stored code a person reads: SMS delivery statuses, the causes of an SMS
(`alert:new`, `case:taken`, ...), the delivery timeline's events, provider failure reasons, case
statuses, tip categories, channels, USSD menu steps, recipient kinds and console roles.

Codes stay in the database and in attributes (`data-status`, `value=`); people read labels, in
Indonesian or English, from here only: console pages, charts, CSV exports. Case statuses and tip
categories are not worded here but in the residents' catalogues (`status.<code>`, `cat.<code>`),
so that staff, officials and residents read the same words for the same state.

`stored_codes()` lists every code taken from the code itself (the enums), for the test that no
page shows a raw code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from gateway.console.auth import ROLES_ALL
from gateway.core.messages import DeliveryStatus
from storage.reads import OUTBOX_STATUSES
from storage.tips import CATEGORIES
from ussd_menus import catalogue
from ussd_menus.cases import CHANNELS as CASE_CHANNELS
from ussd_menus.cases import STATUSES as CASE_STATUSES

Label = tuple[str, str]  # (Indonesian, English)

SMS_STATUSES: dict[str, Label] = {
    "queued": ("Menunggu dikirim", "Waiting to send"),
    "sending": ("Sedang dikirim", "Sending"),
    "sent": ("Terkirim ke operator", "Sent to the network"),
    "delivered": ("Sampai di HP", "Delivered to the phone"),
    "failed": ("Gagal (permanen)", "Failed (permanent)"),
    "dead": ("Gagal setelah semua percobaan", "Failed after every attempt"),
    "held": ("Ditahan", "Held"),
    "cancelled": ("Dibatalkan", "Cancelled"),
}

# What an SMS was sent for: the cause's first part, or its first two parts when they say more.
SMS_CAUSES: dict[str, Label] = {
    "alert": ("Peringatan laporan", "Tip alert"),
    "alert:new": ("Peringatan laporan baru", "New tip alert"),
    "alert:escalated": ("Peringatan eskalasi", "Escalation alert"),
    "alert:resend": ("Peringatan dikirim ulang", "Alert sent again"),
    "case": ("Balasan perintah kasus", "Case command reply"),
    "case:taken": ("Kabar: kasus diambil rekan", "Notice: a colleague took the case"),
    "case:answer": ("Jawaban pelapor ke petugas", "Reporter's answer to the official"),
    "receipt": ("Kode laporan untuk pelapor", "Receipt for the reporter"),
    "reply": ("Balasan SMS", "SMS reply"),
    "info": ("Info untuk warga", "Information for a resident"),
    "consent": ("Permintaan persetujuan data", "Consent request"),
    "consent-confirmed": ("Data calon pekerja tercatat", "Migrant record confirmed"),
    "broadcast": ("Sosialisasi SMS", "SMS broadcast"),
    "rekap": ("Rekap mingguan", "Weekly digest"),
    "official": ("Balasan perintah petugas", "Official's command reply"),
}

# A delivery report's status (gateway/core/messages.py DeliveryStatus), first word of its detail.
REPORT_STATUSES: dict[str, Label] = {
    "queued": ("Di antrean penyedia", "Queued at the provider"),
    "sent": ("Diteruskan ke operator seluler", "Passed to the network"),
    "delivered": ("Sampai di HP", "Delivered to the phone"),
    "failed_temporary": ("Gagal sementara", "Failed for now"),
    "failed_permanent": ("Gagal permanen", "Failed permanently"),
    "expired": ("Kedaluwarsa", "Expired"),
    "rejected": ("Ditolak", "Refused"),
    "unknown": ("Status tidak dikenal", "Unknown status"),
}

SMS_EVENTS: dict[str, Label] = {
    "queued": ("Masuk antrean", "Queued"),
    "accepted": ("Diterima penyedia SMS", "Accepted by the SMS provider"),
    "retry": ("Gagal sementara, dicoba lagi nanti", "Temporary failure, retry scheduled"),
    "failed": ("Gagal permanen", "Failed permanently"),
    "dead": ("Surat mati: percobaan habis", "Dead letter: out of attempts"),
    "report": ("Laporan pengiriman operator", "Delivery report"),
    "escalated": ("Dieskalasi", "Escalated"),
    "paused": ("Ditahan: pengiriman dijeda", "Held: sending paused"),
    "requeued": ("Diantrekan ulang", "Queued again"),
    "released": ("Dilepas setelah banjir laporan", "Released after a tip flood"),
    "cancelled": ("Dibatalkan", "Cancelled"),
}

RECIPIENTS: dict[str, Label] = {
    "resident": ("Warga", "Resident"),
    "official": ("Petugas", "Official"),
}

ROLES: dict[str, Label] = {
    "operator": ("Operator", "Operator"),
    "investigator": ("Penyelidik", "Investigator"),
    "admin": ("Admin", "Admin"),
}

TIP_CHANNELS: dict[str, Label] = {
    "ussd": ("USSD", "USSD"),
    "sms": ("SMS", "SMS"),
    "console": ("Konsol", "Console"),
    "system": ("Sistem", "System"),
    "official": ("Petugas", "Official"),
}

# Why a tip was read (tip_reads.purpose; gateway/console/tips.py, delivery.py, coordination.py,
# sms_inbound.py INFO_PURPOSE, api.py), in the audit page.
READ_PURPOSES: dict[str, Label] = {
    "console": ("Halaman laporan di konsol", "The tip's console page"),
    "console: alert SMS": ("Isi SMS peringatan di konsol", "An alert's text in the console"),
    "console: coordination export": ("Ekspor rekap koordinasi", "Coordination export"),
    "sms: INFO": ("Perintah INFO lewat SMS", "INFO command by SMS"),
    "api": ("API", "API"),
}

# The USSD menu steps (gateway/console/charts.py JOURNEY) as a caller meets them.
MENU_STEPS: dict[str, Label] = {
    "main": ("Menu utama", "Main menu"),
    "lang": ("Pilih bahasa", "Choose language"),
    "check": ("Cek P3MI: ketik nama", "Check agency: type a name"),
    "check_list": ("Cek P3MI: daftar hasil", "Check agency: results"),
    "check_detail": ("Cek P3MI: rincian", "Check agency: details"),
    "check_none": ("Cek P3MI: tidak ditemukan", "Check agency: not found"),
    "report": ("Lapor: mulai", "Report: start"),
    "report_cat": ("Lapor: pilih jenis", "Report: choose kind"),
    "report_danger": ("Lapor: bahaya", "Report: danger"),
    "report_kec": ("Lapor: ketik kecamatan", "Report: type kecamatan"),
    "report_kec_ok": ("Lapor: kecamatan cocok", "Report: kecamatan matched"),
    "report_kec_pick": ("Lapor: pilih kecamatan", "Report: pick kecamatan"),
    "report_desa": ("Lapor: ketik desa", "Report: type desa"),
    "report_desa_ok": ("Lapor: desa cocok", "Report: desa matched"),
    "report_desa_pick": ("Lapor: pilih desa", "Report: pick desa"),
    "report_agency": ("Lapor: nama P3MI", "Report: agency name"),
    "report_agency_pick": ("Lapor: pilih P3MI", "Report: pick agency"),
    "report_desc": ("Lapor: cerita", "Report: account"),
    "report_confirm": ("Lapor: konfirmasi", "Report: confirm"),
    "report_done": ("Lapor: selesai", "Report: done"),
    "report_bye": ("Lapor: keluar", "Report: left"),
    "report_sms": ("Lapor: lewat SMS", "Report: by SMS"),
    "status": ("Cek status: ketik kode", "Status: type receipt"),
    "status_view": ("Cek status: lihat", "Status: view"),
    "status_answer": ("Cek status: menjawab", "Status: answering"),
    "status_answered": ("Cek status: terjawab", "Status: answered"),
    "info": ("Info: menu", "Info: menu"),
    "info_page": ("Info: halaman", "Info: page"),
    "exit": ("Keluar", "Exit"),
    "unknown": ("Tidak dikenal", "Unknown"),
}

# Staff read one status differently from the reporter ("your answer" is the reporter's).
_STAFF_STATUS: dict[str, Label] = {
    "menunggu_pelapor": ("Menunggu jawaban pelapor", "Waiting for the reporter's answer"),
}

_TABLES: dict[str, dict[str, Label]] = {
    "sms_status": SMS_STATUSES,
    "sms_cause": SMS_CAUSES,
    "sms_event": SMS_EVENTS,
    "report_status": REPORT_STATUSES,
    "recipient": RECIPIENTS,
    "role": ROLES,
    "channel": TIP_CHANNELS,
    "step": MENU_STEPS,
    "read_purpose": READ_PURPOSES,
}


def _pick(label: Label, lang: str) -> str:
    return label[0] if lang == "id" else label[1]


def case_status(code: str, lang: str) -> str:
    """A case status in the words residents read on STATUS (the catalogue's `status.<code>`)."""
    if code in _STAFF_STATUS:
        return _pick(_STAFF_STATUS[code], lang)
    texts = catalogue.active().texts
    return texts.get(lang, texts["id"]).get(f"status.{code}", code)


def category(code: str, lang: str) -> str:
    """A tip category in the words of the USSD menu (`cat.<code>`)."""
    texts = catalogue.active().texts
    return texts.get(lang, texts["id"]).get(f"cat.{code}", code)


def sms_cause(cause: str, lang: str) -> str:
    """What an SMS was for: the longest known prefix of its cause (`alert:new:...`)."""
    parts = cause.split(":")
    for size in (2, 1):
        label = SMS_CAUSES.get(":".join(parts[:size]))
        if label:
            return _pick(label, lang)
    return cause


def label(kind: str, code: str | None, lang: str) -> str:
    """The label of a stored code of this kind; the code itself when it is unknown."""
    if code is None or code == "":
        return "-"
    if kind == "case_status":
        return case_status(code, lang)
    if kind == "category":
        return category(code, lang)
    if kind == "sms_cause":
        return sms_cause(code, lang)
    if kind == "alert_reason":
        return sms_cause(f"alert:{code}", lang)
    found = _TABLES[kind].get(code)
    return _pick(found, lang) if found else code


@dataclass(frozen=True, slots=True)
class Failure:
    """A provider's failure reason read for an operator: what went wrong and what to do."""

    key: str  # the FAILURES key
    code: str  # the provider's own code, shown beside the words
    permanent: bool  # sending the same message again cannot help


# Provider reasons (gateway/providers/*/sender.py, infobip/webhooks.py) by what they mean.
_FAILURE_PATTERNS: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    (
        "wrong_number",
        re.compile(
            r"InvalidPhoneNumber|invalid number|not an E\.164|EC_UNKNOWN_SUBSCRIBER"
            r"|UNKNOWN_SUBSCRIBER|INVALID_DESTINATION|DESTINATION_ADDRESS|EC_ILLEGAL_SUBSCRIBER",
            re.IGNORECASE,
        ),
        True,
    ),
    ("absent", re.compile(r"ABSENT_SUBSCRIBER|EC_ABSENT|switched off", re.IGNORECASE), False),
    ("blocked", re.compile(r"UserInBlacklist|BLOCKED|BARRED|DoNotDisturb", re.IGNORECASE), True),
    ("expired", re.compile(r"EXPIRED", re.IGNORECASE), False),
    (
        "provider",
        re.compile(r"HTTP 5\d\d|Timeout|ConnectionError|gateway error|unreadable", re.IGNORECASE),
        False,
    ),
    ("rejected", re.compile(r"HTTP 400|REJECTED", re.IGNORECASE), True),
)
_CODE = re.compile(r"\b(?:\d{3} )?[A-Z][A-Za-z_]*[A-Z][A-Za-z_]*(?:/[A-Z_]+)?\b|\bHTTP \d{3}\b")

FAILURES: dict[str, Label] = {
    "wrong_number": ("Nomor tujuan salah atau tidak terdaftar", "Wrong or unknown number"),
    "absent": ("HP tidak aktif atau di luar jangkauan", "Phone off or out of reach"),
    "blocked": ("Nomor menolak SMS", "The number refuses SMS"),
    "expired": ("Tidak sampai sebelum kedaluwarsa", "Not delivered before it expired"),
    "provider": ("Gangguan penyedia SMS", "SMS provider trouble"),
    "rejected": ("Ditolak penyedia SMS", "Refused by the SMS provider"),
    "other": ("Gagal karena sebab lain", "Failed for another reason"),
}
HINTS: dict[tuple[str, str], Label] = {
    ("wrong_number", "official"): (
        "Nomor petugas salah: perbaiki di Petugas",
        "The official's number is wrong: fix it under Officials",
    ),
    ("wrong_number", "resident"): (
        "Nomor warga tidak bisa dihubungi; tidak ada yang perlu dilakukan",
        "The resident's number cannot be reached; nothing to do",
    ),
    ("absent", "official"): (
        "Hubungi petugas lewat telepon; pesan dicoba lagi otomatis",
        "Call the official; the message is tried again automatically",
    ),
    ("blocked", "official"): (
        "Minta petugas membuka blokir SMS, atau perbaiki nomornya di Petugas",
        "Ask the official to unblock SMS, or fix the number under Officials",
    ),
    ("provider", "official"): (
        "Tunggu lalu kirim ulang; lapor ke admin bila berulang",
        "Wait, then send again; tell an admin if it repeats",
    ),
    ("provider", "resident"): (
        "Tunggu lalu kirim ulang; lapor ke admin bila berulang",
        "Wait, then send again; tell an admin if it repeats",
    ),
    ("rejected", "official"): (
        "Periksa nomor petugas di Petugas; lapor ke admin bila benar",
        "Check the official's number under Officials; tell an admin if it is right",
    ),
}


def failure(last_error: str) -> Failure | None:
    """The meaning of a provider's failure reason; None when there is no reason."""
    if not last_error:
        return None
    found = _CODE.search(last_error)
    code = found.group(0) if found else last_error[:40]
    for key, pattern, permanent in _FAILURE_PATTERNS:
        if pattern.search(last_error):
            return Failure(key, code, permanent)
    return Failure("other", code, False)


def failure_text(found: Failure, lang: str) -> str:
    """The plain words for a failure."""
    return _pick(FAILURES[found.key], lang)


def failure_hint(found: Failure, recipient_kind: str, lang: str) -> str:
    """What the operator can do about it, when there is something."""
    hint = HINTS.get((found.key, recipient_kind))
    return _pick(hint, lang) if hint else ""


def report_detail(detail: str, lang: str) -> str:
    """A delivery report's timeline detail ('delivered (Success)') with our status in words."""
    status, _, rest = detail.partition(" ")
    found = REPORT_STATUSES.get(status)
    return f"{_pick(found, lang)} {rest}".strip() if found else detail


def stored_codes() -> Iterator[tuple[str, str]]:
    """Every stored code a page could show, by kind, taken from the code's own enums."""
    from gateway.console.charts import JOURNEY  # here: charts imports this module

    yield from (("sms_status", s) for s in OUTBOX_STATUSES)
    yield from (("case_status", s) for s in CASE_STATUSES)
    yield from (("category", c) for c in CATEGORIES)
    yield from (("channel", c) for c in CASE_CHANNELS)
    yield from (("role", r) for r in sorted(ROLES_ALL))
    yield from (("step", s) for s in JOURNEY)
    yield from (("recipient", r) for r in RECIPIENTS)
    yield from (("sms_event", e) for e in SMS_EVENTS)
    yield from (("report_status", s) for s in DeliveryStatus)
    yield from (("sms_cause", c) for c in SMS_CAUSES if ":" in c)
