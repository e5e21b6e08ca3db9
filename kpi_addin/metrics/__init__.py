"""The shared metric library: every KPI of ``docs/definitions.md`` as pure functions over numbers
or pandas Series, and the transforms from a subscriptions ledger to monthly KPIs.

This package depends on pandas and NumPy only; interfaces (Excel, dashboard, CLI)
import it, never the other way round.

Each family module lists its public functions in its ``__all__``; this package exports
them all, so a new KPI function is public once it is in its family's ``__all__``.
"""

from . import balance_sheet, customers, finance, funnel, goals, revenue, trailing, unit_economics
from ._core import UNDEFINED, KPIInputError, KPINumError, KPIValueError, is_undefined
from .balance_sheet import *  # noqa: F403 - the family's __all__
from .bridge import mrr_bridge
from .catalogue import KPI, KPIS, REGISTRY
from .cohorts import cohort_retention
from .company import CompanyData
from .customers import *  # noqa: F403
from .finance import *  # noqa: F403
from .funnel import *  # noqa: F403
from .goals import *  # noqa: F403
from .mrr import CustomerMRR, customer_mrr
from .report import MONTHLY_KEYS, KPIReport, monthly_kpis
from .revenue import *  # noqa: F403
from .settings import ReportSettings
from .spans import subscription_monthly_value
from .trailing import *  # noqa: F403
from .unit_economics import *  # noqa: F403

__all__ = [
    "KPI",
    "KPIS",
    "MONTHLY_KEYS",
    "REGISTRY",
    "ReportSettings",
    "UNDEFINED",
    "CompanyData",
    "CustomerMRR",
    "KPIInputError",
    "KPINumError",
    "KPIReport",
    "KPIValueError",
    "cohort_retention",
    "customer_mrr",
    "is_undefined",
    "monthly_kpis",
    "mrr_bridge",
    "subscription_monthly_value",
    *balance_sheet.__all__,
    *customers.__all__,
    *finance.__all__,
    *funnel.__all__,
    *goals.__all__,
    *revenue.__all__,
    *trailing.__all__,
    *unit_economics.__all__,
]
