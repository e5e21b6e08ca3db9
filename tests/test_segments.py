"""Segments: a hand-worked company with every figure by plan and by country, and property tests.

The company (USD; EUR at 1.10, 1.20, 1.25, 1.30 in January to April 2025):

* A (US): Starter $50 in January, switches to Pro $30 on 1 February.
* B (DE): Pro $100 from January; a Starter add-on of $20 from 1 March.
* C (US): Starter $40 until 1 March (churns in March); returns on Pro $60 on 10 April.
* D (FR, EUR): Starter €100 until 1 March, then Pro €150 — its rate moves while its plan changes.
* E (no country): Pro $200 from 1 February.

Month-end MRR (USD):

=====  =====  =====  =====  =====  ======  =====
month  A      B      C      D      E       total
=====  =====  =====  =====  =====  ======  =====
Jan    50 S   100 P  40 S   110 S  —       300
Feb    30 P   100 P  40 S   120 S  200 P   490
Mar    30 P   100 P  —      187.5 P 200 P  537.5
              +20 S
Apr    30 P   120    60 P   195 P  200 P   605
=====  =====  =====  =====  =====  ======  =====

Company bridge: February new 200 (E), contraction 20 (A), FX 10 (D: €100 × 0.10);
March expansion 20 (B) + 62.50 (D: its €50 more at 1.25), churn 40 (C), FX 5 (€100 × 0.05);
April reactivation 60 (C), FX 7.50 (€150 × 0.05).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_addin.metrics import CompanyData, KPIInputError, monthly_kpis
from kpi_addin.metrics.segments import SEGMENT_KEYS, SEGMENT_MOVES, segment_movements, segment_report
from kpi_addin.metrics.settings import ReportSettings

from .conftest import month

TODAY = dt.date(2026, 1, 1)
ROWS = [
    ("A", "Acme", "Starter", 50.0, "USD", "2025-01-01", "2025-02-01", "US"),
    ("A", "Acme", "Pro", 30.0, "USD", "2025-02-01", None, "US"),
    ("B", "Bolt", "Pro", 100.0, "USD", "2025-01-01", None, "DE"),
    ("B", "Bolt", "Starter", 20.0, "USD", "2025-03-01", None, "DE"),
    ("C", "Cora", "Starter", 40.0, "USD", "2025-01-01", "2025-03-01", "US"),
    ("C", "Cora", "Pro", 60.0, "USD", "2025-04-10", None, "US"),
    ("D", "Dune", "Starter", 100.0, "EUR", "2025-01-01", "2025-03-01", "FR"),
    ("D", "Dune", "Pro", 150.0, "EUR", "2025-03-01", None, "FR"),
    ("E", "Echo", "Pro", 200.0, "USD", "2025-02-01", None, None),
]
FX = pd.DataFrame(
    {
        "currency": ["EUR"] * 4,
        "rate": [1.10, 1.20, 1.25, 1.30],
        "month": pd.to_datetime(["2025-01", "2025-02", "2025-03", "2025-04"]),
    }
)


def company() -> CompanyData:
    subs = pd.DataFrame(
        ROWS,
        columns=["customer_id", "customer_name", "plan", "amount", "currency", "start_date", "end_date", "country"],
    )
    subs["interval"] = "month"
    subs["start_date"] = pd.to_datetime(subs["start_date"])
    subs["end_date"] = pd.to_datetime(subs["end_date"])
    return CompanyData(subs, fx_rates=FX, settings=ReportSettings(as_of=month("2025-04")))


@pytest.fixture(scope="module")
def by_plan():
    data = company()
    report = monthly_kpis(data, today=TODAY)
    return report, segment_report(data, report, ["plan"])


def figures(result, key: str, label: str) -> list[float]:
    """One segment's ``key`` for January..April (nan where undefined)."""
    code = result.segments.index[result.segments.iloc[:, 0] == label][0]
    return result.monthly.xs(code, level="segment")[key].tolist()


