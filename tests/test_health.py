"""Liveness and readiness endpoints."""

from __future__ import annotations

from aiohttp.test_utils import TestClient


class TestHealth:
    async def test_healthz_answers_ok(self, client: TestClient) -> None:
        """/healthz answers 200 while the process runs."""
        response = await client.get("/healthz")
        assert (200, "ok\n") == (response.status, await response.text())

    async def test_readyz_checks_the_database(self, client: TestClient) -> None:
        """/readyz answers 200 when PostgreSQL answers."""
        response = await client.get("/readyz")
        assert (200, "ready\n") == (response.status, await response.text())
