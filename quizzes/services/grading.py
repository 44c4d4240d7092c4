"""Answer normalisation and automatic grading of one response against one question version."""
from __future__ import annotations

import re
import unicodedata

from learning.errors import Invalid

_SPACE = re.compile(r"\s+")
MAX_TEXT = 5000


def normalise_text(text: str) -> str:
    """Fold full-width/half-width forms (NFKC), drop all spaces and case, for comparing blanks."""
    folded = unicodedata.normalize("NFKC", str(text))
    return _SPACE.sub("", folded).casefold()


def check_response(version, response):
    """The response in its canonical form for this question, or Invalid with a clear reason."""
    kind = version.type
    if kind in ("single_choice", "true_false", "multiple_choice"):
        keys = {o["key"] for o in version.options}
        if not isinstance(response, list) or not all(isinstance(k, str) for k in response):
            raise Invalid("The response must be a list of option keys.", {"response": ["not_a_key_list"]})
        chosen = sorted(set(response))
        if not chosen:
            raise Invalid("Choose at least one option.", {"response": ["empty"]})
        if kind != "multiple_choice" and len(chosen) != 1:
            raise Invalid("Choose exactly one option.", {"response": ["one_option"]})
        unknown = [k for k in chosen if k not in keys]
        if unknown:
            raise Invalid(f"Not an option of this question: {', '.join(unknown)}.", {"response": ["unknown_key"]})
        return chosen
    if kind == "fill_blank":
        blanks = len(version.answer)
        if not isinstance(response, list) or not all(isinstance(t, str) for t in response):
            raise Invalid("The response must be a list of texts, one per blank.", {"response": ["not_a_text_list"]})
        if len(response) != blanks:
            raise Invalid(f"This question has {blanks} blanks.", {"response": ["blank_count"]})
        if any(len(t) > 500 for t in response):
            raise Invalid("A blank's answer is too long.", {"response": ["too_long"]})
        return [t.strip() for t in response]
    if kind == "short_answer":
        if not isinstance(response, str):
            raise Invalid("The response must be a text.", {"response": ["not_text"]})
        if len(response) > MAX_TEXT:
            raise Invalid("The answer is too long.", {"response": ["too_long"]})
        return response.strip()
    raise Invalid(f"Unknown question type {kind!r}.")


def grade(version, response) -> float | None:
    """The fraction (0..1) of the marks a canonical response earns; None when an organiser must grade."""
    kind = version.type
    if kind == "short_answer":
        return None
    if response is None:
        return 0.0
    if kind in ("single_choice", "true_false"):
        return 1.0 if list(response) == list(version.answer) else 0.0
    if kind == "multiple_choice":
        chosen, right = set(response), set(version.answer)
        if chosen == right:
            return 1.0
        if version.partial_credit and chosen <= right:
            return len(chosen) / len(right)
        return 0.0
    if kind == "fill_blank":
        hits = sum(1 for given, accepted in zip(response, version.answer)
                   if normalise_text(given) in {normalise_text(a) for a in accepted})
        if hits == len(version.answer):
            return 1.0
        return hits / len(version.answer) if version.partial_credit else 0.0
    raise Invalid(f"Unknown question type {kind!r}.")


def correct_answer_view(version):
    """The correct answer as shown to a member once answers may be revealed."""
    if version.type == "short_answer":
        return version.answer or ""
    return version.answer
