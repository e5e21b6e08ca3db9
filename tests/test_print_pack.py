"""The board pack read as its reader would: every printed page of the English, Korean and
executive packs, and of a synthetic 36-month, 50,000-subscription company with costs,
funnel and NPS, checked from the PDF itself (poppler's ``pdftohtml -xml`` gives each text
run's font size; ``pdftotext`` its words):

* no text on any page under 8 pt;
* no ``#DIV/0!``, ``#N/A``, ``#VALUE!``, ``kpi-addin``, ``--option`` text or JSON key printed;
* the 36-month company prints as many pages as the 24-month one (pages are designed, not
  sheets that grow);
* every chart's categories leave the opening month out;
* status words come from the allowed set, and none is green unless met;
* every cell style in the file names its font.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.dashboard.template import PACK_PAGES, load_template
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.lang import load_language
from kpi_addin.metrics.catalogue import KPI_KEYS

from .dashboard_helpers import _NS, _rels
from .libreoffice import require_soffice

pytestmark = pytest.mark.libreoffice

ERROR_CODES = ("#DIV/0!", "#N/A", "#VALUE!", "#NUM!", "#REF!", "#NAME?")
MIN_POINTS = 8


def sizes_by_page(pdf: Path) -> list[list[tuple[float, str]]]:
    """Per page, (font size in points, text) of every text run."""
    xml = subprocess.run(
        ["pdftohtml", "-xml", "-i", "-zoom", "1", "-stdout", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    specs = {m.group(1): float(m.group(2)) for m in re.finditer(r'<fontspec id="(\d+)" size="([-\d.]+)"', xml)}
    pages = []
    for page in xml.split("<page ")[1:]:
        runs = re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', page, re.S)
        pages.append([(specs[f], re.sub(r"<[^>]+>", "", t)) for f, t in runs if re.sub(r"<[^>]+>", "", t).strip()])
    return pages


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\x0c")[:-1] if text.endswith("\x0c") else text.split("\x0c")


def synthetic_company(folder: Path, months: int, subscriptions: int = 50_000, seed: int = 7) -> Path:
    """A canonical CSV folder: ``subscriptions`` over ``months`` months ending 2025-12, with
    costs (with EBITDA and cash), funnel and NPS for every month and a budget for the last
    year (a company of the size the board pack must print, with every page it can have)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    first = pd.Period("2025-12", "M") - (months - 1)
    start0 = first.start_time
    span = (pd.Period("2025-12", "M").end_time - start0).days
    customers = int(subscriptions * 0.8)
    owner = np.concatenate([np.arange(customers), rng.integers(0, customers, subscriptions - customers)])
    start = start0 + pd.to_timedelta(rng.integers(0, span, subscriptions), "D")
    life = pd.to_timedelta(rng.exponential(500, subscriptions).astype(int) + 31, "D")
    end = pd.Series(start + life)
    end[rng.random(subscriptions) < 0.5] = pd.NaT
    subs = pd.DataFrame(
        {
            "customer_id": [f"S{i:06d}" for i in owner],
            "plan": rng.choice(["Starter", "Pro", "Enterprise"], subscriptions, p=[0.6, 0.3, 0.1]),
            "amount": rng.choice([29.0, 99.0, 299.0, 990.0], subscriptions, p=[0.4, 0.3, 0.2, 0.1]),
            "interval": rng.choice(["month", "year"], subscriptions, p=[0.8, 0.2]),
            "start_date": pd.Series(start).dt.strftime("%Y-%m-%d"),
            "end_date": end.dt.strftime("%Y-%m-%d"),
        }
    )
    subs.to_csv(folder / "subscriptions.csv", index=False)
    month_list = pd.period_range(first, "2025-12", freq="M").strftime("%Y-%m")
    n = len(month_list)
    pd.DataFrame(
        {
            "month": month_list,
            "sales": rng.uniform(150_000, 250_000, n).round(2),
            "marketing": rng.uniform(100_000, 200_000, n).round(2),
            "customer_success": rng.uniform(40_000, 60_000, n).round(2),
            "infrastructure": rng.uniform(30_000, 50_000, n).round(2),
            "retention_programs": rng.uniform(5_000, 10_000, n).round(2),
            "cogs": rng.uniform(80_000, 120_000, n).round(2),
            "ebitda": rng.uniform(-600_000, -200_000, n).round(2),
            "cash": (60_000_000 - np.cumsum(rng.uniform(300_000, 700_000, n))).round(2),
        }
    ).to_csv(folder / "costs.csv", index=False)
    # a budget for the last year, so the plan page prints beside the cash page
    budget = month_list[-12:]
    pd.DataFrame(
        {
            "month": budget,
            "scenario": "budget",
            "mrr": np.linspace(1_500_000, 2_000_000, 12).round(0),
            "customers": np.linspace(20_000, 24_000, 12).round(0),
        }
    ).to_csv(folder / "plan.csv", index=False)
    visitors = rng.integers(200_000, 300_000, n)
    leads = (visitors * 0.02).astype(int)
    mql = (leads * 0.4).astype(int)
    pd.DataFrame(
        {"month": month_list, "visitors": visitors, "leads": leads, "mql": mql, "sql": (mql * 0.4).astype(int)}
    ).to_csv(folder / "funnel.csv", index=False)
    answers = 600
    dates = start0 + pd.to_timedelta(rng.integers(0, span, answers), "D")
    pd.DataFrame({"date": pd.Series(dates).dt.strftime("%Y-%m-%d"), "score": rng.integers(0, 11, answers)}).to_csv(
        folder / "nps.csv", index=False
    )
    pd.DataFrame({"key": ["company", "as_of"], "value": ["Synthetic Scale Co.", "2025-12"]}).to_csv(
        folder / "settings.csv", index=False
    )
    return folder


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """(workbook, PDF) of a pack, made once through the command line."""
    made: dict[tuple[str, str, int | None], tuple[Path, Path]] = {}

    def pack(template: str = "full", lang: str = "en", months: int | None = None) -> tuple[Path, Path]:
        key = (template, lang, months)
        if key not in made:
            require_soffice()
            folder = tmp_path_factory.mktemp(f"{template}-{lang}-{months}")
            args = ["dashboard", "--out", str(folder / "d.xlsx"), "--pdf", str(folder / "pack.pdf")]
            args += ["--template", template, "--lang", lang]
            if months is not None:
                args += ["--data", str(synthetic_company(folder / "data", months))]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
            made[key] = folder / "d.xlsx", folder / "pack.pdf"
        return made[key]

    return pack


