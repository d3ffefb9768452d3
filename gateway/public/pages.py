"""
The public pages, no login: /info (the regency), /info/<kecamatan code>, /info/<desa code>, and
/info/<desa code>/poster (an A4 poster with a QR code to the desa's page, in Indonesian).

Built for a cheap phone on 2G: one HTML document with its small stylesheet inline (pinned by hash
in the Content-Security-Policy), no script, no image but the poster's inline SVG QR code, no
external asset. Everything shown is public already: the resident texts and facts with their
sources (ussd_menus catalogues), the registry (the same in-memory index USSD searches) and monthly
counts in which a small number (1 to 4) is shown as "< 5", so no case can be recognised.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import jinja2
import segno
from aiohttp import web
from markupsafe import Markup

from gateway import keys
from gateway.agency_index import AgencyIndex
from gateway.forwarded import behind_tls
from gateway.page_security import harden
from storage.areas import EVERYWHERE, Area, area_of, desa_by_code
from storage.public_figures import MonthCount, tips_per_month, unknown_checks_per_month
from storage.regions import load_kecamatan
from storage.tips import CATEGORIES
from ussd_menus import catalogue, destinations
from ussd_menus.agency_check import status_line
from ussd_menus.model import Context, Env, Lang
from ussd_menus.safe_migration import load_topics
from ussd_menus.texts import day, t

WIB = timezone(timedelta(hours=7), "WIB")
CSS = (resources.files("gateway.public") / "public.css").read_text("utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
PUBLIC_CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'self' data:;"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MONTHS = 6  # months of figures on a page
JOB_ORDER_ROWS = 100  # a page stays light on 2G
SMALL = 5  # a count below this (but above 0) is shown as "< 5"
QUERY_CAP = 60
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gateway.public", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True, slots=True)
class Place:
    """The regency, a kecamatan or a desa: its code, its name, and the tips it covers."""

    code: str
    name: str
    area: Area
    parent: Place | None = None


REGENCY = Place("*", "Kabupaten Serang", EVERYWHERE)


def shown_count(count: int) -> str:
    """A public count: small ones hidden so no case can be recognised."""
    return f"< {SMALL}" if 0 < count < SMALL else str(count)


def months_back(today: date, months: int) -> list[date]:
    """The first days of the last `months` months, this one included, oldest first."""
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.append((firsts[-1] - timedelta(days=1)).replace(day=1))
    return firsts[::-1]


def open_job_orders(
    index: AgencyIndex, today: date, lang: Lang
) -> list[tuple[str, str, str, str, str]]:
    """The job orders valid today of agencies that may recruit today (agency, country, job,
    quota, valid until), by country then agency; at most JOB_ORDER_ROWS."""
    table = destinations.active()
    rows = []
    for agency in index.agencies:
        if agency.effective_status(today) != "aktif":
            continue
        for order in index.job_orders(agency.licence_number) or ():
            if order.valid_until < today:
                continue
            country = table.country_by_code(order.country_code)
            job = table.job_by_key(order.job_kind)
            rows.append(
                (
                    country.name(lang) if country else order.country_code,
                    agency.name,
                    job.label(lang) if job else order.job_kind,
                    str(order.quota) if order.quota is not None else "-",
                    day(order.valid_until),
                )
            )
    return sorted(rows)[:JOB_ORDER_ROWS]


def closed_destinations(lang: Lang) -> list[tuple[str, str, str, str]]:
    """Each ban as residents read it: the countries, the jobs, since when, and its source."""
    table = destinations.active()
    shown = []
    for ban in table.bans:
        countries = [table.country_by_code(c) for c in ban.countries]
        names = ", ".join(c.name(lang) for c in countries if c)
        jobs = [table.job_by_key(j) for j in ban.jobs]
        kinds = ", ".join(j.label(lang) for j in jobs if j) or t("web.all_jobs", lang)
        source = t("web.source", lang, source=ban.source, day=day(ban.verified_on))
        shown.append((names, kinds, day(ban.since), source))
    return shown


def figure_rows(
    counts: list[MonthCount], months: list[date], kinds: list[tuple[str, str]]
) -> list[tuple[str, list[str]]]:
    """One row per kind (key, label): its label and a shown count per month."""
    by = {(c.kind, c.month): c.count for c in counts}
    return [(label, [shown_count(by.get((key, m), 0)) for m in months]) for key, label in kinds]


async def place_of(request: web.Request, code: str) -> Place | None:
    """The place a code in the URL names, or None."""
    if code == "*":
        return REGENCY
    kecamatan = {k.code: k.name for k in await load_kecamatan(request.app[keys.POOL])}
    desa = desa_by_code().get(code)
    if desa is not None and desa.kecamatan_code in kecamatan:
        parent = Place(desa.kecamatan_code, kecamatan[desa.kecamatan_code], area_of(code[:8]))
        return Place(code, desa.name, area_of(code), parent)
    if code in kecamatan:
        return Place(code, kecamatan[code], area_of(code), REGENCY)
    return None


def language(request: web.Request) -> Lang:
    """The page's language: ?lang=en, else Indonesian."""
    return "en" if request.query.get("lang") == "en" else "id"


