"""Moodle GIFT: read the types we support, skip the others with a reason, and write questions back.

Follows the rules of Moodle's own reader (question/format/gift/format.php): questions are separated
by blank lines, `//` lines are comments, `::name::` titles, `[format]` markers, `$CATEGORY:` lines,
text after the answer block makes a missing-word question with "_____" in its place.

Fields GIFT has no place for travel in the question's `//` comment lines as bracketed tokens, the way
Moodle (3.6+) carries tags: `[tag:党章]` is Moodle's own and becomes a knowledge point both ways;
`[difficulty:2]`, `[score:2]`, `[partial_credit:0]`, `[reference:…]` (a short answer's reference answer)
and `[blank:a|b]` (one per blank of a fill-in with several blanks, which Moodle then imports as an
essay) are ours and Moodle ignores them. In a token `\]`, `\|`, `\\` and `\n` stand for `]`, `|`, `\`
and a line break.
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
_TOKEN = re.compile(r"\[(tag|difficulty|score|partial_credit|reference|blank):((?:\\.|[^\]\\])*)\]")


def _protect(text: str) -> tuple[str, list[str]]:
    """Replace escapes by placeholders so splitting on control characters ignores them."""
    kept: list[str] = []

    def swap(match):
        kept.append(_ESCAPES[match.group(0)])
        return _PLACEHOLDER.format(len(kept) - 1)

    return re.sub(r"\\[~=#{}:n\\]", swap, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)


def _split_blocks(text: str) -> list[tuple[int, str, str]]:
    """Question blocks (first line number, text, its `//` comment lines): blank lines separate."""
    blocks, current, comments, start = [], [], [], 0
    for number, line in enumerate(text.splitlines() + [""], start=1):
        if line.strip().startswith("//"):
            comments.append(line.strip())
            continue
        if not line.strip():
            if current:
                blocks.append((start, "\n".join(current), "\n".join(comments)))
            current, comments = [], []
            continue
        if not current:
            start = number
        current.append(line)
    return blocks


def _tokens(comments: str) -> dict[str, list[str]]:
    """The bracketed `[name:value]` tokens of a question's comment lines (raw values), by name."""
    found: dict[str, list[str]] = {}
    for name, raw in _TOKEN.findall(comments):
        found.setdefault(name, []).append(raw)
    return found


def _unescape_token(raw: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), raw).strip()


def _token_alternatives(raw: str) -> list[str]:
    """The `|`-separated alternatives of a `[blank:…]` token (an escaped `\\|` stays in its text)."""
    return [text for text in (_unescape_token(part) for part in re.findall(r"(?:\\.|[^|\\])+", raw)) if text]


def _token_number(tokens: dict, name: str):
    values = tokens.get(name)
    if not values:
        return None
    try:
        return float(_unescape_token(values[0]))
    except ValueError:
        return _unescape_token(values[0])  # left to the bank's validation, which names the field


def _text_format(text: str) -> str:
    """The [format] marker a text starts with, else Moodle's default."""
    match = _FORMAT.match(text.strip())
    return match.group(1) if match else "moodle"


def _formatted(text: str, kept: list[str], fmt: str = "moodle") -> str:
    """Question or answer text as HTML, honouring a [format] marker (else `fmt`, as Moodle inherits it)."""
    text = text.strip()
    match = _FORMAT.match(text)
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
    for line_no, block, comments in _split_blocks(content.replace("\r\n", "\n").lstrip("\ufeff")):
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
        fmt = _text_format(question_text)
        stem = _formatted(question_text, kept)
        tokens = _tokens(comments)
        points = ([category] if category else []) + [_unescape_token(t) for t in tokens.get("tag", [])]
        base = {"stem": stem, "knowledge_points": [p for i, p in enumerate(points) if p and p not in points[:i]],
                "explanation": _formatted(general, kept, fmt) if general and general.strip() else None}
        for field in ("difficulty", "score", "partial_credit"):
            value = _token_number(tokens, field)
            if value is not None:
                base["max_score" if field == "score" else field] = \
                    bool(value) if field == "partial_credit" and isinstance(value, float) else value
        items.append(_classify(ref, name, body, base, kept, tokens, fmt))
    return items


