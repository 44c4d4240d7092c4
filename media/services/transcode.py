"""Transcoding with ffmpeg (commands built with ffmpeg-python): MP4 renditions, HLS ladder, poster.

One ffmpeg process encodes every rendition from a single decode (split filter), with a key
frame every 2 s so the HLS step only remuxes (`-c copy`) each MP4 into segments.
"""
from __future__ import annotations

import logging
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from learning.config import setting
from .binaries import ffmpeg_exe
from .probe import ProbeResult, run_ffprobe
from .reasons import MediaRejected, TransientMediaError, clock
from .tools import ffmpeg_limits, input_options, local_input, started

log = logging.getLogger(__name__)
KEYFRAME_EVERY_S = 2
ENCODE_SHARE = 0.9  # of the progress bar; remuxing to HLS and the poster take the rest


@dataclass(frozen=True)
class Rung:
    """One rendition of the ladder."""

    label: str
    height: int  # 0 for audio only
    video_kbps: int
    audio_kbps: int

    @property
    def file(self) -> str:
        return "audio.m4a" if self.height == 0 else f"{self.label}.mp4"

    @property
    def playlist(self) -> str:
        return f"{self.label}.m3u8"


VIDEO_LADDER = (Rung("720p", 720, 2400, 128), Rung("360p", 360, 800, 96))
AUDIO_RUNG = Rung("audio", 0, 0, 128)
PROFILE_CODES = {"Baseline": "42e0", "Constrained Baseline": "42e0", "Main": "4d40", "High": "6400"}


def plan(probe: ProbeResult) -> list[Rung]:
    """The renditions for a source: never upscaled; a small source keeps its own height."""
    if probe.kind == "audio":
        return [AUDIO_RUNG]
    rungs = [r for r in VIDEO_LADDER if r.height <= probe.height]
    if not rungs:
        height = max(probe.height - probe.height % 2, 2)
        rungs = [Rung(f"{height}p", height, 500, 96)]
    return rungs


def encode_command(src: str, out: Path, probe: ProbeResult, rungs: list[Rung], preset: str | None = None) -> list[str]:
    """The one ffmpeg command that writes every MP4 (or M4A) rendition."""
    preset = preset or setting("MEDIA_X264_PRESET")
    source = ffmpeg.input(local_input(src), **input_options())
    outputs = []
    if probe.kind == "audio":
        rung = rungs[0]
        outputs.append(ffmpeg.output(source.audio, str(out / rung.file), acodec="aac", audio_bitrate=f"{rung.audio_kbps}k",
                                     ac=2, movflags="+faststart", map_metadata=-1))
    else:
        split = source.video.split() if len(rungs) > 1 else None
        for i, rung in enumerate(rungs):
            video = (split[i] if split is not None else source.video).filter("scale", -2, rung.height)
            streams = [video, source.audio] if probe.has_audio else [video]
            options = {"c:v": "libx264", "preset": preset, "profile:v": "main", "pix_fmt": "yuv420p",
                       "b:v": f"{rung.video_kbps}k", "maxrate": f"{int(rung.video_kbps * 1.2)}k",
                       "bufsize": f"{rung.video_kbps * 2}k",
                       "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_EVERY_S})",
                       "movflags": "+faststart", "map_metadata": -1}
            if probe.has_audio:
                options.update({"c:a": "aac", "b:a": f"{rung.audio_kbps}k", "ac": 2})
            outputs.append(ffmpeg.output(*streams, str(out / rung.file), **options))
    stream = ffmpeg.merge_outputs(*outputs).global_args("-nostdin", "-hide_banner", "-loglevel", "error")
    threads = setting("MEDIA_FFMPEG_THREADS")
    if threads:
        stream = stream.global_args("-threads", str(threads))
    return stream.overwrite_output().compile(cmd=ffmpeg_exe())


def hls_command(out: Path, rung: Rung) -> list[str]:
    """Remux one rendition into an HLS variant playlist with MPEG-TS segments (no re-encode)."""
    return (ffmpeg.input(local_input(str(out / rung.file)), **input_options())
            .output(str(out / rung.playlist), c="copy", f="hls", hls_time=setting("MEDIA_HLS_SEGMENT_S"),
                    hls_playlist_type="vod", hls_segment_filename=str(out / f"{rung.label}_%04d.ts"))
            .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
            .overwrite_output().compile(cmd=ffmpeg_exe()))


def poster_command(src: str, out: Path, probe: ProbeResult) -> list[str]:
    """Grab one frame a little into the video as the poster JPEG."""
    at = round(min(probe.duration_s * 0.1, 5.0), 2)
    height = min(probe.height or 720, 720)
    return (ffmpeg.input(local_input(src), ss=at, **input_options())
            .output(str(out / "poster.jpg"), vframes=1, vf=f"scale=-2:{height}", **{"q:v": 3})
            .global_args("-nostdin", "-hide_banner", "-loglevel", "error")
            .overwrite_output().compile(cmd=ffmpeg_exe()))


def commands(src: str, out: Path, probe: ProbeResult, preset: str | None = None) -> list[list[str]]:
    """Every ffmpeg command of a transcode, in order (what the benchmark runs directly)."""
    rungs = plan(probe)
    cmds = [encode_command(src, out, probe, rungs, preset)] + [hls_command(out, r) for r in rungs]
    if probe.kind == "video":
        cmds.append(poster_command(src, out, probe))
    return cmds


