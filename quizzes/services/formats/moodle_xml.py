"""Moodle XML: read the types we support and skip the others with a reason, and write questions back.

Written as Moodle writes them: single/multiple choice → `multichoice` (a multiple choice's right options share
100 %, wrong ones −100 %), true/false → `truefalse`, a fill-in with one blank → `shortanswer` (every accepted
variant at 100 %), with several blanks → `multianswer` (cloze: each `_____` of the stem becomes
`{1:SHORTANSWER:=甲~=乙}`), a short answer → `essay` with the reference answer as `graderinfo`. Knowledge points
are Moodle `tags`. What Moodle has no element for travels in elements Moodle's reader ignores:
`<pioneer_difficulty>` and `<pioneer_partialcredit>` (only when not the type's default); a fill-in whose stem
has fewer `_____` than blanks is written as an essay with one `<pioneer_blank>` per blank.
"""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from defusedxml import DefusedXmlException, ElementTree as DefusedET

from . import FileError, Parsed, text_to_html

SKIP_REASONS = {
    "matching": "matching questions are not supported",
    "numerical": "numerical questions are not supported",
    "calculated": "calculated questions are not supported",
    "calculatedsimple": "calculated questions are not supported",
    "calculatedmulti": "calculated questions are not supported",
    "description": "a description (no answers) is not a question",
    "cloze": "embedded-answer (cloze) questions are not supported",
    "ddwtos": "drag-and-drop questions are not supported",
    "ddimageortext": "drag-and-drop questions are not supported",
    "ddmarker": "drag-and-drop questions are not supported",
    "gapselect": "select-missing-words questions are not supported",
    "randomsamatch": "random matching questions are not supported",
}


def _text(node, path: str = "text") -> str:
    found = node.find(path) if node is not None else None
    return (found.text or "") if found is not None else ""


def _formatted(node) -> str:
    """A Moodle text element as HTML, honouring its format attribute."""
    if node is None:
        return ""
    value = _text(node).strip()
    return value if node.get("format", "html") == "html" else text_to_html(value)


def parse(content: bytes | str) -> list[Parsed]:
    """Read a Moodle XML file into parsed questions; raises FileError when it is not Moodle XML."""
    raw = content.encode() if isinstance(content, str) else content
    try:  # defusedxml: a DTD (and so any entity, external or exponential) is refused in every encoding
        root = DefusedET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise FileError("XML with a document type or entities is refused") from None
    except ET.ParseError as exc:
        raise FileError(f"not well-formed XML: {exc}") from None
    if root.tag != "quiz":
        raise FileError(f"not a Moodle question file: the root element is <{root.tag}>, not <quiz>")
    items: list[Parsed] = []
    category: str | None = None
    number = 0
    for node in root.findall("question"):
        kind = node.get("type", "")
        if kind == "category":
            path = _text(node.find("category")).strip().strip("/")
            category = path.split("/")[-1] if path and path.split("/")[-1] != "$course$" else None
            continue
        number += 1
        name = _text(node.find("name")).strip() or None
        ref = f"question {number}" + (f" ({name})" if name else "")
        if kind not in ("multichoice", "truefalse", "shortanswer", "essay", "multianswer"):
            items.append(Parsed(ref, skipped=SKIP_REASONS.get(kind, f"question type {kind!r} is not supported"),
                                name=name))
            continue
        tags = [(_text(t) or "").strip() for t in node.findall("tags/tag")]
        points = ([category] if category else []) + [t for t in tags if t]
        grade = _text(node, "defaultgrade").strip()
        base = {"stem": _formatted(node.find("questiontext")), "knowledge_points": points,
                "explanation": _formatted(node.find("generalfeedback")) or None,
                "max_score": float(grade) if grade else 1}
        for element, field in (("pioneer_difficulty", "difficulty"), ("pioneer_partialcredit", "partial_credit")):
            value = (node.findtext(element) or "").strip()
            if value:
                base[field] = value if field == "difficulty" else value.lower() in ("1", "true")
        answers = [{"text": _formatted(a) if kind == "multichoice" else _text(a).strip(),
                    "fraction": float(a.get("fraction", "0") or 0)} for a in node.findall("answer")]
        items.append(_convert(ref, name, kind, node, base, answers))
    return items


