"""
Errors the storage package raises for what it checks itself. A database that is unreachable,
times out or refuses a statement is not translated: it shows as one of
storage.db.DATABASE_ERRORS (asyncpg's and the socket's errors), which callers wait out or answer
politely.

    StorageError
    ├── MigrationError        the migration files or the applied history are inconsistent
    ├── InvalidCsv            a CSV file failed validation; carries every problem found
    └── UserExists            (storage.users) a console account of that name exists already
"""

from __future__ import annotations

from dataclasses import dataclass


class StorageError(Exception):
    """The database could not do what was asked."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class MigrationError(StorageError):
    """The migration files or the applied history are inconsistent."""


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One problem in a CSV file: line 1 is the header."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        return f"{where}: {self.message}"


class InvalidCsv(StorageError):
    """The CSV file is invalid; nothing was changed."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
