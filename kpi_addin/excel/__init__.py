"""Excel user-defined functions (xlwings) over kpi_addin.metrics."""
