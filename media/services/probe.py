"""Probing with ffprobe (ffmpeg-python's `ffmpeg.probe`): accept real audio/video, refuse the rest."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass

import ffmpeg

from ..settings import setting
from .binaries import ffprobe_exe
from .reasons import MediaRejected, clock

#: container formats we accept (ffprobe's format_name is a comma list of aliases)
ACCEPTED_FORMATS = {
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "flv", "mpegts", "mpeg",
    "mp3", "wav", "ogg", "flac", "aac", "asf", "amr", "m4v",
}
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


def run_ffprobe(path: str) -> dict:
    """ffprobe's JSON for a file; MediaRejected when ffprobe cannot read it."""
    try:
        return ffmpeg.probe(path, cmd=ffprobe_exe())
    except ffmpeg.Error as exc:
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