def run_ffmpeg(cmd: list[str], duration_s: float | None = None,
               on_progress: Callable[[float], None] | None = None) -> None:
    """Run one ffmpeg command under the transcode's limits (media.services.tools), reporting progress
    0..1 from `-progress pipe:1`; killed when it passes MEDIA_FFMPEG_TIMEOUT_S."""
    if on_progress is not None:
        cmd = [cmd[0], "-progress", "pipe:1", "-nostats", *cmd[1:]]
    limits = ffmpeg_limits()
    timed_out = threading.Event()
    with tempfile.TemporaryFile() as err:
        try:
            with started(cmd, limits, stdout=subprocess.PIPE if on_progress else subprocess.DEVNULL, stderr=err,
                         text=True) as proc:
                def kill() -> None:
                    timed_out.set()
                    proc.kill()
                timer = threading.Timer(limits.timeout_s, kill)
                timer.daemon = True
                timer.start()
                try:
                    if on_progress is not None:
                        for line in proc.stdout:
                            key, _, value = line.strip().partition("=")
                            if key in ("out_time_us", "out_time_ms") and value.lstrip("-").isdigit() and duration_s:
                                on_progress(min(max(int(value) / 1e6 / duration_s, 0.0), 1.0))
                    returncode = proc.wait()
                finally:
                    timer.cancel()
        except OSError as exc:
            raise TransientMediaError(f"cannot start ffmpeg: {exc}") from exc
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")[-4000:]
    if timed_out.is_set():
        log.warning("ffmpeg passed its %s s limit and was killed: %s", limits.timeout_s, " ".join(cmd))
        raise MediaRejected("tool_limit")
    if returncode in (-signal.SIGXCPU, -signal.SIGXFSZ):
        log.warning("ffmpeg passed a resource limit (signal %s): %s", -returncode, " ".join(cmd))
        raise MediaRejected("tool_limit")
    if returncode < 0:
        raise TransientMediaError(f"ffmpeg was killed by signal {-returncode}")
    if returncode > 0:
        if "No space left on device" in stderr or "Cannot allocate memory" in stderr:
            raise TransientMediaError(stderr.strip().splitlines()[-1])
        log.warning("ffmpeg failed (%s): %s\n%s", returncode, " ".join(cmd), stderr)
        raise MediaRejected("transcode_failed")


def _rendition_info(out: Path, rung: Rung, declared_s: float) -> dict:
    info = run_ffprobe(str(out / rung.file))
    duration = float(info["format"]["duration"])
    if duration < declared_s * 0.9 and declared_s - duration > 1.0:  # the source ended early
        raise MediaRejected("truncated", decoded=clock(duration), declared=clock(declared_s))
    size = (out / rung.file).stat().st_size
    entry = {"label": rung.label, "file": rung.file, "playlist": rung.playlist, "height": None, "width": None,
             "duration_s": round(duration, 3), "size_bytes": size, "bitrate_kbps": int(size * 8 / duration / 1000)}
    video = next((s for s in info["streams"] if s.get("codec_type") == "video"), None)
    codecs = []
    if video:
        entry["width"], entry["height"] = int(video["width"]), int(video["height"])
        profile = PROFILE_CODES.get(video.get("profile"), "4d40")
        codecs.append(f"avc1.{profile}{int(video.get('level') or 31):02x}")
    if any(s.get("codec_type") == "audio" for s in info["streams"]):
        codecs.append("mp4a.40.2")
    entry["codecs"] = ",".join(codecs)
    return entry


def write_master(out: Path, renditions: list[dict]) -> str:
    """Write the HLS master playlist listing every variant, best first."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for r in renditions:
        attrs = [f"BANDWIDTH={int(r['bitrate_kbps'] * 1000 * 1.25)}", f"AVERAGE-BANDWIDTH={r['bitrate_kbps'] * 1000}",
                 f'CODECS="{r["codecs"]}"']
        if r["height"]:
            attrs.insert(2, f"RESOLUTION={r['width']}x{r['height']}")
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attrs), r["playlist"]]
    (out / "master.m3u8").write_text("\n".join(lines) + "\n")
    return "master.m3u8"


def transcode(src: str, out: Path, probe: ProbeResult, on_progress: Callable[[float], None] | None = None,
              preset: str | None = None) -> dict:
    """Make every output of a source in `out`; returns renditions, playlist, poster and exact duration."""
    report = on_progress or (lambda fraction: None)
    rungs = plan(probe)
    run_ffmpeg(encode_command(src, out, probe, rungs, preset), probe.duration_s,
               lambda fraction: report(fraction * ENCODE_SHARE))
    renditions = []
    for rung in rungs:
        renditions.append(_rendition_info(out, rung, probe.duration_s))
        run_ffmpeg(hls_command(out, rung))
    report(0.95)
    master = write_master(out, renditions)
    poster = None
    if probe.kind == "video":
        run_ffmpeg(poster_command(src, out, probe))
        poster = "poster.jpg" if (out / "poster.jpg").exists() else None
    report(1.0)
    return {"renditions": renditions, "hls": master, "poster": poster, "duration_s": renditions[0]["duration_s"]}
