"""Transcode benchmark: the real pipeline beside the same ffmpeg commands run directly.

    python -m bench.transcode [--seconds 60] [--height 1080] [--repeat 2] [--preset veryfast]

A 60-s 1080p test clip (generated, not timed) goes through `media.tasks.transcode_asset` called
directly (probe data, progress parsing, database progress writes, event-bus publishes, output
probing, master playlist, rename into place), and, in the same run, through the very ffmpeg
commands the pipeline builds (`media.services.transcode.commands`) run back to back with
subprocess. Runs alternate so machine noise hits both; the median of each is printed with the
ratio. Uses DATABASE_URL/REDIS_URL when set (a throwaway database is created and dropped).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path


def make_clip(path: Path, seconds: int, height: int) -> Path:
    """A test-pattern clip with a tone, like a phone recording (H.264/AAC, 30 fps)."""
    width = height * 16 // 9
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-c:a", "aac", "-b:a", "128k",
                    "-shortest", str(path)], check=True)
    return path


@contextmanager
def throwaway_database():
    """A fresh database URL: a temporary PostgreSQL database when DATABASE_URL is set, else SQLite."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"bench_transcode_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (ffmpeg, ffprobe)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_direct(commands: list[list[str]], out: Path) -> tuple[float, float]:
    """Wall and CPU time of the pipeline's ffmpeg commands run one after another."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    for cmd in commands:
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started, cpu_seconds() - cpu


def run_pipeline(app, clip: Path, org_id: int) -> tuple[float, float]:
    """Wall and CPU time of the transcode task called directly on a freshly uploaded asset."""
    from learning.extensions import db
    from learning.models import Org
    from media.services import create_upload
    from media.tasks import transcode_asset

    with app.app_context():
        with clip.open("rb") as stream:
            asset = create_upload(None, db.session.get(Org, org_id), clip.name, "基准测试", stream, clip.stat().st_size)
        db.session.commit()
        asset_id = asset.id
        started, cpu = time.perf_counter(), cpu_seconds()
        status = transcode_asset(asset_id)
        elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
        if status != "ready":
            raise RuntimeError(f"pipeline ended {status}")
        return elapsed, used


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark and print each figure beside its baseline."""
    parser = argparse.ArgumentParser(prog="python -m bench.transcode", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--preset", default=None, help="x264 preset (default: MEDIA_X264_PRESET or veryfast)")
    args = parser.parse_args(argv)
    if args.preset:
        os.environ["MEDIA_X264_PRESET"] = args.preset

    from learning.app import create_app
    from learning.extensions import db
    from learning.services.orgs import create_org
    from media.services.probe import probe_file
    from media.services.transcode import commands, plan
    from learning.config import setting

    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp, throwaway_database() as db_url:
        tmp = Path(tmp)
        clip = make_clip(tmp / f"clip-{args.height}p.mp4", args.seconds, args.height)
        app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "DATABASE_URL": db_url, "MEDIA_ROOT": str(tmp / "store"),
                          "TESTING": False})
        with app.app_context():
            db.create_all()
            org_id = create_org("基准测试党委", "committee", None).id
            db.session.commit()
            preset = setting("MEDIA_X264_PRESET")
            probe = probe_file(str(clip))
            direct_cmds = commands(str(clip), tmp / "direct", probe)
            ladder = " + ".join(r.label for r in plan(probe))
        direct, pipeline = [], []
        for _ in range(args.repeat):
            direct.append(run_direct(direct_cmds, tmp / "direct"))
            pipeline.append(run_pipeline(app, clip, org_id))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    d, p = statistics.median(w for w, _ in direct), statistics.median(w for w, _ in pipeline)
    dc, pc = statistics.median(c for _, c in direct), statistics.median(c for _, c in pipeline)
    load = os.getloadavg()[0]
    figures = {"direct_s": round(d, 2), "pipeline_s": round(p, 2), "ratio": round(p / d, 3),
               "direct_cpu_s": round(dc, 2), "pipeline_cpu_s": round(pc, 2), "cpu_ratio": round(pc / dc, 3),
               "load": round(load, 1),
               "realtime_factor": round(args.seconds / p, 2), "runs": args.repeat, "preset": preset,
               "cpus": os.cpu_count(), "database": db_url.split(":", 1)[0],
               "bus": "redis" if os.environ.get("REDIS_URL") else "in-process"}
    print(f"transcode: {args.seconds}-s {args.height}p clip -> {ladder} MP4, HLS ladder, poster "
          f"(x264 preset {preset}, {figures['cpus']} CPUs, {figures['database']}, {figures['bus']} bus)")
    runs = lambda xs: ", ".join(f"{w:.2f}" for w, _ in xs)  # noqa: E731
    print(f"  wall  baseline  ffmpeg commands run directly   {d:8.2f} s   (runs: {runs(direct)})")
    print(f"  wall  pipeline  media.tasks.transcode_asset    {p:8.2f} s   (runs: {runs(pipeline)})")
    print(f"  wall  ratio     pipeline / direct              {p / d:8.3f}")
    print(f"  CPU   baseline  ffmpeg commands run directly   {dc:8.2f} s")
    print(f"  CPU   pipeline  task incl. ffprobe, DB, bus    {pc:8.2f} s")
    print(f"  CPU   ratio     pipeline / direct              {pc / dc:8.3f}")
    print(f"  speed media seconds per wall second (pipeline) {args.seconds / p:8.2f}")
    print(f"  load average at the end: {load:.1f} on {os.cpu_count()} CPUs (wall times are noisy when high)")
    return figures


if __name__ == "__main__":
    main()
