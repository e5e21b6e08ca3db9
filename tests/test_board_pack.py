"""The dashboard as a board pack: meaningful colours, formats, print setup, the PDF,
the executive file's privacy and the Korean rendering.

Chart colours are read from the chart XML with its namespaces (openpyxl writes the chart
namespace as the default one), and pinned here as literal hex values: a change of palette
is a reviewed change of this table.
"""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kpi_addin.cli import cli
from kpi_addin.dashboard import pdf as pdf_module
from kpi_addin.dashboard.sheets import PROGRESS_STEPS, STEPS
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.metrics import CompanyData, ReportSettings

from .conftest import ledger, month
from .dashboard_helpers import _NS, _rels, build
from .libreoffice import require_soffice

GAIN_GREEN, NEW_BLUE, REACTIVATION_BLUE = "548235", "2F5597", "9DC3E6"
LOSS_RED, CONTRACTION_RED = "C00000", "E06666"
NAVY, TARGET_AMBER, GREY = "1F3864", "BF9000", "A6A6A6"

FULL_PAGES = ["KPI dashboard", "Revenue", "Customers", "Funnel", "Unit economics", "NPS", "Balance sheet", "Goals"]


@pytest.fixture(scope="module")
def sample_data():
    return read_company_data(sample_path())[0]


def charts_of(path: Path, sheet: str) -> dict[str, ElementTree.Element]:
    """The charts on ``sheet`` by title: the parsed ``c:chartSpace`` of each."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = _rels(archive, "xl/workbook.xml")
        part = next(
            rels[s.get(f"{{{_NS['r']}}}id")]
            for s in workbook.findall("m:sheets/m:sheet", _NS)
            if s.get("name") == sheet
        )
        out = {}
        for drawing in (t for t in _rels(archive, part).values() if "/drawings/" in t):
            drawing_rels = _rels(archive, drawing)
            for ref in ElementTree.fromstring(archive.read(drawing)).findall(".//c:chart", _NS):
                chart = ElementTree.fromstring(archive.read(drawing_rels[ref.get(f"{{{_NS['r']}}}id")]))
                title = "".join(t.text or "" for t in chart.findall("c:chart/c:title//a:t", _NS))
                out[title] = chart
        return out


def fill_of(element: ElementTree.Element) -> str | None:
    """The solid fill colour of a series or data point (its spPr), or "none" for no fill."""
    sp = element.find("c:spPr", _NS)
    if sp is None:
        return None
    if sp.find("a:noFill", _NS) is not None:
        return "none"
    colour = sp.find("a:solidFill/a:srgbClr", _NS)
    return colour.get("val") if colour is not None else None


def line_of(element: ElementTree.Element) -> tuple[str | None, str | None]:
    """(colour, dash) of a series' line."""
    ln = element.find("c:spPr/a:ln", _NS)
    if ln is None:
        return None, None
    colour = ln.find("a:solidFill/a:srgbClr", _NS)
    dash = ln.find("a:prstDash", _NS)
    return (colour.get("val") if colour is not None else None, dash.get("val") if dash is not None else None)


def values_of(path: Path, ref: str) -> list[float]:
    """The cached values of a chart series' range ``'Sheet'!$B$5:$B$28``."""
    sheet, cells = ref.rsplit("!", 1)
    sheet = sheet.strip("'")
    ws = load_workbook(path, data_only=True)[sheet]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


@pytest.fixture(scope="module")
def full_en(tmp_path_factory, sample_data):
    path = tmp_path_factory.mktemp("full") / "dashboard.xlsx"
    build(sample_data, path)
    return path