def _convert(ref, name, kind, node, base, answers) -> Parsed:
    if kind == "multianswer":
        return _cloze(ref, name, base)
    if kind == "essay" and node.findall("pioneer_blank"):  # ours: a fill-in that could not be a cloze
        blanks = [[(a.text or "").strip() for a in blank.findall("answer")] for blank in node.findall("pioneer_blank")]
        return Parsed(ref, {**base, "type": "fill_blank", "answer": blanks}, name=name)
    if kind == "essay":
        return Parsed(ref, {**base, "type": "short_answer", "answer": _text(node.find("graderinfo")).strip()},
                      name=name)
    if kind == "truefalse":
        right = [a for a in answers if a["fraction"] >= 100]
        if len(right) != 1 or right[0]["text"].lower() not in ("true", "false"):
            return Parsed(ref, skipped="a true/false question without one right answer", name=name)
        return Parsed(ref, {**base, "type": "true_false", "answer": right[0]["text"].lower()}, name=name)
    if kind == "shortanswer":
        accepted = [a["text"] for a in answers if a["fraction"] >= 100]
        if not accepted:
            return Parsed(ref, skipped="no fully correct answer", name=name)
        notes = ["partial-credit alternatives dropped"] if any(0 < a["fraction"] < 100 for a in answers) else []
        return Parsed(ref, {**base, "type": "fill_blank", "answer": [accepted]}, notes=notes, name=name)
    if len(answers) > 8:
        return Parsed(ref, skipped="more than 8 options", name=name)
    options = [{"key": "ABCDEFGH"[i], "text": a["text"]} for i, a in enumerate(answers)]
    single = _text(node, "single").strip().lower() in ("true", "1")
    if single:
        full = [o["key"] for o, a in zip(options, answers) if a["fraction"] >= 100]
        if len(full) != 1:
            return Parsed(ref, skipped="a one-answer question without exactly one fully correct option", name=name)
        notes = ["partial credit on other options dropped"] if any(0 < a["fraction"] < 100 for a in answers) else []
        return Parsed(ref, {**base, "type": "single_choice", "options": options, "answer": full}, notes=notes,
                      name=name)
    right = [o["key"] for o, a in zip(options, answers) if a["fraction"] > 0]
    if not right:
        return Parsed(ref, skipped="no option earns marks", name=name)
    return Parsed(ref, {**base, "type": "multiple_choice", "options": options, "answer": right,
                        "partial_credit": base.get("partial_credit", True)}, name=name)


_CLOZE = re.compile(r"\{(\d*):([A-Z_]+):((?:\\.|[^}\\])*)\}")
_CLOZE_SHORT = {"SHORTANSWER", "SA", "MW", "SHORTANSWER_C", "SAC", "MWC"}
_CLOZE_ALTERNATIVE = re.compile(r"(?:\\.|[^~\\])+")
_CLOZE_WEIGHT = re.compile(r"^(?:=|%(-?\d+(?:\.\d+)?)%)")


def _cloze_unescape(text: str) -> str:
    return html.unescape(re.sub(r"\\(.)", r"\1", text)).strip()


def _cloze(ref, name, base) -> Parsed:
    """An embedded-answer question whose every field is a short answer: a fill-in, one blank per field."""
    fields = _CLOZE.findall(base["stem"])
    if not fields:
        return Parsed(ref, skipped="an embedded-answer (cloze) question without answer fields", name=name)
    if any(kind not in _CLOZE_SHORT for _, kind, _ in fields):
        return Parsed(ref, skipped="embedded-answer (cloze) questions other than short answers are not supported",
                      name=name)
    blanks, notes = [], []
    for _, _, body in fields:
        accepted = []
        for raw in _CLOZE_ALTERNATIVE.findall(body):
            text = re.split(r"(?<!\\)#", raw, maxsplit=1)[0]
            weight = _CLOZE_WEIGHT.match(text)
            if weight is None:
                continue
            fraction = float(weight.group(1)) if weight.group(1) else 100.0
            if fraction >= 100:
                accepted.append(_cloze_unescape(text[weight.end():]))
            elif fraction > 0 and "partial-credit alternatives dropped" not in notes:
                notes.append("partial-credit alternatives dropped")
        blanks.append([a for a in accepted if a])
    stem = _CLOZE.sub(BLANK, base["stem"])
    return Parsed(ref, {**base, "stem": stem, "type": "fill_blank", "answer": blanks}, notes=notes, name=name)


