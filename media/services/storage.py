"""The media store: one directory per asset under MEDIA_ROOT, safe path resolution."""
from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from flask import current_app

from learning.config import setting

UPLOAD_PART = "upload.part"
TMP_PREFIX = ".tmp-"
OUTPUT_PREFIX = "r"


def media_root() -> Path:
    """The root directory of the media store."""
    root = current_app.config.get("MEDIA_ROOT") or os.environ.get("MEDIA_ROOT") or "media-store"
    return Path(root).resolve()


def new_storage_key(org_id: int) -> str:
    """An unguessable directory name for a new asset."""
    return f"{org_id}/{secrets.token_hex(12)}"


def asset_dir(storage_key: str) -> Path:
    """The asset's directory (created on demand)."""
    path = media_root() / storage_key
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve(relative: str) -> Path | None:
    """An existing file under MEDIA_ROOT for a relative path, or None (also for escapes)."""
    root = media_root()
    try:
        target = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if root not in target.parents or not target.is_file():
        return None
    if any(part.startswith(".") for part in target.relative_to(root).parts):  # temp dirs are not served
        return None
    return target


def new_work_dir(storage_key: str) -> tuple[Path, str]:
    """A fresh temporary directory for one transcode run and the token naming its final place."""
    token = secrets.token_hex(4)
    work = asset_dir(storage_key) / f"{TMP_PREFIX}{token}"
    work.mkdir()
    return work, token


def clean_work_dirs(storage_key: str) -> int:
    """Remove what interrupted runs left behind; returns how many directories went."""
    base = asset_dir(storage_key)
    gone = 0
    for child in base.iterdir():
        if child.is_dir() and child.name.startswith(TMP_PREFIX):
            shutil.rmtree(child, ignore_errors=True)
            gone += 1
    return gone


def publish_work_dir(work: Path, token: str) -> str:
    """Rename a finished work directory to its final name; returns that name (relative to the asset)."""
    name = f"{OUTPUT_PREFIX}{token}"
    os.replace(work, work.parent / name)
    return name


def remove_other_outputs(storage_key: str, keep: str | None) -> None:
    """Delete earlier outputs once the asset points at `keep`."""
    base = asset_dir(storage_key)
    for child in base.iterdir():
        if child.is_dir() and child.name.startswith(OUTPUT_PREFIX) and child.name != keep:
            shutil.rmtree(child, ignore_errors=True)


def remove_asset_files(storage_key: str) -> None:
    """Delete an asset's directory and everything in it."""
    shutil.rmtree(media_root() / storage_key, ignore_errors=True)


def chunk_bytes() -> int:
    """The chunk size the upload page sends."""
    return setting("MEDIA_CHUNK_MB") * 1024 * 1024