@pytest.mark.parametrize(("template", "lang"), [("full", "en"), ("executive", "ko")])
def test_every_meaningful_series_and_point_has_its_colour(sample_data, tmp_path, template, lang):
    path = tmp_path / "d.xlsx"
    build(sample_data, path, template=template, lang=lang)
    summary = "Summary" if lang == "en" else "요약"
    charts = list(charts_of(path, summary).values())

    def chart_with(kind: str) -> ElementTree.Element:
        return next(c for c in charts if c.find(f"c:chart/c:plotArea/c:{kind}", _NS) is not None)

    # MRR movements: gains green/blue above zero, FX impact grey on either side, losses red below zero
    movements = next(
        c
        for c in charts
        if c.find("c:chart/c:plotArea/c:barChart/c:grouping", _NS) is not None
        and c.find("c:chart/c:plotArea/c:barChart/c:grouping", _NS).get("val") == "stacked"
        and len(c.findall(".//c:ser", _NS)) == 6
    )
    series = movements.findall(".//c:ser", _NS)
    assert [fill_of(s) for s in series] == [
        NEW_BLUE,
        GAIN_GREEN,
        REACTIVATION_BLUE,
        GREY,
        CONTRACTION_RED,
        LOSS_RED,
    ]
    signs = []
    for s, sign in zip(series, (1, 1, 1, 0, -1, -1), strict=True):
        values = values_of(path, s.find("c:val//c:f", _NS).text)
        assert all(v * sign >= 0 for v in values), values
        signs.append({v > 0 for v in values if v != 0})
    assert signs[3] == {True, False}  # the sample's EUR rate rose and fell
    # NPS split: promoters green, passives grey, detractors red, in that order of categories
    pie = chart_with("pieChart")
    points = {int(p.find("c:idx", _NS).get("val")): fill_of(p) for p in pie.findall(".//c:dPt", _NS)}
    assert points == {0: GAIN_GREEN, 1: GREY, 2: LOSS_RED}
    categories = values_of(path, pie.find(".//c:cat//c:f", _NS).text)
    assert [c.split(" ")[0] for c in categories] == (
        ["Promoters", "Passives", "Detractors"] if lang == "en" else ["추천", "중립", "비추천"]
    )
    # MRR: a navy line, and the target as an amber dashed line
    trend = chart_with("lineChart")
    lines = trend.findall("c:chart/c:plotArea/c:lineChart/c:ser", _NS)
    assert line_of(lines[0]) == (NAVY, "solid")
    assert line_of(lines[1]) == (TARGET_AMBER, "dash")
    # customers and churn: the churn rate is a red line
    combo = next(
        c
        for c in charts
        if c.find("c:chart/c:plotArea/c:barChart", _NS) is not None
        and c.find("c:chart/c:plotArea/c:lineChart", _NS) is not None
    )
    assert line_of(combo.find("c:chart/c:plotArea/c:lineChart/c:ser", _NS))[0] == LOSS_RED


def test_the_arr_bridge_waterfall_ties_and_is_coloured(full_en):
    chart = charts_of(full_en, "Revenue")["ARR bridge, last 12 months"]
    series = chart.findall(".//c:ser", _NS)
    assert [fill_of(s) for s in series] == ["none", NAVY, GAIN_GREEN, LOSS_RED]  # base, totals, up, down
    ws = load_workbook(full_en, data_only=True)["Revenue"]
    first = next(r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == "ARR at start")
    rows = {ws[f"A{r}"].value: ws[f"B{r}"].value for r in range(first, first + 8)}
    steps = ("New", "Expansion", "Reactivation", "Exchange rates", "Contraction", "Churn")
    assert rows["ARR at start"] + sum(rows[s] for s in steps) == pytest.approx(rows["ARR at end"], rel=1e-12)
    assert rows["Contraction"] < 0 and rows["Churn"] < 0 and rows["New"] > 0
    # the invisible base lifts each step to where the one before ended
    level = rows["ARR at start"]
    for k, step in enumerate(steps, start=1):
        r = first + k
        assert ws[f"C{r}"].value == pytest.approx(min(level, level + rows[step]))
        level += rows[step]


def test_money_axes_are_scaled_by_magnitude(full_en):
    charts = charts_of(full_en, "Summary")
    formats = {t: [f.get("formatCode") for f in c.findall(".//c:valAx/c:numFmt", _NS)] for t, c in charts.items()}
    assert formats["MRR"] == ['"$"#,##0,"k";-"$"#,##0,"k"']  # MRR tops out near $70k
    assert formats["MRR movements"] == ['"$"#,##0;-"$"#,##0']  # a few thousand a month


