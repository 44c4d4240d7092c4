"""Media settings: app config first, then the environment (workers), then the defaults below."""
from __future__ import annotations

import os

from flask import current_app, has_app_context

DEFAULTS: dict[str, object] = {
    "MAX_UPLOAD_MB": 1024,  # also in learning.config; the upload size limit
    "MEDIA_MAX_DURATION_S": 4 * 3600,  # longer media are refused
    "MEDIA_X264_PRESET": "veryfast",  # tests use "ultrafast"
    "MEDIA_URL_TTL_S": 6 * 3600,  # signed delivery URLs live at least this long
    "MEDIA_HLS_SEGMENT_S": 6,
    "MEDIA_CHUNK_MB": 8,  # chunk size the upload page sends
    "MEDIA_FFMPEG": "",  # path of ffmpeg; empty: found on PATH, else imageio-ffmpeg's
    "MEDIA_FFPROBE": "",
    "MEDIA_FFMPEG_THREADS": 0,  # 0: let ffmpeg choose
}

#: under TESTING (any package's tests) encode as fast as possible unless configured
TEST_DEFAULTS: dict[str, object] = {"MEDIA_X264_PRESET": "ultrafast"}


def setting(name: str):
    """A media setting, typed like its default."""
    default = DEFAULTS[name]
    value = None
    if has_app_context():
        value = current_app.config.get(name)
        if current_app.testing:
            default = TEST_DEFAULTS.get(name, default)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "" and default != "":
        return default
    if isinstance(default, int) and not isinstance(value, int):
        return int(float(value))
    return value