CASES = [("full", "en", None), ("full", "ko", None), ("executive", "en", None), ("full", "en", 36)]


@pytest.mark.parametrize(("template", "lang", "months"), CASES)
def test_no_text_on_any_page_is_under_8_points(printed, template, lang, months):
    _xlsx, pdf = printed(template, lang, months)
    small = [
        (page, size, text)
        for page, runs in enumerate(sizes_by_page(pdf), start=1)
        for size, text in runs
        if size < MIN_POINTS
    ]
    assert small == []


@pytest.mark.parametrize(("template", "lang", "months"), CASES)
def test_no_error_code_program_text_or_json_key_is_printed(printed, template, lang, months):
    _xlsx, pdf = printed(template, lang, months)
    keys = {k for k in KPI_KEYS if "_" in k}
    for number, text in enumerate(page_texts(pdf), start=1):
        for code in ERROR_CODES:
            assert code not in text, (number, code)
        assert "kpi-addin" not in text.lower(), number
        assert not re.search(r"(^|\s)--[a-z]", text), number
        words = set(re.findall(r"[a-z0-9_]+", text))
        assert not (words & keys), (number, words & keys)


def test_the_pack_has_its_pages_in_order_and_each_page_is_one_page(printed):
    _xlsx, pdf = printed("full", "en")
    texts = page_texts(pdf)
    language = load_language("en")
    # the plan page is printed only when the input has a plan
    has_plan = read_company_data(sample_path())[0].plan is not None
    pages = [key for key in load_template("full").pack if has_plan or key != "pack_plan"]
    titles = [language.ui[f"title_{key}"] for key in pages]
    assert len(texts) == len(titles) == len(PACK_PAGES) - (not has_plan)
    for text, title in zip(texts, titles, strict=True):
        first = next(line.strip() for line in text.splitlines() if line.strip())
        assert title in first, (title, first)
    assert "December 2025" in texts[0]