NAN = float("nan")


def same(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(
        (np.isnan(g) and np.isnan(w)) or g == pytest.approx(w, abs=1e-9) for g, w in zip(got, want, strict=True)
    )


def test_the_company_bridge_has_its_fx_line(by_plan):
    report, _result = by_plan
    bridge = report.bridge
    assert bridge["mrr"].tolist() == pytest.approx([300.0, 490.0, 537.5, 605.0])
    assert bridge["fx_mrr"].tolist() == pytest.approx([0.0, 10.0, 5.0, 7.5])
    assert bridge["expansion_mrr"].tolist() == pytest.approx([0.0, 0.0, 82.5, 0.0])
    assert bridge["contraction_mrr"].tolist() == pytest.approx([0.0, 20.0, 0.0, 0.0])
    assert bridge["expanded_customers"].tolist() == [0, 0, 2, 0]  # D's FX-only February is no expansion


@pytest.mark.parametrize(
    ("label", "key", "want"),
    [
        # money by where it is billed
        ("Starter", "mrr", [200.0, 160.0, 20.0, 20.0]),
        ("Pro", "mrr", [100.0, 330.0, 517.5, 585.0]),
        ("Starter", "new_mrr", [200.0, 0.0, 0.0, 0.0]),  # A 50, C 40, D 110 (the opening month)
        ("Pro", "new_mrr", [100.0, 200.0, 0.0, 0.0]),  # B; E in February
        ("Starter", "left_mrr", [0.0, 50.0, 125.0, 0.0]),  # A's switch; D's €100 at March's 1.25
        ("Pro", "entered_mrr", [0.0, 30.0, 187.5, 0.0]),  # A's switch; D's €150 at 1.25
        ("Starter", "entered_mrr", [0.0, 0.0, 20.0, 0.0]),  # B's add-on in another plan
        ("Starter", "fx_mrr", [0.0, 10.0, 5.0, 0.0]),  # D's €100 × (1.20 − 1.10), × (1.25 − 1.20)
        ("Pro", "fx_mrr", [0.0, 0.0, 0.0, 7.5]),  # D's €150 × (1.30 − 1.25)
        ("Starter", "churned_mrr", [0.0, 0.0, 40.0, 0.0]),  # C
        ("Pro", "reactivation_mrr", [0.0, 0.0, 0.0, 60.0]),  # C returns on Pro
        ("Pro", "expansion_mrr", [0.0, 0.0, 0.0, 0.0]),  # B's Pro is unchanged; its add-on is Starter's
        ("Starter", "contraction_mrr", [0.0, 0.0, 0.0, 0.0]),
        # customers by the segment holding most of their MRR
        ("Starter", "customers", [3, 2, 0, 0]),  # A, C, D; C, D; B's 20 is less than its Pro 100
        ("Pro", "customers", [1, 3, 4, 5]),
        ("Pro", "new_customers", [1, 1, 0, 0]),
        ("Starter", "new_customers", [3, 0, 0, 0]),
        ("Pro", "reactivated_customers", [0, 0, 0, 1]),  # C, at its segment when it returns
        ("Starter", "churned_customers", [0, 0, 1, 0]),  # C, at its segment at the start of March
        # rates and retention by the segment at the start of the month, following the whole MRR
        ("Starter", "customer_churn_rate", [NAN, 0.0, 0.5, NAN]),  # 1 of C, D; no Starter customer at March end
        ("Pro", "customer_churn_rate", [NAN, 0.0, 0.0, 0.0]),
        ("Starter", "nrr", [NAN, 190 / 200, 187.5 / 160, NAN]),  # A 30 + C 40 + D 120; then C 0 + D 187.5
        ("Pro", "nrr", [NAN, 1.0, 350 / 330, 545 / 537.5]),  # A, B, E: 30 + 120 + 200; then + D 195
        ("Starter", "grr", [NAN, 180 / 200, 120 / 160, NAN]),  # min(30, 50) + 40 + min(120, 110)
        ("Pro", "grr", [NAN, 1.0, 1.0, 1.0]),
        ("Starter", "revenue_churn_rate", [NAN, 20 / 200, 40 / 160, NAN]),
        ("Starter", "crr", [NAN, 1.0, 0.5, NAN]),
        ("Starter", "arpu", [200 / 3, 80.0, NAN, NAN]),  # the MRR of the customers whose segment it is
        ("Pro", "arpu", [100.0, 110.0, 537.5 / 4, 605 / 5]),  # B's 120 counts whole in Pro
        ("Pro", "ltv", [NAN, NAN, NAN, NAN]),  # no Pro customer churned: LTV undefined, not infinite
        ("Pro", "mrr_growth_mom", [NAN, 2.3, 517.5 / 330 - 1, 585 / 517.5 - 1]),
        ("Starter", "saas_quick_ratio", [NAN, NAN, 0.0, NAN]),  # (0) / (churned 40)
        ("Starter", "cac", [NAN] * 4),  # costs have no segment
    ],
)
def test_every_segment_figure_of_the_hand_worked_company_by_plan(by_plan, label, key, want):
    _report, result = by_plan
    assert same(figures(result, key, label), want), figures(result, key, label)


def test_segments_sum_to_the_company_by_plan(by_plan):
    report, result = by_plan
    summed = result.monthly.groupby(level="month").sum()
    for key in ("mrr", "new_mrr", "churned_mrr", "reactivation_mrr", "fx_mrr", "customers", "new_customers"):
        np.testing.assert_allclose(summed[key], report.monthly[key], atol=1e-9)
    moves = summed["expansion_mrr"] - summed["contraction_mrr"] + summed["entered_mrr"] - summed["left_mrr"]
    np.testing.assert_allclose(moves, report.monthly["expansion_mrr"] - report.monthly["contraction_mrr"], atol=1e-9)


def test_by_country_a_customer_attribute_with_a_blank(by_plan):
    data = company()
    report = monthly_kpis(data, today=TODAY)
    result = segment_report(data, report, ["country"])
    assert result.segments["country"].tolist() == ["(none)", "DE", "FR", "US"]
    assert same(figures(result, "mrr", "US"), [90.0, 70.0, 30.0, 90.0])  # A + C
    assert same(figures(result, "mrr", "FR"), [110.0, 120.0, 187.5, 195.0])
    assert same(figures(result, "fx_mrr", "FR"), [0.0, 10.0, 5.0, 7.5])
    assert same(figures(result, "expansion_mrr", "FR"), [0.0, 0.0, 62.5, 0.0])
    assert same(figures(result, "mrr", "(none)"), [0.0, 200.0, 200.0, 200.0])  # E, never dropped
    assert same(figures(result, "new_mrr", "(none)"), [0.0, 200.0, 0.0, 0.0])
    assert same(figures(result, "contraction_mrr", "US"), [0.0, 20.0, 0.0, 0.0])  # A's switch, one segment
    assert same(figures(result, "churned_mrr", "US"), [0.0, 0.0, 40.0, 0.0])
    assert same(figures(result, "reactivation_mrr", "US"), [0.0, 0.0, 0.0, 60.0])
    assert same(figures(result, "expansion_mrr", "DE"), [0.0, 0.0, 20.0, 0.0])
    for label in ("US", "DE", "FR", "(none)"):  # no customer changes country: nothing enters or leaves
        assert same(figures(result, "entered_mrr", label), [0.0] * 4)
        assert same(figures(result, "left_mrr", label), [0.0] * 4)


def test_two_attributes_and_an_unknown_one():
    data = company()
    report = monthly_kpis(data, today=TODAY)
    result = segment_report(data, report, ["plan", "country"])
    assert list(result.segments.columns) == ["plan", "country"]
    records = result.records()
    assert records[0]["segment"] == {"plan": "Pro", "country": "(none)"} and records[0]["month"] == "2025-01"
    assert list(records[0])[2:] == list(SEGMENT_KEYS)
    assert sum(r["mrr"] for r in records if r["month"] == "2025-03") == pytest.approx(537.5)
    with pytest.raises(KPIInputError, match="channel"):
        segment_report(data, report, ["channel"])


def test_the_segment_movement_log_by_plan(by_plan):
    _report, result = by_plan
    log = segment_movements(result, start=month("2025-02"))
    rows = [
        (str(r.month), r.customer_id, r.plan, r.type, r.mrr_before, r.mrr_after, r.change) for r in log.itertuples()
    ]
    assert rows == [
        ("2025-02", "E", "Pro", "new", 0.0, 200.0, 200.0),
        ("2025-02", "D", "Starter", "fx", pytest.approx(110.0), pytest.approx(120.0), pytest.approx(10.0)),
        ("2025-02", "A", "Pro", "entered", 0.0, 30.0, 30.0),
        ("2025-02", "A", "Starter", "left", 50.0, 0.0, -50.0),
        ("2025-03", "D", "Starter", "fx", pytest.approx(120.0), pytest.approx(125.0), pytest.approx(5.0)),
        ("2025-03", "B", "Starter", "entered", 0.0, 20.0, 20.0),
        ("2025-03", "D", "Pro", "entered", 0.0, 187.5, 187.5),
        ("2025-03", "C", "Starter", "churned", 40.0, 0.0, -40.0),
        ("2025-03", "D", "Starter", "left", pytest.approx(125.0), 0.0, pytest.approx(-125.0)),
        ("2025-04", "C", "Pro", "reactivation", 0.0, 60.0, 60.0),
        ("2025-04", "D", "Pro", "fx", 187.5, pytest.approx(195.0), pytest.approx(7.5)),
    ]


# ------------------------------------------------------------------ properties on random ledgers


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 25))
    base = dt.date(2024, 1, 1)
    rows = []
    for _ in range(n):
        start = base + dt.timedelta(days=draw(st.integers(0, 450)))
        end = start + dt.timedelta(days=draw(st.integers(0, 300))) if draw(st.booleans()) else None
        rows.append(
            (
                f"c{draw(st.integers(0, 6))}",
                draw(st.sampled_from(["Basic", "Pro", "Scale", None])),
                draw(st.sampled_from([9.0, 10.0, 49.5, 120.0, 1200.0])),
                draw(st.sampled_from(["month", "year", "quarter", "week"])),
                float(draw(st.integers(1, 3))),
                draw(st.sampled_from(["USD", "USD", "EUR", "GBP"])),
                pd.Timestamp(start),
                pd.Timestamp(end) if end else pd.NaT,
                draw(st.sampled_from(["web", "partner", ""])),
            )
        )
    subs = pd.DataFrame(
        rows,
        columns=[
            "customer_id",
            "plan",
            "amount",
            "interval",
            "quantity",
            "currency",
            "start_date",
            "end_date",
            "channel",
        ],
    )
    months = pd.date_range("2024-01-01", "2025-09-01", freq="MS")
    fx = pd.concat(
        [
            pd.DataFrame(
                {"currency": c, "rate": [draw(st.sampled_from([0.9, 1.1, 1.17, 1.3])) for _ in months], "month": months}
            )
            for c in ("EUR", "GBP")
        ]
    )
    history_start = draw(st.sampled_from([None, month("2024-06")]))
    return CompanyData(subs, fx_rates=fx, settings=ReportSettings(as_of=month("2025-09"), history_start=history_start))


