"""The content a fresh install starts with: every pack shipped under content/packs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from yachay.content.loader import load_packs
from yachay.db import models as m
from yachay.db.content_import import import_pack
from yachay.db.database import Database


def has_content(db: Database) -> bool:
    with db.session() as session:
        return bool(session.scalar(select(func.count()).select_from(m.ContentPack)))


def load_starter_content(db: Database, packs_dir: Path) -> list[str]:
    """Import the shipped packs when the database has no content; the summaries, or []."""
    if has_content(db):
        return []
    packs = load_packs(packs_dir)
    with db.session() as session:
        return [import_pack(session, pack).summary() for pack in packs]
