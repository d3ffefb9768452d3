"""The officials directory as a CSV file: parsing, validation, and `hotline officials`."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import pytest

from gateway.phones import normalize
from storage.errors import InvalidCsv
from storage.officials import Official, format_officials, load_officials, parse_officials
from storage.tips import CATEGORIES

HOTLINE = shutil.which("hotline", path=str(Path(sys.executable).parent)) or "hotline"
HEADER = "name,role,phone,office,kecamatan_codes,categories,tier,active"
CODES = {"36.04.05", "36.04.12", "36.04.13"}
CAMAT = "Agus Contoh,Camat,+6281199000007,Kecamatan Pontang,36.04.12,*,1,true"
KADES = (
    'Tatang Contoh,Kepala Desa,081199000030,"Desa Sampel, Kec. Pontang",'
    "36.04.12;36.04.13,calo;biaya;dokumen,1,true"
)
DISNAKER = "Ahmad Contoh,Kabid,62 811 9900 0036,Disnakertrans Kabupaten Serang,*,*,2,ya"
BP3MI = "Nur Contoh,Petugas Pengaduan,+62 811-9900-0039,BP3MI Banten,*,bahaya;calo,3,true"
DIRECTORY = [CAMAT, KADES, DISNAKER, BP3MI]
NAMES = ["Agus Contoh", "Tatang Contoh", "Ahmad Contoh", "Nur Contoh"]


def csv_text(*rows: str, header: str = HEADER) -> str:
    """An officials file with these rows."""
    return "".join(f"{line}\n" for line in (header, *rows))


def parse(text: str) -> list[Official]:
    """Parse with the sample's kecamatan codes and the real categories."""
    return parse_officials(text, normalize, CODES, CATEGORIES)


def problems(text: str) -> list[tuple[int, str]]:
    """(line, field) of every problem the parser reports."""
    with pytest.raises(InvalidCsv) as refused:
        parse(text)
    return [(p.line, p.field) for p in refused.value.problems]


def with_field(row: str, field: str, value: str) -> str:
    """A simple (unquoted) row with one field replaced."""
    cells = row.split(",")
    cells[HEADER.split(",").index(field)] = value
    return ",".join(cells)


def by_phone(officials: list[Official]) -> list[Official]:
    """Officials in a fixed order, without their database identity."""
    return sorted((replace(o, id=None, is_sample=False) for o in officials), key=lambda o: o.phone)


@dataclass(frozen=True, slots=True)
class Run:
    """How a command ended and what it wrote."""

    code: int
    stdout: str
    stderr: str