@settings(max_examples=60, deadline=None)
@given(ledgers(), st.sampled_from([["plan"], ["currency"], ["channel"], ["plan", "currency"]]))
def test_every_identity_holds_to_the_cent_on_random_ledgers(data, by):
    try:
        report = monthly_kpis(data, today=TODAY)
    except KPIInputError:
        return
    result = segment_report(data, report, by)
    m = result.monthly
    # per segment: start + new + expansion + reactivation + entered − contraction − churned − left + fx = end
    start = m["mrr"].groupby(level="segment").shift(1)
    first = report.bridge["start_mrr"].loc[report.monthly.index[0]]
    moved = (
        m["new_mrr"]
        + m["expansion_mrr"]
        + m["reactivation_mrr"]
        + m["entered_mrr"]
        + m["fx_mrr"]
        - m["contraction_mrr"]
        - m["churned_mrr"]
        - m["left_mrr"]
    )
    later = start.notna()
    np.testing.assert_allclose((start + moved)[later], m["mrr"][later], atol=0.005)
    summed = m.groupby(level="month").sum(min_count=1)
    company = report.monthly
    for key in ("mrr", "new_mrr", "churned_mrr", "reactivation_mrr", "fx_mrr"):
        np.testing.assert_allclose(summed[key], company[key], atol=0.005)
    for key in ("customers", "new_customers", "reactivated_customers", "churned_customers"):
        assert summed[key].tolist() == company[key].tolist()
    np.testing.assert_allclose(
        summed["expansion_mrr"] - summed["contraction_mrr"] + summed["entered_mrr"] - summed["left_mrr"],
        company["expansion_mrr"] - company["contraction_mrr"],
        atol=0.005,
    )
    # the segment movement log sums to the segment bridge
    log = segment_movements(result)
    codes = {tuple(v): k for k, v in enumerate(result.segments.itertuples(index=False))}
    log["segment"] = [codes[tuple(v)] for v in log[list(result.by)].itertuples(index=False)]
    summed_log = log.groupby(["month", "segment", "type"])["change"].sum()
    for kind, column, sign in SEGMENT_MOVES:
        if kind not in set(log["type"]):
            continue
        got = summed_log.xs(kind, level="type").reindex(m.index, fill_value=0.0)
        got = got.reindex(m.index).to_numpy()
        want = m[column].to_numpy()
        inside = ~np.isnan(got)
        np.testing.assert_allclose(sign * got[inside], want[inside], atol=0.005)
    # the twelve-month cohorts: the segments' cohorts add up to the company's
    assert result.arrays is not None
    first_month = report.customer_mrr.months[0].ordinal
    at = [p.ordinal - first_month for p in report.monthly.index]
    cohort = {k: v[:, at].sum(axis=0) for k, v in result.arrays.cohorts.items()}
    with np.errstate(divide="ignore", invalid="ignore"):
        for key, part, whole in (
            ("nrr_12m", "kept_mrr", "cohort_mrr"),
            ("grr_12m", "floor_mrr", "cohort_mrr"),
            ("logo_retention_12m", "paying_customers", "cohort_customers"),
        ):
            defined = company[key].notna().to_numpy()
            np.testing.assert_allclose((cohort[part] / cohort[whole])[defined], company[key].to_numpy()[defined])
            assert m[key][np.repeat(~defined, len(result.segments))].isna().all()
    # retention: the segments' starting customers and their retained MRR add up to the company's
    retained = (m["nrr"] * m["arpu"].groupby(level="segment").shift(1)).fillna(0.0)
    del retained  # (NRR's start is by the customers' segment; checked through the one-segment test)
    assert first == pytest.approx(float(start.groupby(level="month").sum(min_count=1).fillna(first).iloc[0]))


