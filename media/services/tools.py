"""Running ffprobe and ffmpeg on untrusted files: local files only, a time limit, resource limits.

Every run of either tool goes through `run_tool`:

- `-protocol_whitelist file,pipe` and `-format_whitelist` (audio/video containers only) on
  every input, so a crafted file (an HLS playlist, a concat list) can make the tool neither
  fetch a URL nor open another file on the disk (another member's upload);
- a wall-clock timeout (the child is killed when it passes): the probe that runs inside the
  upload request has a short one (`MEDIA_PROBE_TIMEOUT_S`), the transcodes in the worker a
  longer one (`MEDIA_FFMPEG_TIMEOUT_S`);
- resource limits set in the child before it starts (`resource.setrlimit` in `preexec_fn`):
  CPU seconds, address space, the largest file it may write, no core dumps; and it dies with
  the process that started it (PR_SET_PDEATHSIG), so a killed worker leaves no orphan.
"""
from __future__ import annotations

import contextlib
import ctypes
import resource
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from learning.config import setting

#: what an input may be read through: the stored file, or a pipe the pipeline opened itself
PROTOCOLS = "file,pipe"
#: the demuxers an input may be read with (ffprobe's format names we accept): never a playlist
#: (hls, concat, ffconcat) or an image sequence that would make the tool open other files
DEMUXERS = frozenset({
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "flv", "mpegts", "mpeg",
    "mp3", "wav", "ogg", "flac", "aac", "asf", "amr", "m4v",
})


class ToolTimeout(Exception):
    """The tool ran past its time limit and was killed."""

    def __init__(self, cmd: list[str], timeout_s: float):
        self.timeout_s = timeout_s
        super().__init__(f"{cmd[0]} ran longer than {timeout_s:g} s and was killed")


@dataclass(frozen=True)
class Limits:
    """What one run of a tool may use; 0 means no limit of that kind."""

    timeout_s: float
    cpu_s: int = 0
    memory_mb: int = 0
    file_mb: int = 0


def probe_limits() -> Limits:
    """ffprobe inside a request: a short time, little memory, writes nothing."""
    timeout = float(setting("MEDIA_PROBE_TIMEOUT_S"))
    return Limits(timeout_s=timeout, cpu_s=max(int(timeout) + 1, 2),
                  memory_mb=int(setting("MEDIA_PROBE_MEMORY_MB")), file_mb=1)


def ffmpeg_limits() -> Limits:
    """ffmpeg in the worker: the transcode's time, memory and output size."""
    timeout = float(setting("MEDIA_FFMPEG_TIMEOUT_S"))
    # encoding uses every core: CPU seconds may exceed wall seconds by the core count
    return Limits(timeout_s=timeout, cpu_s=int(timeout) * 8, memory_mb=int(setting("MEDIA_FFMPEG_MEMORY_MB")),
                  file_mb=int(setting("MEDIA_FFMPEG_FILE_MB")))


def _apply_limits(limits: Limits) -> Callable[[], None]:
    def apply() -> None:  # pragma: no cover - runs in the child between fork and exec
        # PR_SET_PDEATHSIG: without glibc (another libc) the child just lacks that safety net
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limits.cpu_s:
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
        if limits.memory_mb:
            size = limits.memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        if limits.file_mb:
            size = limits.file_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


def input_options() -> dict[str, str]:
    """The options every input of ffprobe or ffmpeg gets (as ffmpeg-python keywords)."""
    return {"protocol_whitelist": PROTOCOLS, "format_whitelist": ",".join(sorted(DEMUXERS))}


def local_input(path: str) -> str:
    """A path the tool can only read as a local file (`file:`), whatever its name looks like."""
    return path if path.startswith("file:") else f"file:{path}"


@contextmanager
def started(cmd: list[str], limits: Limits, **popen) -> Iterator[subprocess.Popen]:
    """Start a tool under `limits`; on leaving, it is waited for (killed first if still running)."""
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, preexec_fn=_apply_limits(limits), **popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def run_tool(cmd: list[str], limits: Limits, **popen) -> subprocess.CompletedProcess:
    """Run a tool to its end under `limits`, capturing what `popen` asks for; ToolTimeout past the time."""
    with started(cmd, limits, **popen) as proc:
        try:
            out, err = proc.communicate(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise ToolTimeout(cmd, limits.timeout_s) from None
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
