"""
The USSD menu engine and the menus, as pure code: no aiohttp, no asyncpg, no clock, no I/O.

The gateway injects lookups (the agency index, today's date) and writes the CON/END prefix.
"""
