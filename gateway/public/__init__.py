"""
The public pages: what anyone may read without logging in, per regency, kecamatan and desa (the
USSD code and SMS keywords, hotlines, the registry search, the safe way abroad, monthly figures
with small counts hidden) and a printable poster per desa for the balai desa notice board.
"""
