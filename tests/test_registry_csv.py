"""The registry CSV format: parsing with every problem reported by line and field, and writing."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from storage.errors import InvalidCsv
from storage.registry import Agency
from storage.registry_csv import format_agencies, parse_agencies
from storage.sample import sample_agencies

INVALID = json.loads((Path(__file__).parent / "data" / "registry_csv_invalid.json").read_text())

HEADER = (
    "licence_number,name,status,status_since,status_until,valid_until,head_office_city,"
    "head_office_province,branch_cities,destination_countries,job_types,source,snapshot_date"
)
ROW = (
    "99 116-000.345,PT Contoh Samudra Karya,aktif,2022-03-14,,2027-03-13,Jakarta Timur,"
    "DKI Jakarta,Kabupaten Serang; Kabupaten Indramayu,Hong Kong;Taiwan,"
    "pekerja rumah tangga;perawat lansia,Data contoh (fiktif),"
)
AGENCY = Agency(
    licence_number="99116000345",
    name="PT Contoh Samudra Karya",
    status="aktif",
    status_since=date(2022, 3, 14),
    status_until=None,
    valid_until=date(2027, 3, 13),
    head_office_city="Jakarta Timur",
    head_office_province="DKI Jakarta",
    branch_cities=("Kabupaten Serang", "Kabupaten Indramayu"),
    destination_countries=("Hong Kong", "Taiwan"),
    job_types=("pekerja rumah tangga", "perawat lansia"),
    source="Data contoh (fiktif)",
    snapshot_date=None,
)


def csv_text(header: str, *rows: str) -> str:
    """A CSV file of these lines."""
    return "".join(f"{line}\n" for line in (header, *rows))


def reordered(header: str, row: str) -> str:
    """The same one-row file with its columns in reverse order."""
    return csv_text(",".join(reversed(header.split(","))), ",".join(reversed(row.split(","))))


def problems_of(text: str) -> list[tuple[int, str]]:
    """The (line, field) of every problem parse_agencies reports."""
    with pytest.raises(InvalidCsv) as raised:
        parse_agencies(text)
    return [(p.line, p.field) for p in raised.value.problems]


def case_text(case: dict[str, Any]) -> str:
    """The file of one invalid-file case: its header (the standard one unless given) and rows."""
    header = case.get("header", HEADER)
    return csv_text(header, *case["rows"]) if header or case["rows"] else ""


class TestParseValidFile:
    def test_a_valid_row_becomes_the_agency(self) -> None:
        """Every column of a valid row lands in the matching Agency field."""
        assert [AGENCY] == parse_agencies(csv_text(HEADER, ROW))

    def test_columns_may_come_in_any_order(self) -> None:
        """Columns are matched by header name, not by position."""
        assert [AGENCY] == parse_agencies(reordered(HEADER, ROW))

    def test_byte_order_mark_is_ignored(self) -> None:
        """A UTF-8 BOM, as spreadsheet programs write, does not spoil the first column name."""
        assert [AGENCY] == parse_agencies("\ufeff" + csv_text(HEADER, ROW))

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("Kabupaten Serang", ("Kabupaten Serang",)),
            ("Kabupaten Serang;Kabupaten Lebak", ("Kabupaten Serang", "Kabupaten Lebak")),
            (" Kabupaten Serang ; Kabupaten Lebak ", ("Kabupaten Serang", "Kabupaten Lebak")),
            ("Kabupaten Serang;;Kabupaten Lebak;", ("Kabupaten Serang", "Kabupaten Lebak")),
            ("", ()),
        ],
        ids=["one", "two", "padded", "empty-parts", "blank"],
    )
    def test_list_fields_split_on_semicolons(self, raw: str, expected: tuple[str, ...]) -> None:
        """List fields are ';'-separated; parts are trimmed and empty parts dropped."""
        row = ROW.replace("Kabupaten Serang; Kabupaten Indramayu", raw)
        assert expected == parse_agencies(csv_text(HEADER, row))[0].branch_cities

    def test_blank_dates_are_unknown(self) -> None:
        """A blank date column gives None, not an error."""
        row = "99116000345,PT Contoh Samudra Karya,aktif,,,,,,,,,,"
        agency = parse_agencies(csv_text(HEADER, row))[0]
        expected = (None, None, None, None)
        assert expected == (
            agency.status_since,
            agency.status_until,
            agency.valid_until,
            agency.snapshot_date,
        )

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("99 116-000.345", "99116000345"),
            ("99116000345", "99116000345"),
            ("99/116/000/345", "99116000345"),
            ("  99.116.000.345  ", "99116000345"),
            ("99ab-116", "99AB116"),
        ],
        ids=["spaces-dash-dot", "plain", "slashes", "padded-dots", "letters-upper-cased"],
    )
    def test_licence_number_is_normalised(self, raw: str, expected: str) -> None:
        """Spaces, dots, dashes and slashes are dropped from a licence number, letters upcased."""
        row = ROW.replace("99 116-000.345", raw)
        assert expected == parse_agencies(csv_text(HEADER, row))[0].licence_number

    def test_status_until_column_is_optional(self) -> None:
        """The official layout lacks status_until; such a file parses with it unknown."""
        header = HEADER.replace(",status_until", "")
        row = ROW.replace("2022-03-14,,", "2022-03-14,")
        assert [AGENCY] == parse_agencies(csv_text(header, row))

    def test_status_is_case_insensitive(self) -> None:
        """'AKTIF' reads as the status aktif."""
        row = ROW.replace(",aktif,", ",AKTIF,")
        assert "aktif" == parse_agencies(csv_text(HEADER, row))[0].status

    def test_name_spaces_are_collapsed(self) -> None:
        """Runs of spaces inside a name become one space."""
        row = ROW.replace("PT Contoh Samudra Karya", " PT  Contoh   Samudra Karya ")
        assert "PT Contoh Samudra Karya" == parse_agencies(csv_text(HEADER, row))[0].name

    def test_the_bundled_sample_parses(self) -> None:
        """The bundled sample file is a valid registry of 40 agencies."""
        assert 40 == len(sample_agencies())


class TestParseInvalidFile:
    @pytest.mark.parametrize("case", INVALID, ids=[c["label"] for c in INVALID])
    def test_problems_name_line_and_field(self, case: dict[str, Any]) -> None:
        """Each invalid file is refused with exactly the expected (line, field) problems."""
        expected = sorted((line, field) for line, field in case["problems"])
        assert expected == sorted(problems_of(case_text(case)))

    def test_labels_are_unique(self) -> None:
        """Every invalid-file case has its own label."""
        labels = [c["label"] for c in INVALID]
        assert sorted(set(labels)) == sorted(labels)

    def test_every_bad_row_is_reported(self) -> None:
        """Three bad rows give problems on all three lines, not only on the first."""
        text = csv_text(
            HEADER,
            ROW.replace(",aktif,", ",aktiv,"),
            ROW.replace("99 116-000.345", "99116000346").replace("2027-03-13", "13-03-2027"),
            ROW.replace("99 116-000.345", "99116000347").replace("PT Contoh Samudra Karya", ""),
        )
        problems = problems_of(text)
        assert len(problems) >= 3
        assert {2, 3, 4} == {line for line, _ in problems}

    def test_duplicate_licence_names_the_first_line(self) -> None:
        """A repeated licence number is reported on its line, pointing at the line of the first."""
        other = ROW.replace("PT Contoh Samudra Karya", "PT Contoh Lain")
        with pytest.raises(InvalidCsv) as raised:
            parse_agencies(csv_text(HEADER, ROW, other.replace("99 116-000.345", "99116000345")))
        assert ["line 3, licence_number: duplicate of line 2"] == [
            str(p) for p in raised.value.problems
        ]

    def test_missing_column_is_named_in_the_message(self) -> None:
        """The error text names the missing column, so an operator knows what to add."""
        text = csv_text(HEADER.replace(",job_types", ""), "")
        with pytest.raises(InvalidCsv) as raised:
            parse_agencies(text)
        assert "line 1, job_types: missing column" == str(raised.value)


def without_sample_flag(agencies: list[Agency]) -> list[Agency]:
    """The agencies as an import would give them: not marked as sample."""
    return [replace(a, is_sample=False) for a in agencies]


class TestFormatAgencies:
    def test_export_then_parse_gives_back_the_sample(self) -> None:
        """The bundled sample survives a round trip through the export format unchanged."""
        sample = without_sample_flag(sample_agencies())
        assert sample == parse_agencies(format_agencies(sample))

    def test_commas_and_quotes_survive_the_round_trip(self) -> None:
        """Names with commas and double quotes are quoted on export and read back whole."""
        agency = replace(
            AGENCY, name='PT "Contoh", Samudra Karya', head_office_city="Jakarta, Timur"
        )
        assert [agency] == parse_agencies(format_agencies([agency]))

    def test_export_writes_the_import_header(self) -> None:
        """The first line of an export is the full import header, status_until included."""
        assert HEADER == format_agencies([]).splitlines()[0]

    def test_empty_registry_exports_only_the_header(self) -> None:
        """No agencies give a file of just the header line."""
        assert HEADER + "\n" == format_agencies([])
