"""Net income and EBITDA from a Profit and Loss's own lines (the costs sheet's ``net_income``
and ``ebitda``, which the Rule of 40 reads), as QuickBooks, Xero and localised statements
write them.  The statement's own total lines are read, never a sum of our own:

* ``net_income`` — the bottom line: ``Net Income`` (QuickBooks), ``Net Profit`` (Xero),
  ``Net Earnings``, ``Résultat net``, ``Bénéfice net``, ``Jahresüberschuss``,
  ``당기순이익``, ``순이익``;
* ``ebitda`` — the statement's ``EBITDA`` line when it has one; else its operating line
  (``Net Operating Income`` in QuickBooks, ``Operating Profit``, ``Résultat
  d'exploitation``, ``Betriebsergebnis``, ``영업이익``): revenue − cost of sales −
  operating expenses, an **EBITDA proxy**, said in a note (depreciation and amortisation
  booked in the operating expenses are not added back).

A line the accounts map names (``"Net Operating Income" = "ebitda"``, ``"Operating Result"
= "net_income"``) is taken instead; one it maps to ``"ignore"`` is never read.  A line
written only as a loss (``Net Loss``, ``당기순손실``, ``Jahresfehlbetrag``) is not read by its
name, since exports differ on its sign: name it in the map.  A line without amounts is none.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

EBITDA, NET_INCOME = "ebitda", "net_income"
#: What a P&L's own lines can fill (targets of the accounts map beside the cost columns).
LINE_TARGETS = (EBITDA, NET_INCOME)
NET_INCOME_LINE = re.compile(
    r"^(net (income|profit|earnings)( after tax(es)?)?|net profit after tax|résultat net|bénéfice net|"
    r"jahresüberschuss|당기순이익|순이익)$",
    re.IGNORECASE,
)
EBITDA_LINE = re.compile(r"^ebitda$", re.IGNORECASE)
OPERATING_LINE = re.compile(
    r"^(net operating income|operating (profit|income)|résultat d'exploitation|betriebsergebnis|영업이익)$",
    re.IGNORECASE,
)

Amounts = dict[pd.Timestamp, float]


def profit_lines(
    lines: list[tuple[str, Amounts]], target: Callable[[str], str | None], file: str, map_name: str
) -> tuple[dict[str, Amounts], list[str]]:
    """``ebitda`` and ``net_income`` by month from the statement's derived ``lines`` (name,
    amounts; top to bottom), and a note on each saying which line gave it.  ``target`` is
    the accounts map's target of a line name (None when the map does not name it)."""
    found: dict[str, Amounts] = {}
    notes: list[str] = []
    named = [(n, a, target(n)) for n, a in lines]
    for column in LINE_TARGETS:
        mapped = [(n, a) for n, a, t in named if t == column]
        if mapped:
            name, amounts = mapped[-1]
            found[column] = amounts
            notes.append(f"{file}: {column} = the statement's line {name!r} (named {column} in {map_name})")
            continue
        free = [(n, a) for n, a, t in named if t is None]
        if column == NET_INCOME:
            own = [(n, a) for n, a in free if NET_INCOME_LINE.match(n)]
        else:
            own = [(n, a) for n, a in free if EBITDA_LINE.match(n)]
        if own:
            name, amounts = own[-1]  # the bottom line of its kind
            found[column] = amounts
            notes.append(f"{file}: {column} = the statement's line {name!r}")
            continue
        operating = [(n, a) for n, a in free if OPERATING_LINE.match(n)] if column == EBITDA else []
        if operating:
            name, amounts = operating[-1]
            found[column] = amounts
            notes.append(
                f"{file}: ebitda = the statement's operating line {name!r}, an EBITDA proxy (revenue − cost of "
                f"sales − operating expenses; depreciation and amortisation not added back); "
                f'map a line to "ebitda" in {map_name} to take another, or this one to "ignore"'
            )
    return found, notes
