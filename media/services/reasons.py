"""Why a file was refused or failed: codes, their English messages and translations at display."""
from __future__ import annotations

from flask import has_request_context
from flask_babel import gettext

from learning.errors import DomainError

def _l(message: str) -> str:
    """Mark a message for translation; it is translated when shown."""
    return message


REASONS = {
    "empty": _l("The file is empty."),
    "not_media": _l("This is not an audio or video file that can be read (wrong type or damaged)."),
    "no_streams": _l("The file contains no audio or video."),
    "no_duration": _l("The length of the file cannot be determined; it may be damaged."),
    "too_long": _l("The media lasts %(duration)s; at most %(limit)s is allowed."),
    "truncated": _l("The file is incomplete: only %(decoded)s of %(declared)s could be played."),
    "transcode_failed": _l("The file could not be converted; it may be damaged."),
    "retries_exhausted": _l("Processing failed several times; please try again later."),
    "source_missing": _l("The uploaded file is missing; please upload it again."),
    "tool_limit": _l("Reading or converting the file took more time or memory than allowed; it may be damaged."),
}


def clock(seconds: float) -> str:
    """Seconds as H:MM:SS (or M:SS under an hour)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def reason_text(code: str | None, params: dict | None = None, english: bool = False) -> str | None:
    """The message for a failure code, in the request's language (or English)."""
    if not code:
        return None
    message = REASONS.get(code)
    if message is None:
        return code
    if english or not has_request_context():
        return message % params if params else message
    return gettext(message, **(params or {}))


class MediaRejected(Exception):
    """A file the pipeline refuses for good: not media, damaged, too long. Not retried."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(reason_text(code, params, english=True))


class TransientMediaError(Exception):
    """A fault that may pass (ffmpeg killed, disk briefly full): the task retries."""


class UploadTooLarge(DomainError):
    """The upload exceeds MAX_UPLOAD_MB."""

    status = 413
    code = "too_large"


class InvalidMedia(DomainError):
    """The uploaded file is not acceptable media; the asset is marked failed."""

    status = 422
    code = "invalid_media"


def reason_templates() -> dict[str, str]:
    """Every reason in the request's language, unformatted (for streams that outlive the request)."""
    return {code: gettext(message) for code, message in REASONS.items()}


def localise_state(state: dict, templates: dict[str, str]) -> dict:
    """Put the failure reason of a published state into the reader's language."""
    code = state.get("failure_code")
    if code in templates:
        params = state.get("failure_params") or {}
        state = dict(state, failure_reason=templates[code] % params if params else templates[code])
    return state
