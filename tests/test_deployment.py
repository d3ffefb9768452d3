"""The container build and compose file, checked by parsing them (no Docker engine runs here)."""

from __future__ import annotations

from pathlib import Path

import dockerfile
import pytest
import yaml

from gateway.cli import _parser

ROOT = Path(__file__).resolve().parent.parent
STAGES = dockerfile.parse_file(str(ROOT / "Dockerfile"))
FINAL = STAGES[max(i for i, c in enumerate(STAGES) if c.cmd == "FROM") :]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def runs_in_cli(command: list[str]) -> bool:
    """Whether `hotline ...` parses as one of the CLI's commands."""
    if command[0] != "hotline":
        return False
    try:
        _parser().parse_args(command[1:])
    except SystemExit:
        return False
    return True


class TestDockerfile:
    def test_is_multi_stage(self) -> None:
        """The runtime image is built in a second stage, from a separate build stage."""
        assert 2 == len([c for c in STAGES if c.cmd == "FROM"])

    def test_runs_as_a_non_root_user(self) -> None:
        """The final stage switches to a named user that is not root."""
        users = [c.value[0] for c in FINAL if c.cmd == "USER"]
        assert ["hotline"] == users

    def test_health_check_calls_healthz(self) -> None:
        """Docker's HEALTHCHECK asks the service's /healthz."""
        checks = [" ".join(c.value) for c in FINAL if c.cmd == "HEALTHCHECK"]
        assert 1 == len(checks)
        assert "/healthz" in checks[0]

    def test_command_is_a_cli_command(self) -> None:
        """The container's command is a real `hotline` command."""
        commands = [list(c.value) for c in FINAL if c.cmd == "CMD"]
        assert [["hotline", "serve"]] == commands
        assert runs_in_cli(commands[0])

    def test_no_secret_baked_in(self) -> None:
        """No secret is set in the image: configuration comes from the environment."""
        names = [c.value[i] for c in STAGES if c.cmd == "ENV" for i in range(0, len(c.value), 2)]
        assert [] == [n for n in names if "SECRET" in n or "KEY" in n or "PASSWORD" in n]


class TestCompose:
    def test_has_the_services(self) -> None:
        """PostgreSQL, the migration step, the gateway, the worker and a proxy."""
        assert {"postgres", "migrate", "gateway", "worker", "proxy"} == set(COMPOSE["services"])

    def test_two_gateway_replicas(self) -> None:
        """The gateway runs twice behind the proxy."""
        assert 2 == COMPOSE["services"]["gateway"]["deploy"]["replicas"]

    @pytest.mark.parametrize("service", ["migrate", "gateway", "worker"])
    def test_service_command_exists_in_the_cli(self, service: str) -> None:
        """Each hotline service runs a command the CLI has."""
        assert runs_in_cli(COMPOSE["services"][service]["command"])

    def test_gateways_wait_for_migrations(self) -> None:
        """The gateway starts only after the migration step succeeded."""
        condition = COMPOSE["services"]["gateway"]["depends_on"]["migrate"]["condition"]
        assert "service_completed_successfully" == condition

    def test_only_the_worker_sends(self) -> None:
        """Gateways run with their built-in worker off; the worker service sends."""
        assert "off" == COMPOSE["services"]["gateway"]["environment"]["HOTLINE_WORKER"]

    def test_secrets_come_from_the_environment(self) -> None:
        """HOTLINE_SECRET is required from the environment, never written in the file."""
        value = COMPOSE["services"]["worker"]["environment"]["HOTLINE_SECRET"]
        assert value.startswith("${HOTLINE_SECRET:?")
