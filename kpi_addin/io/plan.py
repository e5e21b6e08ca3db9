"""The optional ``plan`` sheet: a monthly plan, wide or long, in one or more scenarios.

Wide: ``month`` and one column per key planned (``mrr``, ``new_mrr``, ``customers``,
``sales``, …; any JSON key of ``kpi-addin metrics`` or costs column, any subset).  Long:
``month``, ``kpi``, ``value``.  Either may carry a ``scenario`` column (budget,
reforecast, …): the first scenario listed is the default.  A blank cell is unplanned, not
0.  Every problem names its cell: a month that is not a month, a value that is not a
number, an unknown key (with the nearest key suggested), a key planned twice for a month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..metrics import KPIInputError
from ..metrics.plan import check_plan_key
from . import values as values_

if TYPE_CHECKING:
    from .problems import Problem, RawSheet

LONG = ("kpi", "value")
RESERVED = ("month", "scenario")


def read_plan(raw: RawSheet) -> tuple[pd.DataFrame | None, list[Problem]]:
    """``(plan, problems)`` of a raw ``plan`` sheet (:class:`kpi_addin.io.reader.RawSheet`).

    The plan is long: ``scenario`` (None when the sheet has none), ``month`` (Period),
    ``kpi``, ``value``; rows with a blank value are left out.
    """
    frame = raw.frame
    problems: list[Problem] = []
    columns = [c for c in frame.columns if c is not None]
    if "month" not in columns:
        return None, [raw.problem("no month column (the plan needs month, then its keys)")]
    long = all(c in columns for c in LONG)
    if long:
        keys_frame = frame.assign(_kpi=frame["kpi"])
        value_columns = ["value"]
    else:
        value_columns = [c for c in columns if c not in RESERVED]
        if not value_columns:
            return None, [raw.problem("no key columns (after month: mrr, new_mrr, customers, ...)")]
        keys = {}
        for name in value_columns:
            try:
                keys[name] = check_plan_key(name)
            except KPIInputError as error:
                problems.append(raw.problem(f"column {name!r}: {str(error).removeprefix('plan key: ')}", column=name))
        if problems:
            return None, problems
        keys_frame = frame
    months = values_.parse_dates(frame["month"])
    month = months.values
    for mask, message in months.checks:
        for position in mask.to_numpy().nonzero()[0][:10]:
            text = frame["month"].iloc[position]
            problems.append(
                raw.problem(
                    message(text).replace(values_.DATE_HINT, "a month (YYYY-MM)"),
                    column="month",
                    position=int(position),
                )
            )
    blank_month, _ = values_.blank_mask(frame["month"])
    rows = []
    scenario = frame["scenario"] if "scenario" in frame else pd.Series(None, index=frame.index, dtype=object)
    for column in value_columns:
        parsed = values_.parse_numbers(frame[column], column)
        for mask, message in parsed.checks:
            for position in mask.to_numpy().nonzero()[0][:10]:
                problems.append(
                    raw.problem(message(frame[column].iloc[position]), column=column, position=int(position))
                )
        for position in range(len(frame)):
            value = parsed.values.iloc[position]
            if pd.isna(value):
                continue
            if bool(blank_month.iloc[position]) or pd.isna(month.iloc[position]):
                if bool(blank_month.iloc[position]):
                    problems.append(raw.problem("a planned value with no month", column="month", position=position))
                continue
            if long:
                try:
                    key = check_plan_key(keys_frame["_kpi"].iloc[position])
                except KPIInputError as error:
                    problems.append(raw.problem(str(error).removeprefix("plan key: "), column="kpi", position=position))
                    continue
            else:
                key = check_plan_key(column)
            name = scenario.iloc[position]
            rows.append(
                (
                    None if pd.isna(name) or str(name).strip() == "" else str(name).strip(),
                    pd.Period(month.iloc[position], "M"),
                    key,
                    float(value),
                    position,
                )
            )
    plan = pd.DataFrame(rows, columns=["scenario", "month", "kpi", "value", "position"])
    twice = plan.duplicated(["scenario", "month", "kpi"], keep="first")
    for position, key, when in zip(
        plan.loc[twice, "position"], plan.loc[twice, "kpi"], plan.loc[twice, "month"], strict=True
    ):
        problems.append(
            raw.problem(f"{key} is planned twice for {when}", column="kpi" if long else key, position=int(position))
        )
    if problems:
        return None, problems
    if plan["scenario"].isna().all():
        plan["scenario"] = None
    elif plan["scenario"].isna().any():
        position = int(plan.loc[plan["scenario"].isna(), "position"].iloc[0])
        return None, [
            raw.problem(
                "a row with no scenario (name the scenario of every row, or of none)",
                column="scenario",
                position=position,
            )
        ]
    return plan.drop(columns="position"), []
