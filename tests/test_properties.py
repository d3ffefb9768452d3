"""
Property-based checks: whatever arrives at a callback or an import, the answer is clear and never
a crash. Africa's Talking drops a caller on any USSD answer not starting with CON or END.

The app runs in a thread with its own event loop so Hypothesis can drive it with plain requests.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config import Config
from gateway.phones import normalize
from storage.errors import InvalidCsv
from storage.officials import parse_officials
from storage.registry_csv import parse_agencies
from storage.tips import CATEGORIES
from tests.conftest import CALLBACK_TOKEN
from tests.live_app import live_app

KEC = {"36.04.12", "36.04.13"}
FIELDS = [
    "sessionId",
    "phoneNumber",
    "serviceCode",
    "networkCode",
    "text",
    "id",
    "from",
    "to",
    "status",
    "failureReason",
    "input",
    "date",
    "hopsCount",
    "durationInMillis",
]
LIMITED = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def live_url(
    server_url: str, template_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The app on its own database, served from a background thread."""
    config = Config(
        data_dir=tmp_path_factory.mktemp("props"),
        secret="test-secret-0123456789",
        callback_token=CALLBACK_TOKEN,
        run_worker=False,
        log_level="error",
    )
    with live_app(server_url, f"hotline_properties_{os.getpid()}", config) as app:
        yield app.url


def post(url: str, body: bytes) -> tuple[int, str]:
    """POST a raw urlencoded body as AT does (with the callback token); the status and text."""
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        f"{url}?token={CALLBACK_TOKEN}",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


forms = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=20),
    st.text(max_size=300) | st.sampled_from(["", "1", "1*2", "*", "**", "#", "0", "00", "99"]),
    max_size=10,
)


def encode(form: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(form).encode()


class TestUssdCallback:
    @LIMITED
    @given(form=forms)
    def test_any_form_gets_con_or_end(self, live_url: str, form: dict[str, str]) -> None:
        """Any fields, any text: 200 and a body starting with CON or END."""
        status, text = post(f"{live_url}/at/ussd", encode(form))
        assert 200 == status
        assert text.startswith(("CON ", "END "))

    @LIMITED
    @given(body=st.binary(max_size=2000))
    def test_any_bytes_get_con_or_end(self, live_url: str, body: bytes) -> None:
        """Raw bytes of any kind, not even a form: still CON or END."""
        status, text = post(f"{live_url}/at/ussd", body)
        assert 200 == status
        assert text.startswith(("CON ", "END "))

    @LIMITED
    @given(inputs=st.lists(st.text(max_size=40), max_size=12))
    def test_any_walk_stays_in_protocol(self, live_url: str, inputs: list[str]) -> None:
        """A session walked hop by hop with arbitrary inputs answers CON/END on every hop."""
        session = f"prop-{abs(hash(tuple(inputs)))}"
        for n in range(len(inputs) + 1):
            form = {
                "sessionId": session,
                "phoneNumber": "+6281200000009",
                "text": "*".join(inputs[:n]),
            }
            status, text = post(f"{live_url}/at/ussd", encode(form))
            assert 200 == status
            assert text.startswith(("CON ", "END "))


class TestOtherCallbacks:
    @LIMITED
    @given(
        form=forms, path=st.sampled_from(["/at/sms/inbound", "/at/sms/delivery", "/at/ussd/events"])
    )
    def test_never_a_server_error(self, live_url: str, form: dict[str, str], path: str) -> None:
        """Inbound SMS, delivery reports and session events answer 200 or a 4xx, never 5xx."""
        status, _ = post(f"{live_url}{path}", encode(form))
        assert status < 500

    @LIMITED
    @given(
        body=st.binary(max_size=2000),
        path=st.sampled_from(["/at/sms/inbound", "/at/sms/delivery", "/at/ussd/events"]),
    )
    def test_raw_bytes_never_a_server_error(self, live_url: str, body: bytes, path: str) -> None:
        """Undecodable bodies get a 4xx or are ignored, never a 5xx."""
        status, _ = post(f"{live_url}{path}", body)
        assert status < 500


csv_text = st.text(max_size=600) | st.builds(
    lambda header, rows: header + "\n" + "\n".join(rows),
    st.sampled_from(
        [
            "licence_number,name,status,status_since,valid_until,head_office_city,head_office_province,"
            "branch_cities,destination_countries,job_types,source,snapshot_date",
            "name,role,phone,office,kecamatan_codes,categories,tier,active",
        ]
    ),
    st.lists(st.text(max_size=120), max_size=5),
)


class TestImports:
    @settings(max_examples=300, deadline=None)
    @given(text=csv_text)
    def test_registry_csv_parses_or_lists_problems(self, text: str) -> None:
        """Any text is either a registry or an InvalidCsv naming its problems."""
        try:
            parse_agencies(text)
        except InvalidCsv as error:
            assert error.problems

    @settings(max_examples=300, deadline=None)
    @given(text=csv_text)
    def test_officials_csv_parses_or_lists_problems(self, text: str) -> None:
        """Any text is either a directory or an InvalidCsv naming its problems."""
        try:
            parse_officials(text, normalize, KEC, CATEGORIES)
        except InvalidCsv as error:
            assert error.problems
