"""
The operator console (/console): server-rendered pages for operators, investigators and admins.

`setup_console(app)` is the only entry point; pages live in one module per area (delivery log,
tips, uploads, charts). Nothing here is reachable without a session, and every form carries a
CSRF token.
"""
