"""Configuration from the environment: typed values, defaults, and one message for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Config, ConfigError

URL = "postgresql://hotline:s3cret-pass@db.internal:5432/hotline"

PARSED = [
    ("DATABASE_URL", URL, "database_url", URL),
    ("DATABASE_URL", "postgres://u@h/db", "database_url", "postgres://u@h/db"),
    ("HOTLINE_DATA_DIR", "/srv/hotline", "data_dir", Path("/srv/hotline")),
    ("HOST", "127.0.0.1", "host", "127.0.0.1"),
    ("PORT", "8080", "port", 8080),
    ("PORT", " 8080 ", "port", 8080),
    ("LOG_LEVEL", "debug", "log_level", "debug"),
    ("LOG_LEVEL", "WARNING", "log_level", "warning"),
    ("LOG_FORMAT", "console", "log_format", "console"),
    ("HOTLINE_MAX_BODY_BYTES", "16384", "max_body_bytes", 16384),
    ("HOTLINE_DB_POOL_SIZE", "4", "db_pool_size", 4),
    ("HOTLINE_DB_TIMEOUT_S", "1.5", "db_timeout_s", 1.5),
    ("HOTLINE_USSD_CODE", "*123*45#", "ussd_service_code", "*123*45#"),
]
PARSED_IDS = [
    "database-url",
    "database-url-postgres-scheme",
    "data-dir",
    "host",
    "port",
    "port-padded",
    "log-level",
    "log-level-upper-case",
    "log-format",
    "max-body-bytes",
    "db-pool-size",
    "db-timeout",
    "ussd-code",
]

INVALID = [
    ("PORT", "abc", "port-not-a-number"),
    ("PORT", "0", "port-zero"),
    ("PORT", "65536", "port-too-high"),
    ("PORT", "80.5", "port-fraction"),
    ("LOG_LEVEL", "verbose", "log-level-unknown"),
    ("LOG_FORMAT", "xml", "log-format-unknown"),
    ("HOTLINE_MAX_BODY_BYTES", "100", "max-body-too-small"),
    ("HOTLINE_MAX_BODY_BYTES", "2000000", "max-body-too-large"),
    ("HOTLINE_DB_POOL_SIZE", "0", "pool-size-zero"),
    ("HOTLINE_DB_POOL_SIZE", "101", "pool-size-too-large"),
    ("HOTLINE_DB_TIMEOUT_S", "fast", "timeout-not-a-number"),
    ("HOTLINE_DB_TIMEOUT_S", "0", "timeout-zero"),
    ("HOTLINE_DB_TIMEOUT_S", "nan", "timeout-nan"),
    ("DATABASE_URL", "mysql://u:p@h/db", "database-url-mysql"),
    ("DATABASE_URL", "hotline.db", "database-url-file-name"),
]


def bad_variables(error: ConfigError) -> list[str]:
    """The variable each problem of a ConfigError is about."""
    return [problem.split(":", 1)[0] for problem in error.problems]


class TestConfigFromEnv:
    def test_empty_environment_gives_the_defaults(self) -> None:
        """With no variables set, every setting has its default."""
        assert Config() == Config.from_env({})

    def test_defaults(self) -> None:
        """The defaults: no database URL, port 8000 on every interface, pool of 10, 3 s."""
        every_interface = "0.0.0.0"  # noqa: S104 - the expected default, nothing binds here
        expected = (None, Path("var"), every_interface, 8000, "info", "auto", 8192, 10, 3.0, "")
        config = Config.from_env({})
        assert expected == (
            config.database_url,
            config.data_dir,
            config.host,
            config.port,
            config.log_level,
            config.log_format,
            config.max_body_bytes,
            config.db_pool_size,
            config.db_timeout_s,
            config.ussd_service_code,
        )

    @pytest.mark.parametrize(("variable", "raw", "attribute", "expected"), PARSED, ids=PARSED_IDS)
    def test_variable_is_parsed(
        self, variable: str, raw: str, attribute: str, expected: object
    ) -> None:
        """Each variable lands, typed, in its setting."""
        assert expected == getattr(Config.from_env({variable: raw}), attribute)

    @pytest.mark.parametrize("variable", [v for v, *_ in PARSED[2:]])
    def test_blank_variable_means_default(self, variable: str) -> None:
        """A variable set to spaces only counts as unset."""
        assert Config() == Config.from_env({variable: "   "})

    def test_unrelated_variables_are_ignored(self) -> None:
        """Variables the service does not read change nothing."""
        assert Config() == Config.from_env({"PATH": "/usr/bin", "TERM": "xterm"})

    @pytest.mark.parametrize(
        ("variable", "raw"), [case[:2] for case in INVALID], ids=[case[2] for case in INVALID]
    )
    def test_invalid_value_is_refused(self, variable: str, raw: str) -> None:
        """An invalid value raises ConfigError naming its variable."""
        with pytest.raises(ConfigError) as raised:
            Config.from_env({variable: raw})
        assert [variable] == bad_variables(raised.value)

    def test_every_bad_variable_is_named_at_once(self) -> None:
        """Several bad variables give one ConfigError that lists all of them."""
        environ = {
            "PORT": "abc",
            "HOTLINE_DB_POOL_SIZE": "0",
            "LOG_LEVEL": "loud",
            "DATABASE_URL": "mysql://u@h/db",
        }
        with pytest.raises(ConfigError) as raised:
            Config.from_env(environ)
        assert sorted(environ) == sorted(bad_variables(raised.value))

    def test_message_lists_every_problem(self) -> None:
        """The error's text has one line per bad variable."""
        with pytest.raises(ConfigError) as raised:
            Config.from_env({"PORT": "abc", "HOTLINE_DB_POOL_SIZE": "0"})
        lines = str(raised.value).splitlines()
        assert ["invalid configuration:", "PORT", "HOTLINE_DB_POOL_SIZE"] == [
            lines[0],
            *(line.strip().split(":", 1)[0] for line in lines[1:]),
        ]


class TestConfigSecrets:
    def test_database_url_is_not_in_repr(self) -> None:
        """repr() of a configuration, as logged or printed, leaves the database URL out."""
        config = Config.from_env({"DATABASE_URL": URL})
        assert [] == [part for part in (URL, "s3cret-pass") if part in repr(config)]

    def test_rejected_database_url_is_not_in_the_message(self) -> None:
        """A refused DATABASE_URL is named, but its value (and password) is not repeated."""
        url = "mysql://hotline:s3cret-pass@db.internal/hotline"
        with pytest.raises(ConfigError) as raised:
            Config.from_env({"DATABASE_URL": url})
        assert "s3cret-pass" not in str(raised.value)
