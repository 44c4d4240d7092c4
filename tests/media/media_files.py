"""Test media made on the fly with the real ffmpeg: small, low bitrate, fast to encode."""
from __future__ import annotations

import subprocess
from pathlib import Path

FFMPEG = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]


def _run(*args: str) -> None:
    subprocess.run([*FFMPEG, *args], check=True)


def pattern_clip(path: Path, seconds: int = 20, size: str = "1280x720", faststart: bool = False,
                 audio: bool = True, rate: int = 25) -> Path:
    """A test-pattern video with a 440 Hz tone (H.264/AAC MP4)."""
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]
    if audio:
        args += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"]
    args += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "300k", "-g", "50"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "48k", "-shortest"]
    if faststart:
        args += ["-movflags", "+faststart"]
    _run(*args, str(path))
    return path


def tone(path: Path, seconds: int = 8) -> Path:
    """An audio-only file: a sine tone in AAC (M4A)."""
    _run("-f", "lavfi", "-i", "sine=frequency=660:sample_rate=44100", "-t", str(seconds), "-c:a", "aac",
         "-b:a", "48k", str(path))
    return path


def subtitles_only(path: Path) -> Path:
    """A Matroska file holding nothing but a subtitle track."""
    srt = path.with_suffix(".srt")
    srt.write_text("1\n00:00:00,000 --> 00:00:02,000\n学习强国\n\n2\n00:00:02,000 --> 00:00:04,000\n不忘初心\n",
                   encoding="utf-8")
    _run("-i", str(srt), "-c:s", "srt", str(path))
    return path


def truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    """The first part of a file, as a broken upload leaves it."""
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def text_as_mp4(path: Path) -> Path:
    """A text file renamed .mp4."""
    path.write_text("这不是视频。This is a meeting agenda, not a video.\n" * 200, encoding="utf-8")
    return path
