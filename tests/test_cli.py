"""``kpi-addin metrics`` and ``kpi-addin sample`` on the bundled sample company."""

from __future__ import annotations

import csv
import io
import itertools
import json

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import read_company_data
from kpi_addin.metrics import MONTHLY_KEYS, monthly_kpis
from kpi_addin.metrics.report import BALANCE_SHEET_KEYS


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def sample_json():
    return json.loads(invoke("metrics", "--format", "json").stdout)


def test_json_contract(sample_json):
    assert set(sample_json) == {
        *("reporting_currency", "as_of", "month_to_date", "opening_month", "history_start", "convention"),
        *("months", "balance_sheet", "warnings", "notes"),
        "rule_of_40_margin",  # which margin the Rule of 40 took: the sample has EBITDA
        "plan_scenario",  # the sample has a plan
    }
    assert sample_json["rule_of_40_margin"] == "ebitda"
    assert sample_json["reporting_currency"] == "USD"
    months = sample_json["months"]
    assert len(months) == 24 and months[0]["month"] == "2024-01" and months[-1]["month"] == "2025-12"
    for entry in months:
        assert list(entry) == [*MONTHLY_KEYS, "plan", "variance"]
    assert set(BALANCE_SHEET_KEYS) <= set(sample_json["balance_sheet"])
    first = months[0]
    assert first["customer_churn_rate"] is None and first["nrr"] is None  # no start: undefined, not 0


def test_json_bridge_ties_every_month(sample_json):
    months = sample_json["months"]
    for previous, current in itertools.pairwise(months):
        end = (
            previous["mrr"]
            + current["new_mrr"]
            + current["expansion_mrr"]
            + current["reactivation_mrr"]
            + current["fx_mrr"]
            - current["contraction_mrr"]
            - current["churned_mrr"]
        )
        assert end == pytest.approx(current["mrr"], rel=1e-12)
        assert current["arr"] == pytest.approx(current["mrr"] * 12)


def test_sample_has_every_kind_of_movement(sample_json):
    months = sample_json["months"]
    for key in ("new_customers", "reactivated_customers", "churned_customers"):
        assert sum(m[key] for m in months) > 0, key
    for key in ("expansion_mrr", "contraction_mrr"):
        assert sum(m[key] for m in months) > 0, key
    assert 300 <= months[-1]["customers"] <= 500  # several hundred customers


def test_as_of_cuts_the_months():
    data = json.loads(invoke("metrics", "--format", "json", "--as-of", "2024-12").stdout)
    assert data["months"][-1]["month"] == "2024-12" and len(data["months"]) == 12


def test_csv_matches_json(sample_json):
    rows = list(csv.DictReader(io.StringIO(invoke("metrics", "--format", "csv").stdout)))
    assert list(rows[0])[: len(MONTHLY_KEYS)] == list(MONTHLY_KEYS)
    assert list(rows[0])[len(MONTHLY_KEYS)] == "mrr_plan"  # then the sample's plan
    last = rows[-1]
    assert float(last["mrr"]) == sample_json["months"][-1]["mrr"]  # full precision, not rounded
    assert rows[0]["ltv"] == ""  # undefined is blank


def test_table_is_readable(sample_json):
    text = invoke("metrics", "--months", "3").stdout
    last = sample_json["months"][-1]
    assert "Northwind Cloud Inc." in text
    assert f"${last['mrr']:,.2f}" in text
    assert f"{last['customer_churn_rate']:.2%}" in text
    assert "Balance sheet" in text and "Current ratio" in text


def test_sample_written_as_workbook_reads_back_to_the_same_kpis(tmp_path, sample_dir):
    invoke("sample", "--out", str(tmp_path))
    from_workbook = monthly_kpis(read_company_data(tmp_path / "kpi_input.xlsx")[0]).to_dict()
    from_csv = monthly_kpis(read_company_data(sample_dir)[0]).to_dict()
    assert from_workbook == from_csv


def test_sample_does_not_overwrite_without_force(tmp_path):
    invoke("sample", "--out", str(tmp_path), "--format", "csv")
    before = (tmp_path / "subscriptions.csv").read_bytes()
    result = CliRunner().invoke(cli, ["sample", "--out", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 1 and "use --force to replace it" in result.output
    assert (tmp_path / "subscriptions.csv").read_bytes() == before
    invoke("sample", "--out", str(tmp_path), "--format", "csv", "--force")