def _classify(ref: str, name: str | None, body: str, base: dict, kept: list[str], tokens: dict,
              fmt: str) -> Parsed:
    if body == "" and tokens.get("blank"):  # our fill-in with several blanks, an essay to Moodle
        answer = [_token_alternatives(raw) for raw in tokens["blank"]]
        return Parsed(ref, {**base, "type": "fill_blank", "answer": answer}, name=name)
    if body == "":
        reference = _unescape_token(tokens["reference"][0]) if tokens.get("reference") else ""
        return Parsed(ref, {**base, "type": "short_answer", "answer": reference}, name=name)
    if body.startswith("#"):
        return Parsed(ref, skipped="numerical questions are not supported", name=name)
    if "~" in body:
        answers = _answers(body)
        options = [{"key": "ABCDEFGH"[i] if i < 8 else "?", "text": _formatted(a["text"], kept, fmt)}
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
                            "partial_credit": base.get("partial_credit", True)}, name=name)
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
    """Text with GIFT's control characters escaped; line breaks as `\\n` so a blank line cannot end the block."""
    return re.sub(r"([~=#{}:\\])", r"\\\1", text or "").replace("\r\n", "\n").replace("\n", "\\n")


def _token_text(value, pipes: bool = False) -> str:
    """A value escaped for a comment token: `\\`, `]`, line breaks (and `|` inside blank alternatives)."""
    text = str(value).replace("\\", "\\\\").replace("]", "\\]").replace("\r\n", "\n").replace("\n", "\\n")
    return text.replace("|", "\\|") if pipes else text


def _token(name: str, value) -> str:
    return f"[{name}:{_token_text(value)}]"


def _number(value: float) -> str:
    return f"{value:g}"


def _comment_lines(q, v) -> list[str]:
    """Moodle's comment header, then the tokens that carry what GIFT itself cannot."""
    tokens = [_token("tag", p) for p in v.knowledge_points or []]
    tokens.append(_token("difficulty", v.difficulty))
    if v.max_score != 1:
        tokens.append(_token("score", _number(v.max_score)))
    if bool(v.partial_credit) != (v.type == "multiple_choice"):
        tokens.append(_token("partial_credit", int(bool(v.partial_credit))))
    lines = [f"// question: {q.id}  name: Q{q.id}", "// " + " ".join(tokens)]
    if v.type == "short_answer" and v.answer:
        lines.append("// " + _token("reference", v.answer))
    if v.type == "fill_blank" and len(v.answer) > 1:
        lines.append("// " + " ".join("[blank:" + "|".join(_token_text(a, pipes=True) for a in alts) + "]"
                                      for alts in v.answer))
    return lines


def _question(q, v) -> str:
    """The GIFT text of one question version, without its comment lines."""
    head = f"::Q{q.id}::[html]"
    general = f"####{_escape(v.explanation)}" if v.explanation else ""
    if v.type in ("single_choice", "multiple_choice"):
        right = set(v.answer)
        if v.type == "single_choice":
            lines = [("=" if o["key"] in right else "~") + _escape(o["text"]) for o in v.options]
        else:
            weight = f"{100 / len(right):.5f}".rstrip("0").rstrip(".")
            lines = [(f"~%{weight}%" if o["key"] in right else "~%-100%") + _escape(o["text"]) for o in v.options]
        return head + _escape(v.stem) + "{\n\t" + "\n\t".join(lines) + (f"\n\t{general}" if general else "") + "\n}"
    if v.type == "true_false":
        return head + _escape(v.stem) + "{" + ("TRUE" if v.answer == ["T"] else "FALSE") + general + "}"
    if v.type == "short_answer" or (v.type == "fill_blank" and len(v.answer) > 1):
        return head + _escape(v.stem) + "{" + general + "}"  # an essay to Moodle; our tokens say more
    block = "{" + " ".join("=" + _escape(a) for a in v.answer[0]) + general + "}"
    stem = _escape(v.stem)
    at = stem.find(BLANK)
    inside = at >= 0 and stem[at + len(BLANK):].strip()
    return head + (stem[:at] + block + stem[at + len(BLANK):] if inside else stem + block)


def write(questions) -> str:
    """GIFT text for questions' current versions, every field kept (see the module's note on tokens)."""
    out = []
    for q in questions:
        v = q.current
        out.append("\n".join(_comment_lines(q, v) + [_question(q, v)]))
    return "\n\n".join(out) + "\n"
