"""Celery bound to the Flask app (Flask docs, "Background Tasks with Celery")."""
from celery import Celery, Task
from flask import Flask, has_app_context


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app whose tasks run inside the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            if has_app_context():  # eager tasks in a request share its session
                return self.run(*args, **kwargs)
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def register_beat(app: Flask, name: str, task: str, schedule) -> None:
    """Run `task` (a registered task name) on `schedule` (seconds or a crontab) under beat; idempotent."""
    conf = app.extensions["celery"].conf
    conf.beat_schedule = {**(conf.beat_schedule or {}), name: {"task": task, "schedule": schedule}}


def register_queue(app: Flask, task_pattern: str, queue: str) -> None:
    """Route tasks whose names match `task_pattern` (e.g. "media.tasks.*") to their own queue; idempotent."""
    conf = app.extensions["celery"].conf
    conf.task_routes = {**(conf.task_routes or {}), task_pattern: {"queue": queue}}