def page(template: str, status: int = 200, **values: Any) -> web.Response:
    """A public page: cacheable (nothing personal in it), with the public pages' CSP."""
    html = _ENV.get_template(template).render(css=Markup(CSS), **values)  # noqa: S704 - our file
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "public, max-age=300" if status == 200 else "no-store"
    harden(response, PUBLIC_CSP)
    return response


def _texts(lang: Lang) -> Any:
    """The page's lookup of resident texts: t('web.x', name=value)."""
    return lambda key, **values: t(key, lang, **values)


async def info_page(request: web.Request) -> web.Response:
    """GET /info and /info/{code}: the public page of the regency, a kecamatan or a desa."""
    lang = language(request)
    place = await place_of(request, request.match_info.get("code", "*"))
    if place is None:
        return page("not_found.html", 404, lang=lang, t=_texts(lang))
    pool = request.app[keys.POOL]
    today = datetime.now(WIB).date()
    months = months_back(today, MONTHS)
    index = request.app[keys.DIRECTORY].index
    query = request.query.get("q", "").strip()[:QUERY_CAP]
    ctx = Context(lang, Env(agencies=index, today=today))
    found = [
        (a, status_line(a, ctx), a.effective_status(today) == "aktif")
        for a in (index.search(query) if query else ())
    ]
    categories = [(c, t(f"cat.{c}", lang)) for c in CATEGORIES]
    tips = figure_rows(await tips_per_month(pool, place.area, months[0]), months, categories)
    checks = figure_rows(
        await unknown_checks_per_month(pool, months[0]),
        months,
        [("unknown", t("web.checks_unknown", lang))],
    )
    content = catalogue.active()
    return page(
        "info.html",
        lang=lang,
        t=_texts(lang),
        place=place,
        children=await _children(request, place),
        config=request.app[keys.CONFIG],
        query=query,
        found=found,
        snapshot=day(index.snapshot_date) if index.snapshot_date else "",
        months=[f"{m:%m/%Y}" for m in months],
        tips=tips,
        checks=checks,
        orders=open_job_orders(index, today, lang),
        orders_date=day(index.job_orders_date) if index.job_orders_date else "",
        bans=closed_destinations(lang),
        topics=[(topic.title[lang], topic.pages[lang]) for topic in load_topics()],
        hotlines=content.hotlines,
        facts=[f for f in content.facts if f.verified_on],
        day=day,
    )


async def _children(request: web.Request, place: Place) -> list[tuple[str, str]]:
    """The places one level down (code, name): the kecamatan of the regency, a kecamatan's desa."""
    if place is REGENCY:
        return [(k.code, k.name) for k in await load_kecamatan(request.app[keys.POOL])]
    if place.parent is REGENCY:
        desa = [d for d in desa_by_code().values() if d.kecamatan_code == place.code]
        return [(d.code, d.name) for d in sorted(desa, key=lambda d: d.name)]
    return []


async def poster(request: web.Request) -> web.Response:
    """GET /info/{code}/poster: the desa's A4 poster, in Indonesian, with a QR code (SVG) to
    the desa's public page."""
    place = await place_of(request, request.match_info["code"])
    if place is None or place.parent is None or place.parent is REGENCY:
        return page("not_found.html", 404, lang="id", t=_texts("id"))
    config = request.app[keys.CONFIG]
    scheme = "https" if behind_tls(request) else request.scheme
    base = config.public_url or f"{scheme}://{request.host}"
    url = f"{base}/info/{place.code}"
    qr = segno.make(url, error="m").svg_inline(scale=4, title=url)
    response = page(
        "poster.html",
        lang="id",
        t=_texts("id"),
        place=place,
        config=config,
        url=url,
        qr=Markup(qr),  # noqa: S704 - segno's own SVG of our URL (escaped by segno)
        hotlines=catalogue.active().hotlines,
    )
    # The address comes from the request unless HOTLINE_PUBLIC_URL is set: never cached.
    response.headers["Cache-Control"] = "no-store"
    return response


def setup_public(app: web.Application) -> None:
    """Register the public pages."""
    app.router.add_get("/info", info_page)
    app.router.add_get(r"/info/{code:36\.04\.\d{2}(\.\d{4})?}", info_page)
    app.router.add_get(r"/info/{code:36\.04\.\d{2}\.\d{4}}/poster", poster)