@settings(max_examples=40, deadline=None)
@given(ledgers())
def test_one_segment_is_the_company(data):
    """Segmenting by an attribute everyone shares (all blank: one segment "(none)") gives the company's figures."""
    data.subscriptions["segment_none"] = None
    try:
        report = monthly_kpis(data, today=TODAY)
    except KPIInputError:
        return
    result = segment_report(data, report, ["segment_none"])
    assert result.segments["segment_none"].tolist() == ["(none)"]
    one = result.monthly.xs(0, level="segment")
    # the KPIs blank by segment (inputs with no segment, per-customer figures); the note names
    # those the company has
    blank = result.blank
    assert {"cac", "nps", "top10_share"} <= blank
    prefix = "by segment, "
    notes = [n.removeprefix(prefix).split(" are blank")[0] for n in result.notes if n.startswith(prefix)]
    named = {k for note in notes for k in note.split(", ")}
    assert len(notes) <= 1
    assert named == {k for k in blank if k not in report.monthly or report.monthly[k].notna().any()}
    for key in report.monthly.columns:
        if key in ("month",):
            continue
        ours, theirs = one[key].to_numpy(dtype=float), report.monthly[key].to_numpy(dtype=float)
        if key in blank:
            assert np.isnan(ours).all(), key
            continue
        np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-9, equal_nan=True, err_msg=key)
    assert (one["entered_mrr"] == 0).all() and (one["left_mrr"] == 0).all()


