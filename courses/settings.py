"""Settings of the courses package: read from the app config, else the environment, else a default."""
from __future__ import annotations

import os

from flask import current_app

DEFAULTS = {
    "STUDY_HEARTBEAT_S": 15,  # the interval clients are told to beat at
    "STUDY_TOLERANCE_S": 2.0,  # slack on server-clock bounds (network jitter)
    "STUDY_MAX_SPEED": 2.0,  # fastest playback rate that earns credit
    "STUDY_MIN_SPEED": 0.5,  # slowest: credit <= position advanced / this
    "STUDY_CAP_FACTOR": 1.5,  # per-lesson credit <= duration x this
    "STUDY_COMPLETE_RATIO": 0.9,  # a lesson completes at this share watched/read
    "STUDY_READING_CPM": 300,  # Chinese characters read per minute
    "STUDY_DOCUMENT_DEFAULT_S": 300,  # estimated reading time of a PDF without one
    "STUDY_SEGMENT_S": 5,  # coverage granularity of audio/video
    "STUDY_STALE_AFTER_S": 600,  # a session without beats this long is ended by the sweeper
    "STUDY_MAX_BATCH": 240,  # beats in one batch (an hour at 15 s)
    "TASK_REMINDER_HOURS": [72, 24],  # reminders this many hours before a deadline
    "COURSE_MAX_PDF_MB": 50,
}


def setting(name: str):
    """One courses setting: app config first, then environment variable, then default."""
    if name in current_app.config:
        return current_app.config[name]
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, list):
        return [int(x) for x in raw.split(",") if x.strip()]
    return type(default)(raw)
