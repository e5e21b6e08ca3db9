"""Export columns passed through as segment attributes (``kpi-addin metrics --by``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

#: The plan's code beside its name (Recurly ``plan_code``, Chargify ``product_handle``) and the
#: customer's country, under these names; any Stripe metadata column (``country (metadata)``)
#: under its key.
ATTRIBUTE_HEADERS = {
    "plan_code": ("plan_code", "product_handle"),
    "country": ("country", "billing_country", "customer_country", "address_country", "account_country"),
}


def export_attributes(headers: Sequence[str], taken: Collection[str]) -> dict[str, str]:
    """Attribute name → export header (normalised) for the columns :data:`ATTRIBUTE_HEADERS`
    names and Stripe's metadata columns, unless a column in ``taken`` already has that name.

    >>> export_attributes(["customer_id", "country_metadata", "plan_code"], {"customer_id", "plan"})
    {'country': 'country_metadata', 'plan_code': 'plan_code'}
    """
    found: dict[str, str] = {}
    for header in headers:
        if header.endswith("_metadata") and header != "_metadata":
            found.setdefault(header.removesuffix("_metadata"), header)
    for name, options in ATTRIBUTE_HEADERS.items():
        present = [h for h in options if h in headers]
        if present:
            found.setdefault(name, present[0])
    return {name: header for name, header in found.items() if name not in taken}