# ------------------------------------------------------------------ the command line, on the sample company


def invoke(*args: str) -> str:
    from click.testing import CliRunner

    from kpi_addin.cli import cli

    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def sample_by_plan():
    import json

    return json.loads(invoke("metrics", "--format", "json", "--by", "plan"))


def test_metrics_by_plan_json(sample_by_plan):
    document = sample_by_plan
    company = {m["month"]: m for m in document["months"]}
    segments = document["segments"]
    assert segments["by"] == ["plan"]
    plans = {r["segment"]["plan"] for r in segments["months"]}
    assert plans == {"Growth", "Pilot", "Scale", "Starter"}
    assert list(segments["months"][0])[:3] == ["month", "segment", "mrr"]
    for period in ("2024-06", "2025-12"):
        rows = [r for r in segments["months"] if r["month"] == period]
        for key in ("mrr", "new_mrr", "churned_mrr", "fx_mrr", "customers", "churned_customers"):
            assert sum(r[key] for r in rows) == pytest.approx(company[period][key], abs=0.005), (period, key)
        moves = sum(r["expansion_mrr"] - r["contraction_mrr"] + r["entered_mrr"] - r["left_mrr"] for r in rows)
        want = company[period]["expansion_mrr"] - company[period]["contraction_mrr"]
        assert moves == pytest.approx(want, abs=0.005)
        assert all(r["cac"] is None for r in rows)  # costs have no segment
    assert any("no segment" in n for n in segments["notes"])