# writing -----------------------------------------------------------------------------------------------

BLANK = "_____"


def _node(parent, tag: str, text: str | None = None, **attrs):
    element = ET.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _text_node(parent, tag: str, text: str, fmt: str | None = "html"):
    element = _node(parent, tag, format=fmt)
    _node(element, "text", text or "")
    return element


def _number(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".")


def _cloze_escape(text: str) -> str:
    return html.escape(re.sub(r"([\\}~#{])", r"\\\1", text), quote=False)


def _answer(parent, fraction: float, text: str, fmt: str | None = "html"):
    element = _node(parent, "answer", fraction=_number(fraction), format=fmt)
    _node(element, "text", text)
    _text_node(element, "feedback", "")
    return element


def _question(root, q, v) -> None:
    blanks = v.answer if v.type == "fill_blank" else []
    cloze = v.type == "fill_blank" and len(blanks) > 1 and v.stem.count(BLANK) >= len(blanks)
    kind = {"single_choice": "multichoice", "multiple_choice": "multichoice", "true_false": "truefalse",
            "short_answer": "essay"}.get(v.type) or ("multianswer" if cloze else
                                                     "shortanswer" if len(blanks) == 1 else "essay")
    node = _node(root, "question", type=kind)
    name = _node(node, "name")
    plain = re.sub(r"<[^>]*>", "", html.unescape(v.stem)).strip()
    _node(name, "text", f"Q{q.id} {plain[:40]}".strip())
    stem = v.stem
    if cloze:
        parts = stem.split(BLANK)
        stem = parts[0]
        for i, part in enumerate(parts[1:]):
            if i < len(blanks):
                stem += "{1:SHORTANSWER:" + "~".join("=" + _cloze_escape(a) for a in blanks[i]) + "}"
            else:
                stem += BLANK
            stem += part
    _text_node(node, "questiontext", stem)
    _text_node(node, "generalfeedback", v.explanation or "")
    _node(node, "defaultgrade", _number(v.max_score))
    _node(node, "penalty", "0.3333333")
    _node(node, "hidden", "0")
    _node(node, "pioneer_difficulty", str(v.difficulty))
    if bool(v.partial_credit) != (v.type == "multiple_choice"):
        _node(node, "pioneer_partialcredit", "1" if v.partial_credit else "0")
    if v.type in ("single_choice", "multiple_choice"):
        right = set(v.answer)
        _node(node, "single", "true" if v.type == "single_choice" else "false")
        _node(node, "shuffleanswers", "true")
        _node(node, "answernumbering", "ABCD")
        for option in v.options:
            if v.type == "single_choice":
                fraction = 100.0 if option["key"] in right else 0.0
            else:
                fraction = 100 / len(right) if option["key"] in right else -100.0
            _answer(node, fraction, option["text"])
    elif v.type == "true_false":
        _answer(node, 100.0 if v.answer == ["T"] else 0.0, "true", "moodle_auto_format")
        _answer(node, 100.0 if v.answer == ["F"] else 0.0, "false", "moodle_auto_format")
    elif kind == "shortanswer":
        _node(node, "usecase", "0")
        for accepted in blanks[0]:
            _answer(node, 100.0, accepted, "moodle_auto_format")
    elif kind == "essay":
        _node(node, "responseformat", "editor")
        _node(node, "responserequired", "1")
        _node(node, "responsefieldlines", "10")
        _text_node(node, "graderinfo", v.answer if v.type == "short_answer" else "", "plain_text")
        _text_node(node, "responsetemplate", "")
        for alternatives in blanks:  # a fill-in whose stem cannot hold its blanks as cloze fields
            blank = _node(node, "pioneer_blank")
            for accepted in alternatives:
                _node(blank, "answer", accepted)
    if v.knowledge_points:
        tags = _node(node, "tags")
        for point in v.knowledge_points:
            _node(_node(tags, "tag"), "text", point)


def write(questions) -> bytes:
    """Moodle XML for questions' current versions, every field kept (see the module's note)."""
    root = ET.Element("quiz")
    for q in questions:
        _question(root, q, q.current)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False) \
        + b"\n"
