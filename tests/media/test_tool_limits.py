"""ffprobe and ffmpeg on hostile files: local files only, killed at their time limit, under resource limits."""
from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from media.services import transcode
from media.services.probe import probe_file
from media.services.reasons import MediaRejected
from media.services.tools import PROTOCOLS
from tests.helpers import tcp_listener


@pytest.fixture
def settings(app):
    """Set media settings for one test; restored after."""
    saved = {}

    def _set(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield _set
    app.config.update(saved)


def _fake_tool(path: Path, body: str) -> str:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_playlist_upload_pointing_at_a_url_is_refused_without_fetching_it(tmp_path):
    port, seen, close = tcp_listener()
    playlist = tmp_path / "source.mp4"  # an HLS playlist under a video's name
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:{port}/seg.ts\n"
                        "#EXT-X-ENDLIST\n")
    try:
        with pytest.raises(MediaRejected) as caught:
            probe_file(str(playlist))
    finally:
        close()
    assert caught.value.code == "not_media"
    assert seen == []


def test_playlist_upload_naming_another_members_file_is_refused_without_opening_it(tmp_path):
    # the segment is a FIFO: whoever opens it for reading releases the writer below at once
    other = tmp_path / "other-member-source.ts"
    os.mkfifo(other)
    opened = threading.Event()

    def writer():
        fd = os.open(other, os.O_WRONLY)  # blocks until a reader opens the FIFO
        opened.set()
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    playlist = tmp_path / "source.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{other}\n#EXT-X-ENDLIST\n")
    with pytest.raises(MediaRejected) as caught:
        probe_file(str(playlist))
    was_opened = opened.is_set()
    release = os.open(other, os.O_RDONLY | os.O_NONBLOCK)  # let the writer finish
    thread.join()
    os.close(release)
    assert caught.value.code == "not_media"
    assert not was_opened, "ffprobe opened the file the playlist named"


def test_every_ffmpeg_input_is_a_local_file_read_through_local_protocols_only(tmp_path, clip_360p):
    probe = probe_file(str(clip_360p))
    commands = transcode.commands(str(clip_360p), tmp_path, probe)
    for cmd in commands:
        inputs = [i for i, arg in enumerate(cmd) if arg == "-i"]
        assert inputs
        for i in inputs:
            options = dict(zip(cmd[:i:1], cmd[1:i + 1:1]))
            assert options.get("-protocol_whitelist") == PROTOCOLS
            assert "hls" not in options["-format_whitelist"].split(",")
            assert cmd[i + 1].startswith("file:")


def test_hanging_ffprobe_is_killed_at_its_time_limit_inside_the_request(tmp_path, settings, clip_360p):
    settings(MEDIA_FFPROBE=_fake_tool(tmp_path / "ffprobe", "exec sleep 600"), MEDIA_PROBE_TIMEOUT_S=1)
    with pytest.raises(MediaRejected) as caught:
        probe_file(str(clip_360p))
    assert caught.value.code == "tool_limit"


def test_endless_ffmpeg_is_killed_at_its_time_limit(tmp_path, settings):
    settings(MEDIA_FFMPEG_TIMEOUT_S=1)
    sleeper = _fake_tool(tmp_path / "ffmpeg", "exec sleep 600")
    with pytest.raises(MediaRejected) as caught:
        transcode.run_ffmpeg([sleeper, "-i", "file:x.mp4", "out.mp4"], 10.0, lambda fraction: None)
    assert caught.value.code == "tool_limit"


def _limits(text: str) -> dict[str, str]:
    """/proc/<pid>/limits as {name: soft limit}."""
    out = {}
    for line in text.splitlines()[1:]:
        name = line[:26].strip()
        out[name] = line[26:].split()[0]
    return out


def test_ffprobe_runs_under_cpu_memory_and_file_size_limits(tmp_path, settings, clip_360p):
    seen = tmp_path / "limits.txt"
    settings(MEDIA_FFPROBE=_fake_tool(tmp_path / "ffprobe", f"cat /proc/self/limits > {seen}; exit 1"),
             MEDIA_PROBE_TIMEOUT_S=20, MEDIA_PROBE_MEMORY_MB=512)
    with pytest.raises(MediaRejected):
        probe_file(str(clip_360p))
    limits = _limits(seen.read_text())
    assert limits["Max cpu time"] == "21"
    assert limits["Max address space"] == str(512 * 1024 * 1024)
    assert limits["Max file size"] == str(1024 * 1024)
    assert limits["Max core file size"] == "0"


def test_ffmpeg_runs_under_cpu_memory_and_file_size_limits(tmp_path, settings):
    seen = tmp_path / "limits.txt"
    settings(MEDIA_FFMPEG_TIMEOUT_S=100, MEDIA_FFMPEG_MEMORY_MB=2048, MEDIA_FFMPEG_FILE_MB=300)
    tool = _fake_tool(tmp_path / "ffmpeg", f"cat /proc/self/limits > {seen}")
    transcode.run_ffmpeg([tool, "-i", "file:x.mp4", "out.mp4"])
    limits = _limits(seen.read_text())
    assert limits["Max cpu time"] == "800"
    assert limits["Max address space"] == str(2048 * 1024 * 1024)
    assert limits["Max file size"] == str(300 * 1024 * 1024)


def test_ffmpeg_writing_past_its_file_size_limit_is_stopped(tmp_path, settings):
    settings(MEDIA_FFMPEG_FILE_MB=1)
    tool = _fake_tool(tmp_path / "ffmpeg", f"exec head -c 5000000 /dev/zero > {tmp_path / 'huge.bin'}")
    with pytest.raises(MediaRejected) as caught:
        transcode.run_ffmpeg([tool, "-i", "file:x.mp4", "out.mp4"])
    assert caught.value.code == "tool_limit"
    assert (tmp_path / "huge.bin").stat().st_size <= 1024 * 1024
