"""Moodle XML: read the types we support and skip the others with a reason."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from . import FileError, Parsed, text_to_html

SKIP_REASONS = {
    "matching": "matching questions are not supported",
    "numerical": "numerical questions are not supported",
    "calculated": "calculated questions are not supported",
    "calculatedsimple": "calculated questions are not supported",
    "calculatedmulti": "calculated questions are not supported",
    "description": "a description (no answers) is not a question",
    "cloze": "embedded-answer (cloze) questions are not supported",
    "multianswer": "embedded-answer (cloze) questions are not supported",
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
    if b"<!DOCTYPE" in raw[:2048] or b"<!ENTITY" in raw:
        raise FileError("XML with a document type or entities is refused")
    try:
        root = ET.fromstring(raw)
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
        if kind not in ("multichoice", "truefalse", "shortanswer", "essay"):
            items.append(Parsed(ref, skipped=SKIP_REASONS.get(kind, f"question type {kind!r} is not supported"),
                                name=name))
            continue
        tags = [(_text(t) or "").strip() for t in node.findall("tags/tag")]
        points = ([category] if category else []) + [t for t in tags if t]
        grade = _text(node, "defaultgrade").strip()
        base = {"stem": _formatted(node.find("questiontext")), "knowledge_points": points,
                "explanation": _formatted(node.find("generalfeedback")) or None,
                "max_score": float(grade) if grade else 1}
        answers = [{"text": _formatted(a) if kind == "multichoice" else _text(a).strip(),
                    "fraction": float(a.get("fraction", "0") or 0)} for a in node.findall("answer")]
        items.append(_convert(ref, name, kind, node, base, answers))
    return items


def _convert(ref, name, kind, node, base, answers) -> Parsed:
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
                        "partial_credit": True}, name=name)
