"""Reading, validating and writing the input files (an interface layer over the metrics)."""

from .problems import InputError, Problem
from .reader import read_company_data
from .sample import sample_path, write_sample
from .settings_sheet import parse_month

__all__ = ["InputError", "Problem", "parse_month", "read_company_data", "sample_path", "write_sample"]
