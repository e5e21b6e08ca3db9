"""Currencies: their smallest units (money is rounded to cents, whole won for KRW, before any
comparison) and the symbols shown before amounts."""

from __future__ import annotations

import numpy as np

#: ISO 4217 currencies whose smallest unit is not the hundredth.
MINOR_UNITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def minor_unit_digits(currency: str) -> int:
    """Decimal digits of a currency's smallest unit: 2 (USD cents), 0 (KRW, JPY), 3 (KWD)."""
    return MINOR_UNITS.get(currency.upper(), 2)


def to_units(money: np.ndarray, currency: str, out: np.ndarray | None = None) -> np.ndarray:
    """Money at the currency's smallest unit (cents), rounded half up, as whole floats.

    A tolerance of 1e-6 unit keeps float noise from flipping a value that lies exactly
    on a half cent (43.595 summed in another order is 43.594999999999999).  ``out``: a float
    array of ``money``'s shape to write into (``money`` itself too): no temporary, the same
    values.

    Examples
    --------
    >>> to_units(np.array([43.595, 0.004, 0.005, 10.0]), "USD").tolist()
    [4360.0, 0.0, 1.0, 1000.0]
    >>> money = np.array([43.595, -0.004])
    >>> to_units(money, "USD", out=money) is money, money.tolist()
    (True, [4360.0, 0.0])
    """
    units: np.ndarray = np.multiply(money, 10 ** minor_unit_digits(currency), out=out)
    units += 0.5 + 1e-6
    np.floor(units, out=units)
    return units


#: Symbols shown before amounts in the terminal table and the dashboard; other currencies show their code.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩", "CNY": "¥", "INR": "₹"}