def test_number_formats(full_en, tmp_path):
    wb = load_workbook(full_en)
    monthly = wb["Monthly KPIs"]
    header = {c.value: c.column_letter for c in monthly[4]}
    assert monthly[f"{header['mrr']}5"].number_format == '"$"#,##0;("$"#,##0)'  # whole dollars, (negatives)
    assert monthly[f"{header['arpu']}5"].number_format == '"$"#,##0.00;("$"#,##0.00)'  # cents where they matter
    assert monthly[f"{header['customer_churn_rate']}5"].number_format == "0.00%"
    summary = wb["Summary"]
    row = next(r for r in range(6, 30) if summary[f"A{r}"].value == "Customer churn rate, 3 months")
    assert summary[f"C{row}"].number_format == '+0.00" pp";-0.00" pp";0.00" pp"'  # percentage points
    assert summary[f"C{row}"].value.endswith("*100")
    # KRW: no decimals even for ARPU
    subs = ledger(
        ("a", 99_000.0, "month", "2025-01-03", None, "KRW"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    path = tmp_path / "krw.xlsx"
    build(
        CompanyData(subscriptions=subs, settings=ReportSettings(reporting_currency="KRW", as_of=month("2025-02"))), path
    )
    krw = load_workbook(path)["Monthly KPIs"]
    assert krw[f"{header['arpu']}5"].number_format == '"₩"#,##0;("₩"#,##0)'


def test_the_change_is_coloured_by_the_kpis_direction(full_en):
    summary = load_workbook(full_en)["Summary"]
    rules = {}
    for area, group in summary.conditional_formatting._cf_rules.items():
        for rule in group:
            if rule.dxf is not None and rule.dxf.font is not None and rule.dxf.font.color is not None:
                rules.setdefault(str(area.sqref), []).append((rule.formula[0], rule.dxf.font.color.rgb[-6:]))
    row = {summary[f"A{r}"].value: r for r in range(6, 25)}
    mrr, churn = row["MRR"], row["Customer churn rate, 3 months"]
    assert rules[f"C{mrr}"] == [
        (f"AND(ISNUMBER(C{mrr}),C{mrr}>0)", GAIN_GREEN),
        (f"AND(ISNUMBER(C{mrr}),C{mrr}<0)", LOSS_RED),
    ]
    assert rules[f"C{churn}"] == [
        (f"AND(ISNUMBER(C{churn}),C{churn}>0)", LOSS_RED),  # churn going up is bad
        (f"AND(ISNUMBER(C{churn}),C{churn}<0)", GAIN_GREEN),
    ]


def test_cohorts_are_labelled_m0_and_scaled_50_85_100_with_a_colour_above_100(full_en):
    ws = load_workbook(full_en)["Customers"]
    header_row = next(r for r in range(1, ws.max_row + 1) if ws[f"C{r}"].value == "M0")
    assert [ws.cell(row=header_row, column=c).value for c in range(3, 6)] == ["M0", "M1", "M2"]
    scales = [r for g in ws.conditional_formatting._cf_rules.values() for r in g if r.type == "colorScale"]
    assert scales and all([float(v.val) for v in s.colorScale.cfvo] == [0.5, 0.85, 1.0] for s in scales)
    above = [
        r
        for g in ws.conditional_formatting._cf_rules.values()
        for r in g
        if r.type == "expression" and ">1" in r.formula[0]
    ]
    assert len(above) == 2 and all(r.dxf.fill.bgColor.rgb[-6:] == REACTIVATION_BLUE for r in above)


def test_template_defaults_are_labelled_and_no_answers_is_na(tmp_path):
    path = tmp_path / "d.xlsx"
    build(
        CompanyData(
            subscriptions=ledger(("only", 100.0, "month", "2025-01-15", None)),
            settings=ReportSettings(as_of=month("2025-03")),
        ),
        path,
    )
    wb = load_workbook(path, data_only=True)
    summary = wb["Summary"]
    row = next(r for r in range(6, 30) if summary[f"A{r}"].value == "Customer churn rate, 3 months")
    # a template default is said on the target (grey italics and a note), not in the status word
    assert summary[f"E{row}"].font.i and summary[f"E{row}"].comment.text == "template default"
    assert summary[f"F{row}"].value in ("met", "below target", "far below", "n/a")
    goals = wb["Goals"]
    assert goals["E5"].value == "template default"
    nps_row = next(r for r in range(6, 30) if summary[f"A{r}"].value == "NPS, 3 months")
    assert summary[f"B{nps_row}"].value == "#N/A"  # no answers is no input, not #DIV/0!


def test_every_sheet_prints_and_the_ledger_never_does(full_en):
    wb = load_workbook(full_en)
    for ws in wb.worksheets:
        assert ws.print_area, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "Northwind Cloud Inc." in ws.oddFooter.left.text
        assert "Confidential" in ws.oddFooter.center.text and "2025-12" in ws.oddFooter.center.text
        assert ws.oddFooter.right.text.endswith("Page &P of &N")
    assert wb["Summary"].page_setup.fitToHeight == 1
    for title in ("Revenue", "Funnel", "Unit economics", "NPS", "Goals", "Monthly KPIs"):
        assert wb[title].print_title_rows == "$4:$4" and wb[title].print_title_cols == "$A:$A", title
    area = (
        wb["Data subscriptions"].print_area[0]
        if isinstance(wb["Data subscriptions"].print_area, list)
        else wb["Data subscriptions"].print_area
    )
    assert re.search(r"\$(\d+)$", area).group(1) == "3"  # title, note and header: never the rows


def test_the_registry_builds_each_step_after_what_it_needs():
    seen: set[str] = set()
    for step in STEPS:
        assert set(step.needs) <= seen, step.name
        seen.add(step.name)
    assert PROGRESS_STEPS == (
        "data sheets",
        "ledger aggregates",
        "inputs by month",
        "monthly KPIs",
        "report sheets",
        "board pack",
        "saving",
        "cached values",
    )


def test_the_executive_file_holds_no_customer_data(sample_data, tmp_path):
    names = set(sample_data.subscriptions["customer_name"].dropna())
    respondents = set(sample_data.nps["respondent"].dropna())
    path = tmp_path / "exec.xlsx"
    build(sample_data, path, template="executive")
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert not [n for n in names if n in text]
    assert not [r for r in list(respondents)[:50] if r in text]
    assert "--include-ledger" in load_workbook(path)["Data subscriptions"]["A2"].value
    build(sample_data, path, template="executive", include_ledger=True)  # the explicit way
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert all(n in text for n in list(names)[:20])


def test_pdf_without_libreoffice_says_what_to_install_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf_module, "soffice", lambda: None)
    out = tmp_path / "d.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--pdf"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "LibreOffice" in result.output and "apt-get install libreoffice-calc-nogui" in result.output
    assert list(tmp_path.iterdir()) == []


def pdf_pages(pdf: Path) -> list[str]:
    pages = int(
        re.search(
            r"^Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout,
            re.M,
        ).group(1)
    )
    return [
        subprocess.run(
            ["pdftotext", "-f", str(p), "-l", str(p), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for p in range(1, pages + 1)
    ]


def first_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """The board pack PDF of (template, language), made once through the command line."""
    made: dict[tuple[str, str], tuple[Path, Path]] = {}

    def pack(template: str, lang: str) -> tuple[Path, Path]:
        if (template, lang) not in made:
            require_soffice()
            folder = tmp_path_factory.mktemp(f"{template}-{lang}")
            out, pdf = folder / "d.xlsx", folder / "pack.pdf"
            args = ["dashboard", "--out", str(out), "--template", template, "--lang", lang, "--pdf", str(pdf)]
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
            made[(template, lang)] = out, pdf
        return made[(template, lang)]

    return pack


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("template", "lang", "titles"),
    [
        (
            "full",
            "en",
            [
                "Board overview",
                "KPI scorecard",
                "Revenue",
                "Customers and retention",
                "Segments",  # by plan (the template's segments)
                "Unit economics",
                "Funnel and NPS",
                "Cash and efficiency",
                "Plan vs actual",  # the sample's 2025 budget
                "Forecast",
                "Cohorts",
                "Goals",
            ],
        ),
        (
            "executive",
            "en",
            [
                "Board overview",
                "KPI scorecard",
                "Revenue",
                "Customers and retention",
                "Segments",
                "Unit economics",
                "Cash and efficiency",
                "Plan vs actual",
                "Forecast",
                "Goals",
            ],
        ),
        (
            "full",
            "ko",
            [
                "이사회 개요",
                "KPI 성과표",
                "매출",
                "고객과 유지율",
                "세그먼트",
                "단위 경제성",
                "퍼널과 NPS",
                "현금과 효율성",
                "계획 대비 실적",
                "전망",
                "코호트",
                "목표",
            ],
        ),
    ],
)
def test_the_board_pack_pdf(packs, template, lang, titles):
    _out, pdf = packs(template, lang)
    pages = pdf_pages(pdf)
    # one page per pack page, in the template's order, each with its title on top
    assert len(pages) == len(titles)
    for text, title in zip(pages, titles, strict=True):
        assert title in first_line(text), (title, first_line(text))
        body = [line for line in text.splitlines() if line.strip()]
        assert len(body) > 4, f"a page without content: {body}"
        assert ("Confidential" if lang == "en" else "대외비") in text
    assert "Northwind Cloud Inc." in pages[0]


@pytest.mark.libreoffice
def test_the_korean_summary_renders_hangul_not_boxes(packs, tmp_path):
    fonts = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        if os.environ.get("KPI_REQUIRE_LIBREOFFICE"):
            pytest.fail("no font with Hangul is installed (CI installs fonts-noto-cjk)")
        pytest.skip("no font with Hangul is installed (fonts-noto-cjk)")
    out, pdf = packs("full", "ko")
    pages = pdf_pages(pdf)
    # text extraction gives the Hangul back: the glyphs are real characters, not boxes
    for text in ("이사회 개요", "월별 반복 수익", "유료 고객 수", "전월 대비", "대외비"):
        assert text in pages[0] + pages[1], text
    embedded = subprocess.run(["pdffonts", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"CJK|Malgun|Nanum|Gothic", embedded.stdout), embedded.stdout  # from a Hangul font
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "summary")], check=True
    )
    assert list(tmp_path.glob("summary*.png"))
    # the workbook names the Hangul font for every cell
    assert load_workbook(out)["요약"]["A1"].font.name == "Malgun Gothic"