def test_a_36_month_company_prints_as_many_pages_as_a_24_month_one(printed):
    pages = page_texts(printed("full", "en", 36)[1])
    assert len(pages) == len(page_texts(printed("full", "en", 24)[1]))
    # with costs, cash, EBITDA, a funnel, NPS and a budget every page of the pack prints
    assert len(pages) == len(load_template("full").pack)


def test_the_executive_pack_holds_no_customer_pages(printed):
    _xlsx, pdf = printed("executive", "en")
    has_plan = read_company_data(sample_path())[0].plan is not None
    assert len(page_texts(pdf)) == len(load_template("executive").pack) - (not has_plan)


def chart_categories(path: Path) -> dict[str, list[list[str]]]:
    """Per sheet title, the category range formulas of each chart's series."""
    out: dict[str, list[list[str]]] = {}
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = _rels(archive, "xl/workbook.xml")
        for sheet in workbook.findall("m:sheets/m:sheet", _NS):
            part = rels[sheet.get(f"{{{_NS['r']}}}id")]
            for drawing in (t for t in _rels(archive, part).values() if "/drawings/" in t):
                drawing_rels = _rels(archive, drawing)
                for ref in ElementTree.fromstring(archive.read(drawing)).findall(".//c:chart", _NS):
                    chart = ElementTree.fromstring(archive.read(drawing_rels[ref.get(f"{{{_NS['r']}}}id")]))
                    cats = [f.text or "" for f in chart.findall(".//c:cat//c:f", _NS)]
                    out.setdefault(sheet.get("name") or "", []).append(cats)
    return out


def test_every_pack_chart_leaves_the_opening_month_out(printed):
    """The sample's ledger opens in 2024-01: no chart of a pack page starts there."""
    from openpyxl import load_workbook

    xlsx, _pdf = printed("full", "en")
    wb = load_workbook(xlsx)
    language = load_language("en")
    pack_titles = {language.sheets[k] for k in PACK_PAGES}
    checked = 0
    for title, chart_list in chart_categories(xlsx).items():
        if title not in pack_titles:
            continue
        for cats in chart_list:
            for formula in cats:
                sheet_name, cells = formula.rsplit("!", 1)
                ws = wb[sheet_name.strip("'")]
                first = cells.replace("$", "").split(":")[0]
                value = ws[first].value
                if isinstance(value, str) and value.startswith("="):  # a month formula: its cached value
                    value = load_workbook(xlsx, data_only=True)[sheet_name.strip("'")][first].value
                assert not (hasattr(value, "year") and (value.year, value.month) == (2024, 1)), (title, formula)
                checked += 1
    assert checked >= 8


def test_an_undefined_chart_point_prints_as_a_gap_not_as_zero(printed, tmp_path):
    """LibreOffice plots an error cell as 0 (Excel leaves the point out): NRR's first month,
    undefined, drew a false 0 % on the retention page.  The PDF's copy empties the error
    cells of the printed sheets; the workbook keeps them, and the other sheets' errors stay."""
    from openpyxl import load_workbook

    from kpi_addin.dashboard.cache import sheet_paths
    from kpi_addin.dashboard.pdf import printable_copy

    xlsx, _pdf = printed("full", "en")
    retention, monthly = load_language("en").sheets["pack_retention"], load_language("en").sheets["monthly"]
    cached = load_workbook(xlsx, data_only=True)
    errors = [c.coordinate for row in cached[retention].iter_rows() for c in row if c.value == "#N/A"]
    assert len(errors) == 2  # NRR and GRR, 12 months, of December 2024 (the window opens before the ledger)
    copy = printable_copy(xlsx, tmp_path / "print.xlsx", [retention])
    with zipfile.ZipFile(copy) as book:
        paths = sheet_paths(book)
        printed_xml = book.read(paths[retention]).decode("utf-8")
        other_xml = book.read(paths[monthly]).decode("utf-8")
    assert 't="e"' not in printed_xml
    for cell in errors:
        assert re.search(rf'<c r="{cell}"(\s+s="\d+")?/>', printed_xml), cell  # an empty cell, its style kept
    assert 't="e"' in other_xml  # a sheet that does not print keeps its errors
    values = load_workbook(copy, data_only=True)[retention]
    assert [values[c].value for c in errors] == [None, None]
    assert values["V10"].value == pytest.approx(cached[retention]["V10"].value)  # the next month is untouched


