"""Spreadsheet-safe text for every file we hand to people (exports, auditors' worklists).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return is read as a
formula by Excel / WPS / LibreOffice (CSV or formula injection: ``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``). Company names come from departments' feeds, so they are hostile input.

* CSV (OWASP CSV-injection guidance): such a text is written with a leading single quote
  (``'=1+1``); spreadsheet programs then show it as text.
* XLSX: such a text is stored as a string cell (``data_type 's'``) with the quotePrefix style, never
  as a formula (openpyxl writes any str starting with ``=`` as a formula by default); the value is
  kept exactly as delivered.

Only text is touched: a number (e.g. ``-1.5`` in a numeric column) stays a number. Every text is also
masked for person ids (orchestration.masking), so a writer needs one call per cell.
"""
from __future__ import annotations

from orchestration.masking import mask_text

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def csv_cell(value):
    """A value for csv.writer: None → '', texts masked and, if formula-like, prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = mask_text(value)
        return "'" + value if is_formula_like(value) else value
    return value


def xlsx_value(value):
    """A value for openpyxl before it is put in a cell: texts masked (formula safety: `make_text_cells`)."""
    return mask_text(value) if isinstance(value, str) else value


def make_text_cells(ws) -> int:
    """Turn every formula-like str cell of the openpyxl worksheet into a plain string cell.

    openpyxl sets ``data_type = 'f'`` for a str starting with '='; a cell starting with +, -, @, tab
    or CR is a string already but becomes a formula when a user edits it: quotePrefix protects both.
    Returns the number of cells made safe."""
    n = 0
    for row in ws.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
                n += 1
    return n
