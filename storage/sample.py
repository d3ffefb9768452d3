"""
The bundled fictional sample registry for demos and tests.

Every name carries Contoh/Sampel/Fiktif and every licence number starts with 99, so no row can be
mistaken for a real company's licence status.
"""

from __future__ import annotations

from dataclasses import replace
from importlib import resources

from storage.job_orders import JobOrder, parse_job_orders
from storage.registry import Agency
from storage.registry_csv import parse_agencies

SAMPLE_FILE = "agencies.csv"


def sample_agencies() -> list[Agency]:
    """The sample registry, marked as sample."""
    text = (resources.files("storage") / "sample" / SAMPLE_FILE).read_text("utf-8")
    return [replace(a, is_sample=True) for a in parse_agencies(text)]


def sample_officials_csv() -> str:
    """The fictional officials directory (real roles, fictional people, sample numbers)."""
    return (resources.files("storage") / "sample" / "officials.csv").read_text("utf-8")


def sample_job_orders() -> list[JobOrder]:
    """Fictional job orders of the sample agencies (licence numbers starting with 99)."""
    text = (resources.files("storage") / "sample" / "job_orders.csv").read_text("utf-8")
    return [replace(o, is_sample=True) for o in parse_job_orders(text)]
