from __future__ import annotations

import pandas as pd
import pytest

from kpi_addin.metrics import CompanyData, ReportSettings
from kpi_addin.metrics.settings import SETTING_NAMES

pd.set_option("display.max_columns", 20)
pd.set_option("display.width", 200)


_LIBREOFFICE_CALLS = ("require_soffice", "recalculated_values", "summary_pdf", "soffice", "convert(", "--pdf")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that calls LibreOffice is marked ``libreoffice`` even if its author forgot the
    marker, so ``-m "not libreoffice"`` really leaves LibreOffice out."""
    import inspect

    for item in items:
        function = getattr(item, "function", None)
        if function is None or item.get_closest_marker("libreoffice"):
            continue
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        if any(call in source for call in _LIBREOFFICE_CALLS):
            item.add_marker(pytest.mark.libreoffice)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``libreoffice`` need soffice: skipped without it, failed when CI requires it."""
    if item.get_closest_marker("libreoffice"):
        from .libreoffice import require_soffice

        require_soffice()


def ledger(*rows: tuple, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """A canonical subscriptions table from compact rows.

    Default columns: customer_id, amount, interval, start_date, end_date; pass
    ``columns`` to use others (e.g. add quantity, currency, trial_end).
    """
    columns = columns or ("customer_id", "amount", "interval", "start_date", "end_date")
    frame = pd.DataFrame(list(rows), columns=list(columns))
    for column in ("start_date", "end_date", "trial_end"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
    frame["amount"] = frame["amount"].astype(float)
    if "quantity" not in frame:
        frame["quantity"] = 1.0
    if "currency" not in frame:
        frame["currency"] = "USD"
    return frame


def company(subscriptions: pd.DataFrame, **kwargs: object) -> CompanyData:
    """Company data; the reporting settings among ``kwargs`` (as_of, convention, ...) go to its settings."""
    given = {k: kwargs.pop(k) for k in list(kwargs) if k in SETTING_NAMES}
    return CompanyData(subscriptions=subscriptions, settings=ReportSettings(**given), **kwargs)  # type: ignore[arg-type]


def month(text: str) -> pd.Period:
    return pd.Period(text, "M")


@pytest.fixture
def sample_dir():
    from kpi_addin.io import sample_path

    return sample_path()


@pytest.fixture(scope="session")
def sample_company() -> CompanyData:
    """The bundled sample company, read once (tests must not modify it: use dataclasses.replace)."""
    from kpi_addin.io import read_company_data, sample_path

    return read_company_data(sample_path())[0]


@pytest.fixture(scope="session")
def postgres_url():
    """A real Postgres server for the session (tests/postgres.py): its URL, with a password."""
    from .postgres import postgres_server

    with postgres_server() as url:
        yield url