async def hotline(database_url: str, *args: str) -> Run:
    """Run `hotline ARGS` against the database as an operator does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "AT_"))}
    env.update(DATABASE_URL=database_url, LOG_FORMAT="json")
    process = await asyncio.create_subprocess_exec(
        HOTLINE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return Run(process.returncode, stdout.decode(), stderr.decode())


def directory_file(tmp_path: Path, *rows: str, name: str = "officials.csv") -> Path:
    """An officials file on disk."""
    path = tmp_path / name
    path.write_text(csv_text(*rows), "utf-8")
    return path


async def directory(conn: asyncpg.Connection) -> list[tuple[str, str, bool]]:
    """(name, phone, active) of every official stored, by name."""
    rows = await conn.fetch("SELECT name, phone, active FROM officials ORDER BY name")
    return [(r["name"], r["phone"], r["active"]) for r in rows]


PHONE_FORMS = [
    ("local", "081234567890"),
    ("local-dashes", "0812-3456-7890"),
    ("country-code", "6281234567890"),
    ("country-code-spaces", "62 812 3456 7890"),
    ("plus-spaced-dashed", "+62 812-3456-7890"),
    ("e164", "+6281234567890"),
]


class TestParse:
    @pytest.mark.parametrize("phone", [p for _, p in PHONE_FORMS], ids=[i for i, _ in PHONE_FORMS])
    def test_phone_becomes_e164(self, phone: str) -> None:
        """Every usual way of writing a mobile number is stored as E.164."""
        row = with_field(CAMAT, "phone", phone)
        assert ["+6281234567890"] == [o.phone for o in parse(csv_text(row))]

    def test_row_fields(self) -> None:
        """A row becomes an official with each field in its type."""
        expected = Official(
            name="Tatang Contoh",
            role="Kepala Desa",
            phone="+6281199000030",
            office="Desa Sampel, Kec. Pontang",
            kecamatan_codes=("36.04.12", "36.04.13"),
            categories=("calo", "biaya", "dokumen"),
            tier=1,
            active=True,
        )
        assert [expected] == parse(csv_text(KADES))

    def test_whole_file(self) -> None:
        """Every row of a valid file is parsed, in file order."""
        assert NAMES == [o.name for o in parse(csv_text(*DIRECTORY))]

    def test_star_means_everything(self) -> None:
        """'*' is accepted for kecamatan codes and for categories."""
        official = parse(csv_text(DISNAKER))[0]
        assert (("*",), ("*",)) == (official.kecamatan_codes, official.categories)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("true", True),
            ("TRUE", True),
            ("ya", True),
            ("yes", True),
            ("1", True),
            ("false", False),
            ("tidak", False),
            ("no", False),
            ("0", False),
        ],
    )
    def test_active_words(self, value: str, expected: bool) -> None:
        """'active' takes true/false in English, Indonesian or as 1/0, in any case."""
        row = with_field(CAMAT, "active", value)
        assert [expected] == [o.active for o in parse(csv_text(row))]

    def test_spaces_are_trimmed(self) -> None:
        """Spaces around fields and inside names are tidied."""
        row = (
            "  Agus   Contoh , Camat , +6281199000007 , Kec. Pontang , 36.04.12 ,"
            " calo ; biaya , 1 , true"
        )
        official = parse(csv_text(row))[0]
        assert ("Agus Contoh", ("calo", "biaya"), 1) == (
            official.name,
            official.categories,
            official.tier,
        )

    def test_utf8_bom_is_ignored(self) -> None:
        """A file saved by a spreadsheet with a byte-order mark parses the same."""
        assert parse(csv_text(CAMAT)) == parse("\ufeff" + csv_text(CAMAT))


BAD_VALUES = [
    # (id, field, bad value)
    ("phone-letters", "phone", "abc"),
    ("phone-empty", "phone", ""),
    ("phone-five-digits", "phone", "12345"),
    ("phone-short-mobile", "phone", "0812345"),
    ("kecamatan-unknown", "kecamatan_codes", "36.04.99"),
    ("kecamatan-one-unknown", "kecamatan_codes", "36.04.12;36.04.99"),
    ("kecamatan-empty", "kecamatan_codes", ""),
    ("category-unknown", "categories", "penipuan"),
    ("category-empty", "categories", ""),
    ("tier-4", "tier", "4"),
    ("tier-0", "tier", "0"),
    ("tier-word", "tier", "satu"),
    ("active-maybe", "active", "maybe"),
    ("name-empty", "name", ""),
]


class TestInvalidRows:
    @pytest.mark.parametrize(
        ("field", "value"), [b[1:] for b in BAD_VALUES], ids=[b[0] for b in BAD_VALUES]
    )
    def test_reported_by_line_and_field(self, field: str, value: str) -> None:
        """A bad value is reported with its line (the header is line 1) and field."""
        bad = with_field(CAMAT, field, value)
        other = with_field(CAMAT, "phone", "+6281199000099")
        assert [(3, field)] == problems(csv_text(other, bad))

    @pytest.mark.parametrize("code", ["POL RES", "P", "POLRES-SERANG", "9POLRES"])
    def test_bad_agency_code_is_reported(self, code: str) -> None:
        """An agency code that is not 2-16 letters, digits or '_' is reported with its line."""
        text = csv_text(f"{CAMAT},{code}", header=HEADER + ",agency")
        assert [(2, "agency")] == problems(text)

    def test_agency_code_is_read_in_capitals(self) -> None:
        """The optional agency column is read and upper-cased (TERUSKAN names it so)."""
        [official] = parse(csv_text(f"{CAMAT},polres", header=HEADER + ",agency"))
        assert "POLRES" == official.agency

    def test_every_problem_at_once(self) -> None:
        """Every bad row and field is reported in one go."""
        text = csv_text(
            with_field(CAMAT, "tier", "4"),
            KADES,
            with_field(with_field(DISNAKER, "active", "maybe"), "categories", "penipuan"),
        )
        assert [(2, "tier"), (4, "categories"), (4, "active")] == problems(text)

    def test_bad_phone_message_quotes_it(self) -> None:
        """The bad phone problem says what was written."""
        with pytest.raises(InvalidCsv) as refused:
            parse(csv_text(with_field(CAMAT, "phone", "abc")))
        assert "line 2, phone: not a phone number: 'abc'" == str(refused.value)

    def test_unknown_codes_are_named(self) -> None:
        """The unknown kecamatan code and category are named in the problem."""
        row = with_field(with_field(CAMAT, "kecamatan_codes", "36.04.99"), "categories", "judi")
        with pytest.raises(InvalidCsv) as refused:
            parse(csv_text(row))
        assert [
            "unknown kecamatan code(s) ['36.04.99']",
            "unknown category key(s) ['judi']",
        ] == [p.message for p in refused.value.problems]

    def test_same_phone_twice(self) -> None:
        """One number written two ways in two rows is a duplicate of the first line."""
        twin = with_field(with_field(CAMAT, "name", "Agus Kembar"), "phone", "081199000007")
        with pytest.raises(InvalidCsv) as refused:
            parse(csv_text(CAMAT, twin))
        assert ["line 3, phone: duplicate of line 2"] == [str(p) for p in refused.value.problems]

    def test_missing_column(self) -> None:
        """A file without the tier column is refused naming it, on line 1."""
        header = HEADER.replace(",tier", "")
        row = "Agus Contoh,Camat,+6281199000007,Kecamatan Pontang,36.04.12,*,true"
        assert [(1, "tier")] == problems(csv_text(row, header=header))

    def test_empty_file(self) -> None:
        """A file with a header and no rows is refused."""
        assert [(1, "")] == problems(csv_text())


class TestImportCommand:
    async def test_first_import_lists_added(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Into an empty directory every official is listed as added."""
        path = directory_file(tmp_path, *DIRECTORY)
        run = await hotline(database_url, "officials", "import", str(path))
        expected = (
            f"imported 4 officials from {path}\n"
            "added: 4\n" + "".join(f"  {n}\n" for n in NAMES) + "changed: 0\ndeactivated: 0\n"
        )
        assert (0, expected) == (run.code, run.stdout)

    async def test_phones_stored_as_e164(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Numbers written as 0811.., 62 811.. and +62 811-.. are stored in E.164."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        assert ["+6281199000007", "+6281199000030", "+6281199000036", "+6281199000039"] == sorted(
            phone for _, phone, _ in await directory(conn)
        )

    async def test_second_import_deactivates_missing(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """An official missing from the next file is listed as deactivated."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        path = directory_file(tmp_path, CAMAT, DISNAKER, BP3MI, name="next.csv")
        run = await hotline(database_url, "officials", "import", str(path))
        expected = (
            f"imported 3 officials from {path}\n"
            "added: 0\nchanged: 0\ndeactivated: 1\n  Tatang Contoh\n"
        )
        assert (0, expected) == (run.code, run.stdout)

    async def test_deactivated_is_kept(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The missing official is kept, inactive, not deleted."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        path = directory_file(tmp_path, CAMAT, DISNAKER, BP3MI, name="next.csv")
        await hotline(database_url, "officials", "import", str(path))
        assert [
            ("Agus Contoh", "+6281199000007", True),
            ("Ahmad Contoh", "+6281199000036", True),
            ("Nur Contoh", "+6281199000039", True),
            ("Tatang Contoh", "+6281199000030", False),
        ] == await directory(conn)

    async def test_changed_official_listed(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """An official whose row changed is listed as changed, matched by phone."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        moved = with_field(BP3MI, "tier", "2")
        path = directory_file(tmp_path, CAMAT, KADES, DISNAKER, moved, name="next.csv")
        run = await hotline(database_url, "officials", "import", str(path))
        assert "added: 0\nchanged: 1\n  Nur Contoh\ndeactivated: 0\n" in run.stdout

    async def test_returning_official_is_active_again(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """An official back in a later file is active again."""
        await hotline(database_url, "officials", "import", str(directory_file(tmp_path, CAMAT)))
        await hotline(database_url, "officials", "import", str(directory_file(tmp_path, KADES)))
        await hotline(database_url, "officials", "import", str(directory_file(tmp_path, CAMAT)))
        assert [
            ("Agus Contoh", "+6281199000007", True),
            ("Tatang Contoh", "+6281199000030", False),
        ] == await directory(conn)

    async def test_bad_file_names_line_and_field(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A file with bad rows exits 1, naming each bad line and field, without a traceback."""
        path = directory_file(tmp_path, CAMAT, with_field(DISNAKER, "tier", "4"))
        run = await hotline(database_url, "officials", "import", str(path))
        assert (1, ["line 3, tier"], False) == (
            run.code,
            re.findall(r"line \d+, \w+", run.stderr),
            "Traceback" in run.stderr,
        )

    async def test_number_too_short_is_refused_by_line(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A number too short to be a mobile is a line-and-field problem, not a traceback."""
        path = directory_file(tmp_path, CAMAT, with_field(DISNAKER, "phone", "12345"))
        run = await hotline(database_url, "officials", "import", str(path))
        assert (1, ["line 3, phone"], False) == (
            run.code,
            re.findall(r"line \d+, \w+", run.stderr),
            "Traceback" in run.stderr,
        )

    async def test_bad_file_changes_nothing(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """A refused file leaves the directory as it was."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        before = await directory(conn)
        path = directory_file(tmp_path, CAMAT, with_field(DISNAKER, "tier", "4"), name="bad.csv")
        await hotline(database_url, "officials", "import", str(path))
        assert before == await directory(conn)

    async def test_dry_run_changes_nothing(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """--dry-run says what would happen and stores nothing."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        before = await directory(conn)
        path = directory_file(tmp_path, CAMAT, name="next.csv")
        run = await hotline(database_url, "officials", "import", "--dry-run", str(path))
        lines = run.stdout.splitlines()
        assert (f"would import 1 officials from {path}", "deactivated: 3", before) == (
            lines[0],
            next(line for line in lines if line.startswith("deactivated:")),
            await directory(conn),
        )


class TestExportCommand:
    async def test_round_trips(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The export parses back to the officials imported (with their stable ids added)."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        run = await hotline(database_url, "officials", "export")
        exported = [replace(o, id=None) for o in parse(run.stdout)]
        assert by_phone(parse(csv_text(*DIRECTORY))) == by_phone(exported)

    async def test_matches_the_stored_directory(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """The export is the stored directory in the import format, inactive officials too."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        await hotline(database_url, "officials", "import", str(directory_file(tmp_path, CAMAT)))
        run = await hotline(database_url, "officials", "export")
        assert format_officials(await load_officials(conn)) == run.stdout

    async def test_reimport_changes_nothing(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """Importing the export again adds, changes and deactivates nobody."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        exported = tmp_path / "export.csv"
        await hotline(database_url, "officials", "export", "-o", str(exported))
        run = await hotline(database_url, "officials", "import", str(exported))
        assert "added: 0\nchanged: 0\ndeactivated: 0\n" in run.stdout

    async def test_output_file_equals_stdout(
        self, database_url: str, conn: asyncpg.Connection, tmp_path: Path
    ) -> None:
        """`-o FILE` writes what stdout would show."""
        await hotline(
            database_url, "officials", "import", str(directory_file(tmp_path, *DIRECTORY))
        )
        exported = tmp_path / "export.csv"
        await hotline(database_url, "officials", "export", "-o", str(exported))
        run = await hotline(database_url, "officials", "export")
        assert run.stdout == exported.read_text("utf-8")
