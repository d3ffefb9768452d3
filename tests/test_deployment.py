"""The container build, compose file and nginx config, checked by parsing them (no Docker engine
or nginx runs here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile
import pytest
import yaml

from gateway.cli import _parser
from gateway.config import Config
from gateway.console.uploads import MAX_UPLOAD_BYTES

ROOT = Path(__file__).resolve().parent.parent
STAGES = dockerfile.parse_file(str(ROOT / "Dockerfile"))
FINAL = STAGES[max(i for i, c in enumerate(STAGES) if c.cmd == "FROM") :]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
UPLOAD_PATHS = ("/console/registry/upload", "/console/officials/upload")
SMALL_PATHS = ("/at/ussd", "/at/sms/inbound", "/console/login", "/api/v1/tips", "/")


@dataclass
class Directive:
    """One nginx directive: its name, arguments and, for a block, what is inside."""

    name: str
    args: list[str]
    block: list[Directive] = field(default_factory=list)

    def all(self, name: str) -> list[Directive]:
        """The directives of this name directly inside the block."""
        return [d for d in self.block if d.name == name]

    def one(self, name: str) -> Directive:
        """The one directive of this name directly inside the block."""
        (found,) = self.all(name)
        return found


def parse_nginx(text: str) -> Directive:
    """nginx syntax: words and quoted strings, `;` ends, `{ }` nest, `#` starts a comment."""
    tokens = re.findall(r"'[^']*'|\"[^\"]*\"|[{};]|[^\s{};'\"]+", re.sub(r"#[^\n]*", "", text))
    root = Directive("main", [])
    stack, words = [root], []
    for token in tokens:
        if token in (";", "{"):
            directive = Directive(words[0], [w.strip("'\"") for w in words[1:]])
            stack[-1].block.append(directive)
            if token == "{":
                stack.append(directive)
            words = []
        elif token == "}":
            stack.pop()
        else:
            words.append(token)
    assert [root] == stack and [] == words, "unbalanced nginx.conf"
    return root


NGINX = parse_nginx((ROOT / "deploy" / "nginx.conf").read_text())
SERVER = NGINX.one("server")


def location_for(path: str) -> Directive:
    """The location nginx picks for a path: exact match, else the first matching regex, else the
    longest prefix."""
    locations = SERVER.all("location")
    for loc in locations:
        if loc.args[0] == "=" and loc.args[1] == path:
            return loc
    for loc in locations:
        if loc.args[0] == "~" and re.search(loc.args[1], path):
            return loc
    prefixes = [loc for loc in locations if len(loc.args) == 1 and path.startswith(loc.args[0])]
    return max(prefixes, key=lambda loc: len(loc.args[0]))


def size(value: str) -> int:
    """An nginx size (16k, 2m) in bytes."""
    units = {"k": 1024, "m": 1024 * 1024}
    return int(value[:-1]) * units[value[-1].lower()] if value[-1].isalpha() else int(value)


def seconds(value: str) -> float:
    """An nginx time (10s, 1m) in seconds."""
    units = {"s": 1, "m": 60}
    return float(value[:-1]) * units[value[-1]] if value[-1].isalpha() else float(value)


def body_limit(path: str) -> int:
    """client_max_body_size for a path: its location's, else the server's."""
    found = location_for(path).all("client_max_body_size") or SERVER.all("client_max_body_size")
    return size(found[0].args[0])


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


class TestNginx:
    @pytest.mark.parametrize("path", UPLOAD_PATHS)
    def test_uploads_pass_the_apps_upload_limit(self, path: str) -> None:
        """A console CSV upload as large as the app accepts is not refused by nginx (413)."""
        assert MAX_UPLOAD_BYTES <= body_limit(path)

    @pytest.mark.parametrize("path", SMALL_PATHS)
    def test_other_bodies_stay_small(self, path: str) -> None:
        """Elsewhere nginx lets the app's default body limit through, and not much more."""
        assert Config().max_body_bytes <= body_limit(path) <= 16 * 1024

    @pytest.mark.parametrize("path", [*UPLOAD_PATHS, *SMALL_PATHS])
    def test_every_path_reaches_the_gateways(self, path: str) -> None:
        """The upload location proxies like the rest."""
        assert ["http://gateways"] == location_for(path).one("proxy_pass").args

    def test_access_log_format_drops_the_query(self) -> None:
        """The log format names the path only: the callback token in ?token= is never logged."""
        (log_format,) = [d for d in NGINX.all("log_format") if d.args[0] == "hotline"]
        text = " ".join(log_format.args[1:])
        assert "$uri" in text
        assert [] == re.findall(r"\$(request_uri|request|args|query_string|arg_\w+)\b", text)

    def test_access_log_uses_that_format(self) -> None:
        """The server logs with the query-free format (nginx's default logs $request)."""
        assert ["/var/log/nginx/access.log", "hotline"] == SERVER.one("access_log").args

    def test_idle_upstream_connections_close_before_the_gateway_closes_them(self) -> None:
        """nginx drops an idle gateway connection before the gateway's header timeout does."""
        timeout = seconds(NGINX.one("upstream").one("keepalive_timeout").args[0])
        assert timeout < Config().header_timeout_s

    @pytest.mark.parametrize("name", ["client_header_timeout", "client_body_timeout"])
    def test_slow_clients_are_dropped_at_the_proxy(self, name: str) -> None:
        """A client trickling its request is cut off within the gateway's header timeout."""
        assert seconds(SERVER.one(name).args[0]) <= Config().header_timeout_s