@pytest.mark.libreoffice
def test_a_korean_header_breaks_before_its_parenthesis(packs):
    """LibreOffice breaks Hangul anywhere: "고객 이탈률(3개월)" in a narrow column printed ")" alone."""
    out, pdf = packs("full", "ko")
    book = load_workbook(out)
    headers = [
        c.value
        for name in book.sheetnames
        if name.startswith("보고서")
        for row in book[name].iter_rows(max_row=12)
        for c in row
        if isinstance(c.value, str) and c.fill.fgColor.rgb.endswith("1F3864")
    ]
    assert "고객 이탈률\n(3개월)" in headers and "순매출 유지율\n(12개월)" in headers
    assert not [h for h in headers if re.search(r"[^\s]\(", h)], headers
    segments = next(page for page in pdf_pages(pdf) if first_line(page).startswith("세그먼트"))
    assert not re.search(r"^\s*\)\s*$", segments, flags=re.MULTILINE)  # no line of a lone ")"


def test_a_chart_without_data_is_a_note_not_an_empty_chart(tmp_path):
    path = tmp_path / "d.xlsx"
    build(
        CompanyData(
            subscriptions=ledger(("only", 100.0, "month", "2025-01-15", None)),
            settings=ReportSettings(as_of=month("2025-03")),
        ),
        path,
    )
    titles = set(charts_of(path, "Summary"))
    assert "Funnel (latest month)" not in titles and "NPS answers (latest month)" not in titles
    assert {"MRR", "MRR movements"} <= titles
    notes = [c.value for row in load_workbook(path)["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    for title in ("Funnel (latest month)", "NPS answers (latest month)"):
        assert f"{title}\n\nNo data for this chart" in notes


def test_a_kpis_window_is_shown_beside_it(sample_data, tmp_path, monkeypatch):
    import dataclasses

    from kpi_addin.metrics import catalogue

    nrr = dataclasses.replace(catalogue.REGISTRY["nrr"], window="12 months")
    monkeypatch.setitem(catalogue.REGISTRY, "nrr", nrr)
    path = tmp_path / "d.xlsx"
    build(sample_data, path)
    labels = [c.value for c in load_workbook(path)["Summary"]["A"]]
    assert "Net revenue retention, 12 months" in labels


@pytest.mark.parametrize(("values", "text"), [([1.0, 2.0, float("nan"), 4.0], "▁▃ █"), ([5.0, 5.0], "▁▁"), ([], "")])
def test_the_pdfs_text_sparkline(values, text):
    from kpi_addin.dashboard.sheets.summary import text_sparkline

    assert text_sparkline(values) == text
