"""Question file formats: a parser yields `Parsed` items; the import service validates and inserts them."""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass
class Parsed:
    """One question found in a file: its reference (row or number), fields, or why it is skipped."""

    ref: str
    data: dict | None = None
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)
    name: str | None = None


class FileError(Exception):
    """The file as a whole cannot be read (not XML, an unclosed brace, merged cells, empty sheet)."""

    def __init__(self, message: str, ref: str | None = None):
        super().__init__(message)
        self.message = message
        self.ref = ref


def text_to_html(text: str) -> str:
    """Plain text as HTML: escaped, line breaks kept."""
    return html.escape(text.strip(), quote=False).replace("\n", "<br>")