ALLOWED = {"met", "below target", "far below", "on course", "off course", "missed", "n/a", ""}
GREEN = {"C6EFCE"}


def test_status_words_are_the_allowed_ones_and_only_met_is_green(printed):
    from openpyxl import load_workbook

    xlsx, _pdf = printed("full", "en")
    values = load_workbook(xlsx, data_only=True)
    language = load_language("en")
    for key in ("goals", "pack_goals", "pack_scorecard"):
        ws = values[language.sheets[key]]
        column = {"goals": ["H", "J"], "pack_goals": ["E", "F"], "pack_scorecard": ["F"]}[key]
        words = {ws[f"{c}{r}"].value or "" for c in column for r in range(5, ws.max_row + 1)}
        assert words <= ALLOWED, (key, words - ALLOWED)
        rules = values[language.sheets[key]].conditional_formatting
        for rule_range in rules:
            for rule in rule_range.rules:
                colour = rule.dxf.fill.bgColor.rgb[-6:] if rule.dxf and rule.dxf.fill else None
                if colour in GREEN:
                    assert f'="{language.status["met"]}"' in rule.formula[0], (key, rule.formula)


def test_every_style_names_its_font(printed):
    for lang, font in (("en", "Calibri"), ("ko", "Malgun Gothic")):
        xlsx, _pdf = printed("full", lang)
        with zipfile.ZipFile(xlsx) as archive:
            styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
        fonts = styles.findall("m:fonts/m:font", _NS)
        assert fonts
        names = [f.find("m:name", _NS) for f in fonts]
        assert all(n is not None and n.get("val") == font for n in names), [
            n.get("val") if n is not None else None for n in names
        ]


def test_the_segments_page_prints_the_library_figures(printed):
    """The sample by plan: each segment's MRR, share and customers as the page prints them."""
    from kpi_addin.metrics import monthly_kpis
    from kpi_addin.metrics.segments import segment_report

    _xlsx, pdf = printed("full", "en")
    data = read_company_data(sample_path())[0]
    report = monthly_kpis(data)
    result = segment_report(data, report, ("plan",))
    latest = result.monthly.xs(report.as_of, level="month")
    page = next(t for t in page_texts(pdf) if t.strip().startswith("Segments"))
    assert "Segments — December 2025" in page and "by plan" in page
    lines: dict[str, list[str]] = {}
    for line in page.splitlines():  # a segment's row is the first line it starts (the chart's legend is later)
        if line.strip():
            lines.setdefault(line.split()[0], line.split()[1:])
    company_mrr = float(report.monthly["mrr"].iloc[-1])
    checked = 0
    for code, plan in enumerate(result.segments["plan"]):
        mrr = float(latest["mrr"].iloc[code])
        if mrr < 1_000:
            continue
        figures = lines[str(plan)]
        assert figures[0] == f"${mrr / 1e3:.1f}k", (plan, figures)  # money scaled for the page
        assert figures[1] == f"{mrr / company_mrr:.1%}", (plan, figures)
        assert figures[3] == f"{latest['customers'].iloc[code]:,.0f}", (plan, figures)
        checked += 1
    assert checked >= 3
    total = next(line for line in page.splitlines() if line.strip().startswith("Total of segments"))
    assert f"${company_mrr / 1e3:.1f}k" in total and "100.0%" in total
    assert "MRR by segment" in page
