"""Demo catalogue for `flask seed-demo`: a dozen courses with Chinese articles and generated clips
transcoded by the real media pipeline, required tasks for the demo branches, and three weeks of
study history written through the real study services and `record(...)`.

Idempotent: courses are found by title and publisher, clips by title, tasks by title and org; the
history is written only when none exists yet.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import click
from sqlalchemy import select

from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import LOCAL_TZ, utcnow
from media.models import MediaAsset

from ..models import Course, LearningTask
from ..services import assignments, catalog
from .feedback import seed_feedback
from .history import seed_history
from .texts import ARTICLES, CLIPS, COURSES

CLIP_SECONDS = 6


def _member(username: str) -> Member | None:
    return db.session.scalar(select(Member).where(Member.username == username))


def _make_clip(workdir: Path, title: str) -> Path:
    """A short test pattern with a tone (or a tone alone for audio), made with ffmpeg."""
    from media.services.binaries import ffmpeg_exe

    pattern, tone = CLIPS[title]
    out = workdir / (f"clip{abs(hash(title)) % 10_000}.mp4" if pattern else f"clip{abs(hash(title)) % 10_000}.m4a")
    args = [ffmpeg_exe(), "-v", "error", "-y"]
    if pattern:
        args += ["-f", "lavfi", "-i", f"{pattern}=size=640x360:rate=25"]
    args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate=44100", "-t", str(CLIP_SECONDS)]
    if pattern:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    args += ["-c:a", "aac", "-shortest", str(out)]
    subprocess.run(args, check=True)
    return out


def _ensure_media(org: Org, by: Member | None) -> dict[str, MediaAsset]:
    """Every demo clip as a ready asset, generated and transcoded by the media pipeline when missing."""
    try:
        from media.services import ingest_file
    except ImportError:  # the media pipeline is not installed: a catalogue of articles only
        click.echo("  media pipeline not available: courses without clips")
        return {}
    assets = {}
    workdir = None
    try:
        for title in CLIPS:
            asset = db.session.scalar(select(MediaAsset).where(MediaAsset.title == title, MediaAsset.org_id == org.id,
                                                               MediaAsset.status == "ready"))
            if asset is None:
                workdir = workdir or Path(tempfile.mkdtemp(prefix="pioneer-seed-"))
                asset = ingest_file(_make_clip(workdir, title), org, title, by=by)
                if asset.status != "ready":
                    click.echo(f"  clip {title} failed: {asset.failure_reason}")
                    continue
            assets[title] = asset
    finally:
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return assets


def _ensure_course(actor: Member, org: Org, spec, assets: dict[str, MediaAsset]) -> Course:
    title, summary, tags, lessons, _publisher = spec
    course = db.session.scalar(select(Course).where(Course.title == title, Course.org_id == org.id))
    if course is not None:
        return course
    course = catalog.create_course(actor, org, title, summary, tags)
    for item in lessons:
        if isinstance(item, tuple):
            kind, clip = item
            if clip in assets:
                catalog.add_lesson(actor, course, clip.split("·")[0], kind, media_asset_id=assets[clip].id)
        else:
            catalog.add_lesson(actor, course, item, "article", body_html=ARTICLES[item].strip())
    catalog.publish(course)
    return course


def _ensure_task(actor: Member, org: Org, title: str, courses: list[Course], days: int, note: str,
                 quiz_items: list[dict] | None = None) -> None:
    if db.session.scalar(select(LearningTask.id).where(LearningTask.title == title, LearningTask.org_id == org.id)):
        return
    due = (utcnow() + timedelta(days=days)).astimezone(LOCAL_TZ).replace(hour=18, minute=0, second=0, microsecond=0)
    assignments.create_task(actor, org, title, [c.id for c in courses], due, note, quiz_items=quiz_items)


EXAM_TASK = ("党章党规结课考试（80分以上）", "党章党规学习", 80)  # title, the course whose exam, minimum score


def seed_links(password: str) -> None:
    """After every package's demo: the demo branch's task whose completion is passing the 党章党规 course
    exam with at least 80 (the quizzes seed wrote the exam and its attempts: some members pass it with
    80 or more, some pass below 80, some fail, some never took it). Idempotent by title."""
    from learning.seed import demo_tree
    from learning.services import directory

    tree = demo_tree()
    organiser = _member("demo-organiser")
    if tree is None or organiser is None:
        return
    title, course_title, min_score = EXAM_TASK
    course = db.session.scalar(select(Course).where(Course.title == course_title, Course.status == "published")
                               .order_by(Course.id.desc()))
    exams = [e for e in directory.listing("quiz", [tree.demo_branch.id])
             if e.kind == "course_exam" and course is not None and e.course_id == course.id]
    if not exams:  # quizzes is not installed, or its seed made no exam for the course
        return
    _ensure_task(organiser, tree.demo_branch, title, [], 21,
                 f"学完《{course_title}》后参加结课考试，成绩达到{min_score}分才算完成本任务。",
                 quiz_items=[{"quiz_id": exams[0].id, "min_score": min_score}])


def seed_demo(password: str) -> None:
    """Add the demo catalogue, tasks and study history on top of the core demo tree."""
    from learning.seed import demo_tree

    tree = demo_tree()
    if tree is None:
        click.echo("  no demo tree: run the core seed first")
        return
    admin = _member("demo-admin")
    organiser = _member("demo-organiser")
    if admin is None or organiser is None:
        click.echo("  demo accounts missing: run the core seed first")
        return
    assets = _ensure_media(tree.committee, admin)
    courses = {}
    for spec in COURSES:
        org, actor = (tree.committee, admin) if spec[4] == "committee" else (tree.demo_branch, organiser)
        courses[spec[0]] = _ensure_course(actor, org, spec, assets)
    db.session.flush()
    _ensure_task(admin, tree.committee, "学习贯彻党的二十大精神专题学习", [courses["学习贯彻党的二十大精神"],
                 courses["党章党规学习"]], 10, "全县党员须在截止日前学完两门课程。")
    _ensure_task(organiser, tree.demo_branch, "师德师风专题学习", [courses["师德师风建设"]], 2,
                 "结合本学期师德师风建设月开展。")
    _ensure_task(admin, tree.committee, "党史学习教育", [courses["党史学习教育"]], 30, "")
    db.session.flush()
    seed_history(tree, list(courses.values()))
    seed_feedback(tree)
