"""kpi-addin: SaaS KPIs for finance teams who live in Excel."""

__version__ = "0.1.0"
