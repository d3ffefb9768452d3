"""
Whether an official's message to a reporter asks who the reporter is.

Reporters are anonymous; an official's question (TANYA) or closing note (SELESAI) reaches them
only by their receipt. A message that asks for identity data, or for a way to reach or meet the
reporter, is held for staff review instead of being shown: an official's number can be stolen or
spoofed, and "Siapa nama Anda dan nomor KTP Anda?" in the officials' voice is the phishing the
hotline must not carry. A false alarm costs a reviewer's click; a miss can cost a reporter.

The list is deliberately simple and errs towards holding. It is matched on whole words, case
insensitively, after punctuation becomes spaces ("No.KTP" reads "no ktp"):

- names: nama, identitas (both unless a third party follows: nama PT, nama calo, identitas
  agen, ...), siapa Anda/kamu, name, who are you, identity
- identity numbers and documents: KTP / e-KTP, NIK, no. KK, kartu keluarga, nomor paspor, akta
  kelahiran, no. SIM, tanggal lahir / TTL, ibu kandung, rekening, ID card, passport number,
  date of birth, bank account
- where they live: alamat, rumah (unless a third party follows: alamat kantor PT), RT/RW,
  domisili, tinggal di mana, kampung/desa mana, address, where do you live, home
- how to reach them: HP, ponsel, telepon/telp, nomor Anda/kamu, WA / WhatsApp, SMS ke, email,
  Facebook/IG/TikTok/Telegram, hubungi, kontak, phone, your/mobile number, contact, call, text me
- meeting in person: ketemu/bertemu saya/kami/di, bisa ketemu, datang ke, meet me, come to
- any phone-like run of 7 or more digits (separators between digits ignored)
"""

from __future__ import annotations

import re

# Words after nama/identitas/alamat/rumah that name someone or something other than the reporter:
# "nama PT", "alamat kantor calo" are the questions officials need to ask.
_THIRD_PARTY = (
    "pt perusahaan agen agensi agency calo sponsor lpk p3mi pjtki bp3mi kantor majikan kapal"
    " pabrik oknum pelaku perekrut tekong"
)
_NOT_THIRD = rf"(?!\s+(?:{'|'.join(_THIRD_PARTY.split())})\b)"
_YOU = r"(?:anda|kamu|saudara|saudari|ibu|bapak|bpk|mu)"

# (label shown to reviewers, regular expression over the normalised text)
PATTERNS: tuple[tuple[str, str], ...] = (
    ("nama", rf"nama(?:nya|mu)?{_NOT_THIRD}"),
    ("siapa anda", rf"siapa\s+{_YOU}|{_YOU}\s+siapa"),
    ("identitas", rf"identitas(?:nya|mu)?{_NOT_THIRD}"),
    ("ktp", r"e?ktp|e\s+ktp"),
    ("nik", r"nik"),
    ("kk", r"(?:no|nomor|nomer)\s+kk|kartu\s+keluarga"),
    ("paspor", r"(?:no|nomor|nomer)\s+pa(?:s|ss)po(?:r|rt)"),
    ("akta", r"akt[ae]\s+(?:kelahiran|lahir)"),
    ("sim", r"(?:no|nomor|nomer)\s+sim"),
    ("tanggal lahir", r"tanggal\s+lahir|tgl\s+lahir|ttl"),
    ("ibu kandung", r"ibu\s+kandung"),
    ("rekening", r"rekening|rek"),
    ("alamat", rf"alamat(?:nya|mu)?{_NOT_THIRD}"),
    ("rumah", rf"rumah(?:nya|mu)?{_NOT_THIRD}"),
    ("rt rw", r"rt|rw"),
    ("domisili", r"domisili"),
    ("tinggal di mana", r"tinggal\s+(?:di\s*mana|dimana|dmn)|kampung\s+mana|desa\s+mana"),
    (
        "nomor hp",
        rf"hp|handphone|ponsel|telepon|telpon|telp|tlp|(?:nomor|nomer|no)\s+{_YOU}|nomormu",
    ),
    ("wa", r"wa|whatsapp|whats\s+app|sms\s+ke"),
    ("akun", r"email|e\s+mail|surel|facebook|fb|instagram|ig|tiktok|telegram"),
    ("hubungi", r"hubungi|menghubungi|kontak"),
    (
        "ketemu",
        r"(?:ketemu|bertemu|temui|menemui|jumpa)\s+(?:saya|kami|kita|petugas|di)"
        r"|(?:kita|bisa|mari)\s+(?:ketemu|bertemu|jumpa)|datang\s+ke",
    ),
    ("name", r"name|who\s+are\s+you|identity"),
    ("id card", r"id\s+card|identity\s+card|passport\s+number|date\s+of\s+birth|birthday"),
    ("bank account", r"bank\s+account|account\s+number"),
    ("address", r"address|where\s+do\s+you\s+live|where\s+you\s+live|home"),
    ("phone", r"phone|(?:your|mobile|contact|whatsapp)\s+number|mobile|contact|call|text\s+me"),
    ("meet", r"meet\s+(?:me|us)|come\s+to"),
)
_COMPILED = tuple((label, re.compile(rf"\b(?:{rx})\b")) for label, rx in PATTERNS)
_PHONE_LIKE = re.compile(r"\d{7,}")
_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s.\-/()+]+(?=\d)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def identity_requests(text: str) -> tuple[str, ...]:
    """The labels of every identity pattern the text matches, in list order; () if none."""
    lowered = text.lower()
    words = _NOT_WORD.sub(" ", lowered).strip()
    found = [label for label, rx in _COMPILED if rx.search(words)]
    if _PHONE_LIKE.search(_BETWEEN_DIGITS.sub("", lowered)):
        found.append("nomor telepon")
    return tuple(dict.fromkeys(found))
