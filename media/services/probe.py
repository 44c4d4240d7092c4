"""Probing with ffprobe (under media.services.tools' limits): accept real audio/video, refuse the rest."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
from dataclasses import asdict, dataclass

from learning.config import setting
from .binaries import ffprobe_exe
from .reasons import MediaRejected, clock
from .tools import DEMUXERS, ToolTimeout, input_options, local_input, probe_limits, run_tool

log = logging.getLogger(__name__)

#: container formats we accept (ffprobe's format_name is a comma list of aliases); the tools may
#: read nothing else (media.services.tools.DEMUXERS)
ACCEPTED_FORMATS = DEMUXERS
#: "video" streams that are really still pictures (cover art, images)
STILL_CODECS = {"png", "mjpeg", "bmp", "gif", "webp", "tiff", "ansi"}


@dataclass
class ProbeResult:
    """What ffprobe says about a file, reduced to what the pipeline uses."""

    kind: str  # video | audio
    duration_s: float
    format_name: str
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    has_audio: bool = False
    fps: float | None = None
    rotation: int = 0

    def as_dict(self) -> dict:
        """A JSON-able copy (kept on the asset)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "ProbeResult":
        """Rebuild from `as_dict`."""
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


def _fps(rate: str | None) -> float | None:
    try:
        num, den = (rate or "0/0").split("/")
        return round(int(num) / int(den), 3) if int(den) else None
    except ValueError:
        return None


def _rotation(stream: dict) -> int:
    rotate = (stream.get("tags") or {}).get("rotate")
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            rotate = side["rotation"]
    try:
        return int(float(rotate or 0)) % 360
    except ValueError:
        return 0


def probe_command(path: str) -> list[str]:
    """The ffprobe command for a stored file: read as a local file, through no other protocol."""
    options = [arg for name, value in input_options().items() for arg in (f"-{name}", value)]
    return [ffprobe_exe(), "-v", "error", *options, "-show_format", "-show_streams", "-of", "json",
            local_input(path)]


def run_ffprobe(path: str) -> dict:
    """ffprobe's JSON for a file, under the probe's limits (it runs inside the upload request);
    MediaRejected when ffprobe cannot read it or passes its time or resource limit."""
    try:
        done = run_tool(probe_command(path), probe_limits(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except ToolTimeout as exc:
        log.warning("%s", exc)
        raise MediaRejected("tool_limit") from exc
    if done.returncode != 0:
        if done.returncode < 0:
            log.warning("ffprobe was killed by signal %s on %s", -done.returncode, path)
        raise MediaRejected("tool_limit" if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL) else "not_media")
    try:
        return json.loads(done.stdout.decode("utf-8", "replace"))
    except ValueError as exc:
        raise MediaRejected("not_media") from exc


def probe_file(path: str, max_duration_s: float | None = None) -> ProbeResult:
    """Check that a file is real, complete-looking audio or video of an allowed length."""
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        raise MediaRejected("empty")
    info = run_ffprobe(path)
    fmt = info.get("format") or {}
    format_name = fmt.get("format_name") or ""
    if not set(format_name.split(",")) & ACCEPTED_FORMATS:
        raise MediaRejected("not_media")
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video" and s.get("codec_name") not in STILL_CODECS
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise MediaRejected("no_streams")
    try:
        duration = float(fmt.get("duration") or (video or audio).get("duration") or 0)
    except ValueError:
        duration = 0.0
    if duration <= 0:
        raise MediaRejected("no_duration")
    limit = setting("MEDIA_MAX_DURATION_S") if max_duration_s is None else max_duration_s
    if duration > limit:
        raise MediaRejected("too_long", duration=clock(duration), limit=clock(limit))
    result = ProbeResult(kind="video" if video else "audio", duration_s=round(duration, 3), format_name=format_name,
                         has_audio=audio is not None, audio_codec=audio.get("codec_name") if audio else None)
    if video:
        result.width, result.height = int(video.get("width") or 0), int(video.get("height") or 0)
        if not result.width or not result.height:
            raise MediaRejected("not_media")
        result.video_codec = video.get("codec_name")
        result.fps = _fps(video.get("avg_frame_rate")) or _fps(video.get("r_frame_rate"))
        result.rotation = _rotation(video)
        if result.rotation in (90, 270):  # displayed size: a portrait phone video
            result.width, result.height = result.height, result.width
    return result


def output_duration(path: str) -> float:
    """The exact duration of a file the pipeline wrote."""
    info = run_ffprobe(path)
    return round(float(info["format"]["duration"]), 3)
