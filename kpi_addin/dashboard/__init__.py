"""The KPI dashboard workbook: templates, the openpyxl builder and cached values."""
