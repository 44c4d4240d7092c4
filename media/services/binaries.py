"""Where ffmpeg and ffprobe are: configured, on PATH, or (ffmpeg only) the imageio-ffmpeg wheel."""
from __future__ import annotations

import shutil

from learning.config import setting


class ToolMissing(RuntimeError):
    """ffmpeg or ffprobe cannot be found on this machine."""


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary."""
    configured = setting("MEDIA_FFMPEG")
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:  # a pip-installed fallback when the system package is absent
        import imageio_ffmpeg
    except ImportError:
        raise ToolMissing("ffmpeg is not installed: run `make sysdeps` (apt ffmpeg)") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffprobe_exe() -> str:
    """Path of the ffprobe binary (the imageio-ffmpeg wheel has none)."""
    configured = setting("MEDIA_FFPROBE")
    if configured:
        return configured
    found = shutil.which("ffprobe")
    if found:
        return found
    raise ToolMissing("ffprobe is not installed: run `make sysdeps` (apt ffmpeg)")
