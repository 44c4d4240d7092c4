"""media package of Pioneer Learning (see DESIGN.md §4)."""

#: the package's settings and their typed defaults (learning.config.declare_settings)
SETTINGS = {
    "MAX_UPLOAD_MB": 1024,  # the upload size limit
    "MEDIA_MAX_DURATION_S": 4 * 3600,  # longer media are refused
    "MEDIA_X264_PRESET": "veryfast",  # tests use "ultrafast"
    "MEDIA_URL_TTL_S": 6 * 3600,  # signed delivery URLs live at least this long
    "MEDIA_HLS_SEGMENT_S": 6,
    "MEDIA_CHUNK_MB": 8,  # chunk size the upload page sends
    "MEDIA_FFMPEG": "",  # path of ffmpeg; empty: found on PATH, else imageio-ffmpeg's
    "MEDIA_FFPROBE": "",
    "MEDIA_FFMPEG_THREADS": 0,  # 0: let ffmpeg choose
    # limits of the external tools (media.services.tools); 0 disables a resource limit
    "MEDIA_PROBE_TIMEOUT_S": 20,  # ffprobe runs inside the upload request: never longer than this
    "MEDIA_PROBE_MEMORY_MB": 1024,
    "MEDIA_FFMPEG_TIMEOUT_S": 6 * 3600,  # one ffmpeg command in the worker
    "MEDIA_FFMPEG_MEMORY_MB": 4096,
    "MEDIA_FFMPEG_FILE_MB": 8192,  # the largest file one command may write
}
#: under TESTING (any package's tests) encode as fast as possible unless configured
TEST_SETTINGS = {"MEDIA_X264_PRESET": "ultrafast"}


def register(app) -> None:
    """media's wiring: its capability, its navigation link and the `media` queue for transcodes."""
    from flask_babel import gettext as _

    from learning.celery_app import register_queue
    from learning.config import declare_settings
    from learning.services.scope import define_capability
    from learning.ui import register_nav

    from .views import _can_manage

    declare_settings(app, SETTINGS, testing=TEST_SETTINGS)
    define_capability("media.manage", {"organiser", "admin"})
    register_nav("media.index", lambda: _("Media"), visible=_can_manage, order=60)
    register_queue(app, "media.tasks.*", "media")  # transcodes never wait behind other work
