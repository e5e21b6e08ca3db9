"""The optional ``customers`` sheet: customer attributes (country, channel, industry, ...).

``customer_id`` plus any attribute columns; each customer's attributes are copied to every
one of its subscriptions, where ``kpi-addin metrics --by`` finds them.  Located errors:
a customer the subscriptions do not have, a customer listed twice with different values,
an attribute named like a column of ``subscriptions`` (``plan``, ``amount``, ...) or like
an attribute the subscriptions already carry.  A customer without a row, or a blank cell,
is the segment ``(none)``.
"""

from __future__ import annotations

import pandas as pd

from .problems import Problem, RawSheet
from .schema import SUBSCRIPTIONS


def attach_customer_attributes(
    customers: pd.DataFrame, raw: RawSheet, subscriptions: pd.DataFrame
) -> tuple[pd.DataFrame, list[Problem]]:
    """``subscriptions`` with the attribute columns of ``customers`` added, and the problems found.

    ``customers`` is the validated sheet (``customer_id`` text, other columns as read);
    ``raw`` locates its cells.
    """
    problems: list[Problem] = []
    canonical = {c.name for c in SUBSCRIPTIONS.columns}
    attributes = [c for c in customers.columns if c != "customer_id"]
    for column in attributes:
        if column in canonical:
            problems.append(
                raw.problem(
                    f"{column!r} is a column of the subscriptions sheet, not a customer attribute "
                    "(rename it, e.g. customer_plan)",
                    column=column,
                )
            )
        elif column in subscriptions.columns:
            problems.append(
                raw.problem(
                    f"the subscriptions sheet already has an attribute {column!r}; name it in one sheet only",
                    column=column,
                )
            )
    ids = customers["customer_id"].astype(str)
    known = set(subscriptions["customer_id"].astype(str))
    for position in [int(i) for i in (~ids.isin(known)).to_numpy().nonzero()[0][:10]]:
        problems.append(
            raw.problem(f"customer {ids.iloc[position]!r} has no subscription", column="customer_id", position=position)
        )
    values = customers[attributes].astype(object).where(customers[attributes].notna(), None)
    text = values.map(lambda v: "" if v is None else str(v).strip())
    duplicate = ids.duplicated(keep=False)
    if duplicate.any():
        first_of = text.assign(_id=ids)[duplicate.to_numpy()].groupby("_id", sort=False).transform("first")
        for position in [int(p) for p in duplicate.to_numpy().nonzero()[0]]:
            row = text.iloc[position]
            first = first_of.loc[text.index[position]]
            different = [c for c in attributes if row[c] != first[c]]
            if different:
                problems.append(
                    raw.problem(
                        f"customer {ids.iloc[position]!r} is listed again with another {different[0]} "
                        f"({row[different[0]]!r}, before {first[different[0]]!r})",
                        column=different[0],
                        position=position,
                    )
                )
    if problems:
        return subscriptions, problems
    table = values.assign(customer_id=ids.to_numpy()).drop_duplicates("customer_id").set_index("customer_id")
    out = subscriptions.copy(deep=False)
    keys = subscriptions["customer_id"].astype(str)
    for column in attributes:
        out[column] = keys.map(table[column]).to_numpy()
    return out, problems
