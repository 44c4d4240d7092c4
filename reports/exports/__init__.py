"""File exports of reports: PDF (WeasyPrint, embedded CJK font) and XLSX (one sheet per section)."""
