"""
The running service: aiohttp app, Africa's Talking callbacks, configuration, logging, CLI.

The only package that imports aiohttp; it wires ussd_menus (pure menus) to storage (PostgreSQL).
"""
