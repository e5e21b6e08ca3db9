"""KPIs over the same windows the board pack headlines (issue 23, "one window everywhere"):
CAC payback on the 3-month CAC, and NPS over the answers of the last 3 months with their
number — so a page that shows the trailing CAC and LTV:CAC shows the payback of that CAC,
and a month with a handful of answers does not swing the NPS line on its own.
"""

from __future__ import annotations

from .expression import col, if_positive, na_if_zero, window_sum
from .kpi_entry import KPI

c = col

#: Months of NPS answers pooled by ``nps_3m``.
NPS_WINDOW = 3

_ANSWERS_3M = window_sum(c("nps_answers"), NPS_WINDOW)

ENTRIES: tuple[KPI, ...] = (
    KPI(
        "cac_payback_trailing",
        "months",
        "lower",
        "unit_economics",
        ("costs.sales", "costs.marketing", "costs.cogs"),
        formula=if_positive(c("gross_margin"), c("cac_trailing") / (c("arpu") * c("gross_margin"))),
        window="3 months",
    ),
    KPI(
        "nps_answers_3m",
        "count",
        "higher",
        "nps",
        ("nps",),
        formula=_ANSWERS_3M,
        window="3 months",
    ),
    KPI(
        "nps_3m",
        "score",
        "higher",
        "nps",
        ("nps",),
        # no answers in the window is no input (n/a), as for the monthly NPS
        formula=na_if_zero(
            _ANSWERS_3M,
            100
            * (window_sum(c("nps_promoters"), NPS_WINDOW) - window_sum(c("nps_detractors"), NPS_WINDOW))
            / _ANSWERS_3M,
        ),
        window="3 months",
    ),
)