def test_metrics_by_currency_csv_and_table():
    text = invoke("metrics", "--format", "csv", "--by", "currency")
    header, *rows = text.strip().split("\n")
    assert header.startswith("month,currency,mrr,arr,")
    assert {r.split(",")[1] for r in rows} == {"EUR", "USD"}
    table = invoke("metrics", "--by", "currency")
    assert "By currency, 2025-12" in table and "MRR entered segment" in table


def test_movements_by_plan_sum_to_the_segment_bridge(sample_by_plan):
    import csv
    import io

    rows = list(
        csv.DictReader(io.StringIO(invoke("movements", "--by", "plan", "--from", "2025-12", "--format", "csv")))
    )
    assert {r["type"] for r in rows} >= {"new", "churned", "fx", "entered", "left"}
    december = {r["segment"]["plan"]: r for r in sample_by_plan["segments"]["months"] if r["month"] == "2025-12"}
    for kind, key, sign in (("entered", "entered_mrr", 1), ("left", "left_mrr", -1), ("fx", "fx_mrr", 1)):
        for plan, want in december.items():
            got = sum(float(r["change"]) for r in rows if r["type"] == kind and r["plan"] == plan)
            assert sign * got == pytest.approx(want[key], abs=0.005), (kind, plan)


def test_an_unknown_attribute_is_a_bad_option():
    from click.testing import CliRunner

    from kpi_addin.cli import cli

    result = CliRunner().invoke(cli, ["metrics", "--by", "channel"])
    assert result.exit_code == 2 and "no attribute 'channel'" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ the customers sheet


