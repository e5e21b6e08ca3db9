"""The words of a Profit and Loss, as QuickBooks, Xero and localised statements write them:
section headings of income and costs, total and derived lines, and the months its column
headers name (English, French, German, Korean)."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from .. import values as values_

#: Section headings of income, as QuickBooks, Xero and localised statements write them.
INCOME_HEADINGS = frozenset(
    {
        "income",
        "trading income",
        "revenue",
        "revenues",
        "sales",
        "turnover",
        "other income",
        "other revenue",
        "non-operating income",
        # French, German, Korean
        "produits",
        "produits d'exploitation",
        "chiffre d'affaires",
        "ventes",
        "revenus",
        "autres produits",
        "produits financiers",
        "erlöse",
        "umsatzerlöse",
        "umsätze",
        "einnahmen",
        "betriebseinnahmen",
        "erträge",
        "sonstige erträge",
        "sonstige betriebliche erträge",
        "매출",
        "매출액",
        "수익",
        "영업수익",
        "영업외수익",
        "기타수익",
    }
)
#: Section headings of costs.
COST_HEADINGS = frozenset(
    {
        "cost of goods sold",
        "cost of sales",
        "costs of sales",
        "cost of revenue",
        "direct costs",
        "expenses",
        "expense",
        "operating expenses",
        "overheads",
        "other expenses",
        "other expense",
        "non-operating expenses",
        "charges",
        "charges d'exploitation",
        "coût des ventes",
        "coût des marchandises vendues",
        "achats",
        "autres charges",
        "charges financières",
        "dépenses",
        "aufwand",
        "aufwendungen",
        "kosten",
        "betriebsausgaben",
        "wareneinsatz",
        "materialaufwand",
        "sonstige betriebliche aufwendungen",
        "herstellungskosten",
        "매출원가",
        "판매비와관리비",
        "판매비와 관리비",
        "판관비",
        "비용",
        "영업비용",
        "영업외비용",
        "기타비용",
    }
)
#: Prefixes Xero (and translations of it) put before a section heading.
LESS = re.compile(r"^(less|moins|abzüglich|minus)\s+", re.IGNORECASE)
#: A total row: ``Total for X``, ``Total X``, ``Summe X``, ``X 합계``; X is the group it closes.
TOTAL = re.compile(
    r"^(?:total(?:\s+for|\s+des|\s+de\s+la|\s+de|\s+du)?|summe(?:\s+der|\s+des)?|gesamt|insgesamt)\b\s*(?P<a>.*)$"
    r"|^(?P<b>.*?)\s*(?:합계|총계|소계|계|total|gesamt|insgesamt)$",
    re.IGNORECASE,
)
#: Derived lines between sections: never accounts, and no group is open after them.
DERIVED = re.compile(
    r"^(gross (profit|margin|loss)|net (operating )?(income|profit|loss|earnings|other income|other expenses?)|"
    r"operating (profit|income|loss)|net profit after tax|ebitda?|profit before tax|"
    r"marge brute|résultat.*|bénéfice.*|perte.*|rohertrag|rohgewinn|betriebsergebnis|jahresüberschuss|"
    r"jahresfehlbetrag|ergebnis.*|gewinn.*|verlust.*|매출총이익|매출총손실|영업이익|영업손실|당기순이익|당기순손실|"
    r"순이익|순손실|법인세.*차감전.*)$",
    re.IGNORECASE,
)
MONTH_NAMES = {
    # English, French, German: full names and abbreviations (dots removed before lookup)
    **dict.fromkeys(("jan", "january", "janv", "janvier", "januar", "jän", "jänner"), 1),
    **dict.fromkeys(("feb", "february", "févr", "fevr", "février", "fevrier", "februar", "fév"), 2),
    **dict.fromkeys(("mar", "march", "mars", "mär", "märz", "maerz", "mrz"), 3),
    **dict.fromkeys(("apr", "april", "avr", "avril"), 4),
    **dict.fromkeys(("may", "mai"), 5),
    **dict.fromkeys(("jun", "june", "juin", "juni"), 6),
    **dict.fromkeys(("jul", "july", "juil", "juillet", "juli"), 7),
    **dict.fromkeys(("aug", "august", "août", "aout"), 8),
    **dict.fromkeys(("sep", "sept", "september", "septembre"), 9),
    **dict.fromkeys(("oct", "october", "octobre", "okt", "oktober"), 10),
    **dict.fromkeys(("nov", "november", "novembre"), 11),
    **dict.fromkeys(("dec", "december", "déc", "décembre", "decembre", "dez", "dezember"), 12),
}


def month_of(label: object) -> pd.Timestamp | None:
    """The month a column header names, in English, French, German or Korean, or None.

    >>> [str(month_of(t))[:7] for t in ("January 2025", "30 Jun 2024", "Apr-25", "janv. 2025", "2025년 3월")]
    ['2025-01', '2024-06', '2025-04', '2025-01', '2025-03']
    >>> month_of("Total") is None and month_of("Distribution account") is None
    True
    """
    if isinstance(label, dt.datetime | dt.date):
        return pd.Timestamp(label.year, label.month, 1)
    text = re.sub(r"\s+", " ", str(label or "").lower().replace(".", " ")).strip()
    if not text:
        return None
    found = re.fullmatch(r"(\d{4})\s*년\s*(\d{1,2})\s*월", text) or re.fullmatch(r"(\d{4})[-/](\d{1,2})", text)
    if found:
        year, month = int(found.group(1)), int(found.group(2))
    elif found := re.fullmatch(r"(\d{1,2})[-/](\d{4})", text):
        year, month = int(found.group(2)), int(found.group(1))
    elif found := re.fullmatch(r"(\d{1,2})[ /](\d{1,2})[ /](\d{4})", text):
        # a period's end date (31.01.2025, 1/31/2025, 31/01/2025): its day, 28 or more, settles the order
        first, second, year = int(found.group(1)), int(found.group(2)), int(found.group(3))
        if first > 12 and second <= 12:
            month = second
        elif second > 12 and first <= 12:
            month = first
        else:
            return None
    else:
        words = re.fullmatch(r"(?:(\d{1,2}) )?([^\W\d_]+)[ -]?(\d{4}|\d{2})", text)
        if not words or words.group(2) not in MONTH_NAMES:
            return None
        month = MONTH_NAMES[words.group(2)]
        year = int(words.group(3)) + (2000 if len(words.group(3)) == 2 else 0)
    if not (1 <= month <= 12 and values_.FIRST_DATE.year <= year <= values_.LAST_DATE.year):
        return None
    return pd.Timestamp(year, month, 1)
