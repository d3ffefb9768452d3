"""
The console's interface strings: Bahasa Indonesia by default, English as a choice.
"""

from __future__ import annotations

CONSOLE_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("Konsol Layanan Info Kerja LN", "Work Abroad Info Console"),
    "login": ("Masuk", "Log in"),
    "logout": ("Keluar", "Log out"),
    "username": ("Nama pengguna", "Username"),
    "password": ("Kata sandi", "Password"),
    "login_failed": ("Nama atau kata sandi salah.", "Wrong name or password."),
    "login_slowed": (
        "Terlalu banyak percobaan gagal. Tunggu sebentar lalu coba lagi.",
        "Too many failed attempts. Wait a moment and try again.",
    ),
    "home": ("Beranda", "Home"),
    "delivery": ("Log pengiriman SMS", "SMS delivery log"),
    "tips": ("Laporan", "Tips"),
    "registry": ("Daftar P3MI", "Agency registry"),
    "officials": ("Petugas", "Officials"),
    "charts": ("Grafik", "Charts"),
    "simulator": ("Simulator HP", "Phone simulator"),
    "forbidden": ("Anda tidak berhak membuka halaman ini.", "You may not open this page."),
    "csrf": ("Formulir kedaluwarsa. Muat ulang halaman.", "The form expired. Reload the page."),
    "language": ("Bahasa", "Language"),
    "role": ("Peran", "Role"),
}


def ct(key: str, lang: str) -> str:
    """A console string."""
    text = CONSOLE_TEXTS.get(key)
    if text is None:
        return key
    return text[0] if lang == "id" else text[1]
