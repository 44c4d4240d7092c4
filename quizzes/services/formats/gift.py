"""Moodle GIFT: read the types we support, skip the others with a reason, and write questions back.

Follows the rules of Moodle's own reader (question/format/gift/format.php): questions are separated
by blank lines, `//` lines are comments, `::name::` titles, `[format]` markers, `$CATEGORY:` lines,
text after the answer block makes a missing-word question with "_____" in its place.
"""
from __future__ import annotations

import re

from . import FileError, Parsed, text_to_html

BLANK = "_____"
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMAT = re.compile(r"^\[(html|moodle|plain|markdown)\]")
_TF = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_ESCAPES = {"\\~": "~", "\\=": "=", "\\#": "#", "\\{": "{", "\\}": "}", "\\:": ":", "\\n": "\n", "\\\\": "\\"}
_PLACEHOLDER = "\x00{}\x00"


def _protect(text: str) -> tuple[str, list[str]]:
    """Replace escapes by placeholders so splitting on control characters ignores them."""
    kept: list[str] = []

    def swap(match):
        kept.append(_ESCAPES[match.group(0)])
        return _PLACEHOLDER.format(len(kept) - 1)

    return re.sub(r"\\[~=#{}:n\\]", swap, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _split_blocks(text: str) -> list[tuple[int, str]]:
    """Question blocks (first line number, text): blank lines separate, `//` lines are dropped."""
    blocks, current, start = [], [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip().startswith("//"):
            continue
        if not line.strip():
            if current:
                blocks.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def _formatted(text: str, kept: list[str]) -> str:
    """Question or answer text as HTML, honouring a [format] marker."""
    text = text.strip()
    match = _FORMAT.match(text)
    fmt = "moodle"
    if match:
        fmt, text = match.group(1), text[match.end():]
    value = _restore(text, kept).strip()
    return value if fmt == "html" else text_to_html(value)


def _answers(body: str) -> list[dict]:
    """The `=`/`~` answers of a block body with weight and (ignored) feedback."""
    parts = re.split(r"([=~])", body)
    answers = []
    for i in range(1, len(parts), 2):
        raw = parts[i + 1]
        text = raw.split("#", 1)[0].strip()
        weight_match = _WEIGHT.match(text)
        weight = float(weight_match.group(1)) if weight_match else (100.0 if parts[i] == "=" else 0.0)
        if weight_match:
            text = text[weight_match.end():].strip()
        answers.append({"mark": parts[i], "text": text, "weight": weight})
    return answers


def parse(content: str) -> list[Parsed]:
    """Read a GIFT file into parsed questions; raises FileError for a broken answer block."""
    items: list[Parsed] = []
    category: str | None = None
    number = 0
    for line_no, block in _split_blocks(content.replace("\r\n", "\n").lstrip("\ufeff")):
        protected, kept = _protect(block)
        stripped = protected.strip()
        if stripped.startswith("$CATEGORY:"):
            category = stripped[len("$CATEGORY:"):].strip().strip("/").split("/")[-1] or None
            continue
        number += 1
        ref = f"question {number} (line {line_no})"
        name = None
        title = re.match(r"^::(.*?)::", stripped, re.S)
        if title:
            name, stripped = _restore(title.group(1), kept).strip(), stripped[title.end():]
        opens, closes = stripped.count("{"), stripped.count("}")
        if opens == 0 and closes == 0:
            items.append(Parsed(ref, skipped="a description (no answers) is not a question", name=name))
            continue
        start, finish = stripped.find("{"), stripped.rfind("}")
        if opens != 1 or closes != 1 or finish < start:
            raise FileError(f"{ref}: unclosed or unbalanced brace in the answer block", ref)
        body = stripped[start + 1:finish].strip()
        if stripped.rstrip().endswith("}"):
            question_text = stripped[:start]
        else:
            question_text = stripped[:start] + BLANK + stripped[finish + 1:]
        general = None
        if "####" in body:
            body, general = body.split("####", 1)
            body = body.strip()
        stem = _formatted(question_text, kept)
        base = {"stem": stem, "knowledge_points": [category] if category else [],
                "explanation": _formatted(general, kept) if general and general.strip() else None}
        items.append(_classify(ref, name, body, base, kept))
    return items


def _classify(ref: str, name: str | None, body: str, base: dict, kept: list[str]) -> Parsed:
    if body == "":
        return Parsed(ref, {**base, "type": "short_answer", "answer": ""}, name=name)
    if body.startswith("#"):
        return Parsed(ref, skipped="numerical questions are not supported", name=name)
    if "~" in body:
        answers = _answers(body)
        options = [{"key": "ABCDEFGH"[i] if i < 8 else "?", "text": _formatted(a["text"], kept)}
                   for i, a in enumerate(answers)]
        if len(options) > 8:
            return Parsed(ref, skipped="more than 8 options", name=name)
        full = [o["key"] for o, a in zip(options, answers) if a["weight"] >= 100]
        notes = []
        if len(full) == 1:
            if any(0 < a["weight"] < 100 for a in answers):
                notes.append("partial credit on other options dropped")
            return Parsed(ref, {**base, "type": "single_choice", "options": options, "answer": full},
                          notes=notes, name=name)
        if len(full) > 1:
            return Parsed(ref, skipped="several fully correct options in a one-answer question", name=name)
        right = [o["key"] for o, a in zip(options, answers) if a["weight"] > 0]
        if not right:
            return Parsed(ref, skipped="no option earns marks", name=name)
        return Parsed(ref, {**base, "type": "multiple_choice", "options": options, "answer": right,
                            "partial_credit": True}, name=name)
    if "=" in body and "->" in body:
        return Parsed(ref, skipped="matching questions are not supported", name=name)
    word = body.split("#", 1)[0].strip().upper()
    if word in _TF:
        return Parsed(ref, {**base, "type": "true_false", "answer": "T" if _TF[word] else "F"}, name=name)
    answers = _answers(body)
    if not answers:
        return Parsed(ref, skipped="the answer block has no answers", name=name)
    accepted = [_restore(a["text"], kept) for a in answers if a["weight"] >= 100]
    notes = ["partial-credit alternatives dropped"] if any(0 < a["weight"] < 100 for a in answers) else []
    if not accepted:
        return Parsed(ref, skipped="no fully correct answer", name=name)
    return Parsed(ref, {**base, "type": "fill_blank", "answer": [accepted]}, notes=notes, name=name)


def _escape(text: str) -> str:
    return re.sub(r"([~=#{}:\\])", r"\\\1", text or "")


def write(questions) -> str:
    """GIFT text for question versions; multi-blank fill-ins cannot be written and become comments."""
    out = []
    for q in questions:
        v = q.current
        head = f"::Q{q.id}::[html]"
        general = f"####{_escape(v.explanation)}" if v.explanation else ""
        if v.type in ("single_choice", "multiple_choice"):
            right = set(v.answer)
            if v.type == "single_choice":
                lines = [("=" if o["key"] in right else "~") + _escape(o["text"]) for o in v.options]
            else:
                share = 100 / len(right)
                weight = f"{share:.5f}".rstrip("0").rstrip(".")
                lines = [(f"~%{weight}%" if o["key"] in right else "~%-100%") + _escape(o["text"])
                         for o in v.options]
            out.append(head + _escape(v.stem) + "{\n\t" + "\n\t".join(lines) + (f"\n\t{general}" if general else "")
                       + "\n}")
        elif v.type == "true_false":
            out.append(head + _escape(v.stem) + "{" + ("TRUE" if v.answer == ["T"] else "FALSE") + general + "}")
        elif v.type == "short_answer":
            out.append(head + _escape(v.stem) + "{" + general + "}")
        elif v.type == "fill_blank" and len(v.answer) == 1:
            block = "{" + " ".join("=" + _escape(a) for a in v.answer[0]) + general + "}"
            stem = _escape(v.stem)
            at = stem.find(BLANK)
            inside = at >= 0 and stem[at + len(BLANK):].strip()
            out.append(head + (stem[:at] + block + stem[at + len(BLANK):] if inside else stem + block))
        else:
            out.append(f"// Q{q.id}: a fill-in with several blanks cannot be written in GIFT")
    return "\n\n".join(out) + "\n"
