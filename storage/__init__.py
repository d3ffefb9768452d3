"""
PostgreSQL storage: schema migrations, the embedded server and queries.

Imports asyncpg and nothing else of this project; callers get frozen dataclasses back.
"""
