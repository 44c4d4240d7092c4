"""ffprobe checks on real files: accept real audio/video, refuse everything else with a reason."""
import pytest

from media.services.probe import probe_file
from media.services.reasons import MediaRejected


def test_probe_reads_kind_size_and_duration_of_a_video(clip_720p):
    result = probe_file(str(clip_720p))
    assert (result.kind, result.width, result.height, result.has_audio) == ("video", 1280, 720, True)
    assert result.duration_s == pytest.approx(20.0, abs=0.2)


def test_probe_recognises_an_audio_only_file(audio_only):
    result = probe_file(str(audio_only))
    assert result.kind == "audio" and result.height is None
    assert result.duration_s == pytest.approx(8.0, abs=0.2)


@pytest.mark.parametrize("name, code", [
    ("text", "not_media"), ("truncated", "not_media"), ("empty", "empty"), ("subtitles", "no_streams"),
])
def test_probe_refuses_what_is_not_playable_media(bad_files, name, code):
    with pytest.raises(MediaRejected) as caught:
        probe_file(str(bad_files[name]))
    assert caught.value.code == code


def test_probe_refuses_media_longer_than_the_limit(clip_720p):
    with pytest.raises(MediaRejected) as caught:
        probe_file(str(clip_720p), max_duration_s=10)
    assert caught.value.code == "too_long"
    assert str(caught.value) == "The media lasts 0:20; at most 0:10 is allowed."


def test_probe_refuses_a_missing_file(tmp_path):
    with pytest.raises(MediaRejected) as caught:
        probe_file(str(tmp_path / "nothing.mp4"))
    assert caught.value.code == "empty"