def write_folder(folder, customers: str) -> None:
    folder.mkdir(exist_ok=True)
    subs = pd.DataFrame(
        ROWS,
        columns=["customer_id", "customer_name", "plan", "amount", "currency", "start_date", "end_date", "country"],
    )
    subs.drop(columns="country").assign(interval="month").to_csv(folder / "subscriptions.csv", index=False)
    FX.assign(month=FX["month"].dt.strftime("%Y-%m")).to_csv(folder / "fx_rates.csv", index=False)
    (folder / "settings.csv").write_text("key,value\nreporting_currency,USD\nas_of,2025-04\n", encoding="utf-8")
    (folder / "customers.csv").write_text(customers, encoding="utf-8")


def test_the_customers_sheet_gives_each_subscription_its_customers_attributes(tmp_path):
    from kpi_addin.io.reader import read_company_data

    write_folder(tmp_path / "ok", "customer_id,country,channel\nA,US,web\nB,DE,partner\nC,US,web\nD,FR,\nA,US,web\n")
    data, _warnings = read_company_data(tmp_path / "ok")
    subs = data.subscriptions
    assert subs.loc[subs["customer_id"] == "D", "country"].tolist() == ["FR", "FR"]
    assert subs.loc[subs["customer_id"] == "E", "country"].isna().all()  # no row: the segment (none)
    report = monthly_kpis(data, today=TODAY)
    result = segment_report(data, report, ["country"])
    assert same(figures(result, "mrr", "US"), [90.0, 70.0, 30.0, 90.0])
    assert same(figures(result, "mrr", "(none)"), [0.0, 200.0, 200.0, 200.0])
    channel = segment_report(data, report, ["channel"])
    assert channel.segments["channel"].tolist() == ["(none)", "partner", "web"]  # D's blank and E's absence


@pytest.mark.parametrize(
    ("customers", "message"),
    [
        ("customer_id,country\nZ,US\n", "customers.csv!A2 (customer_id): customer 'Z' has no subscription"),
        ("customer_id,country\nA,US\nA,DE\n", "customers.csv!B3 (country): customer 'A' is listed again"),
        ("customer_id,plan\nA,Pro\n", "(plan): 'plan' is a column of the subscriptions sheet"),
    ],
)
def test_customers_sheet_errors_are_located(tmp_path, customers, message):
    from kpi_addin.io.problems import InputError
    from kpi_addin.io.reader import read_company_data

    write_folder(tmp_path / "bad", customers)
    with pytest.raises(InputError) as raised:
        read_company_data(tmp_path / "bad")
    assert message in str(raised.value), str(raised.value)


def test_billing_exports_pass_their_attributes_through(tmp_path):
    """Stripe metadata columns under their key; Recurly's plan code beside the plan's name."""
    from kpi_addin.io.inputs import load_company

    root = Path(__file__).parent / "fixtures" / "exports"
    stripe = pd.read_csv(root / "stripe_subscriptions.csv", dtype=str, keep_default_na=False)
    stripe["country (metadata)"] = ["US" if i % 2 else "DE" for i in range(len(stripe))]
    stripe.to_csv(tmp_path / "stripe.csv", index=False)
    data = load_company(subscriptions=tmp_path / "stripe.csv")[0]
    assert set(data.subscriptions["country"].dropna()) == {"US", "DE"}
    recurly = load_company(subscriptions=root / "recurly_subscriptions.csv")[0]
    codes = pd.read_csv(root / "recurly_subscriptions.csv", dtype=str)["plan_code"]
    assert (
        set(recurly.subscriptions["plan_code"].dropna()) <= set(codes)
        and recurly.subscriptions["plan_code"].notna().any()
    )
