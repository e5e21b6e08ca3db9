"""Facts about cells as Excel hands them over (no pandas here: the worksheet functions import it at load)."""

from __future__ import annotations

#: What an Excel error cell arrives as: xlwings' ``err_to_str`` gives its text on Windows and
#: in xlwings Lite.  The worksheet functions also return these texts (Lite shows them as real errors).
EXCEL_ERRORS = frozenset(
    {
        "#N/A",
        "#VALUE!",
        "#REF!",
        "#DIV/0!",
        "#NUM!",
        "#NAME?",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "#GETTING_DATA",
    }
)
#: The first cell of an Excel Table's Total row, in the languages Excel writes it in.
TOTAL_LABELS = frozenset(
    {"total", "totals", "grand total", "summe", "gesamt", "gesamtergebnis", "totale", "totaal", "合計", "합계", "总计"}
)
