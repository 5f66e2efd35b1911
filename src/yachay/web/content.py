"""A content creator's pages: upload a pack (a .zip of its folder), see every problem by file
and line, preview its lessons as text, and publish it (the same import as
`yachay content import`). An upload is validated in full before anything is kept: a pack
with any problem is deleted again and nothing reaches the database."""

from __future__ import annotations

import re
import secrets
import shutil
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from yachay.content.audio import AudioStore
from yachay.content.loader import PACK_FILE, LoadedPack, PackError, Problem, load_pack
from yachay.db import models as m
from yachay.db.content_import import conflicts, import_packs
from yachay.web.auth import database, reading, roles

bp = Blueprint("console_content", __name__, url_prefix="/content")
CREATING = ("creator", "admin")
_TOKEN = re.compile(r"^[0-9a-f]{16}$")
#: Unpacked size a pack may reach (audio included).
MAX_UNPACKED = 200 * 1024 * 1024


def _staging() -> Path:
    return current_app.config["YACHAY"].var_dir / "console" / "staged"


def _staged_folder(token: str) -> Path:
    if not _TOKEN.match(token):
        abort(404)
    root = _staging() / token
    if not root.is_dir():
        abort(404)
    found = [path.parent for path in root.glob(f"*/{PACK_FILE}")] + (
        [root] if (root / PACK_FILE).is_file() else []
    )
    if len(found) != 1:
        abort(404)
    return found[0]


def _staged_pack(token: str) -> LoadedPack:
    try:
        return load_pack(_staged_folder(token))
    except PackError:
        abort(404)


class UploadError(ValueError):
    pass


def _unpack(upload: Any, into: Path) -> Path:
    """Extract the zip safely (no paths outside `into`, no links, bounded size) and return
    the folder that holds pack.yaml."""
    try:
        archive = zipfile.ZipFile(upload.stream)
    except zipfile.BadZipFile:
        raise UploadError(_("El archivo no es un .zip: comprime la carpeta del paquete.")) from None
    with archive:
        total = 0
        for info in archive.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
                raise UploadError(
                    _("El .zip tiene una ruta no permitida: %(name)s", name=str(name))
                )
            total += info.file_size
            if total > MAX_UNPACKED:
                raise UploadError(_("El paquete descomprimido pasa de 200 MB."))
        archive.extractall(into)
    found = [path.parent for path in into.glob(f"*/{PACK_FILE}")]
    if (into / PACK_FILE).is_file():
        found.append(into)
    if len(found) != 1:
        raise UploadError(
            _("El .zip debe tener un solo %(file)s (en la raíz o en una carpeta).", file=PACK_FILE)
        )
    return found[0]


@bp.get("")
@roles(*CREATING)
def packs() -> Any:
    with reading() as session:
        published = list(session.scalars(select(m.ContentPack).order_by(m.ContentPack.id)))
    staged = []
    if _staging().is_dir():
        for root in sorted(_staging().iterdir()):
            try:
                staged.append((root.name, load_pack(_staged_folder(root.name))))
            except (PackError, Exception):  # noqa: BLE001 - a broken leftover is not listed
                continue
    return render_template("console/content.html", published=published, staged=staged)


@bp.post("/upload")
@roles(*CREATING)
def upload() -> Any:
    token = secrets.token_hex(8)
    root = _staging() / token
    root.mkdir(parents=True)
    problems: list[Problem] = []
    try:
        folder = _unpack(request.files.get("paquete") or _missing(), root)
        loaded = load_pack(folder)
    except UploadError as exc:
        shutil.rmtree(root, ignore_errors=True)
        flash(str(exc), "error")
        return redirect(url_for(".packs"))
    except PackError as exc:
        shutil.rmtree(root, ignore_errors=True)
        problems = exc.problems
        return render_template("console/content_problems.html", problems=problems), 422
    flash(
        _(
            "Paquete %(pack)s revisado sin problemas: %(n)d lecciones. Revísalas y publícalo.",
            pack=loaded.id,
            n=len(loaded.lessons),
        ),
        "ok",
    )
    return redirect(url_for(".staged", token=token))


def _missing() -> Any:
    raise UploadError(_("Elige el archivo .zip del paquete."))


@bp.get("/staged/<token>")
@roles(*CREATING)
def staged(token: str) -> Any:
    return render_template("console/staged.html", token=token, loaded=_staged_pack(token))


@bp.get("/staged/<token>/lessons/<lesson_id>")
@roles(*CREATING)
def preview(token: str, lesson_id: str) -> Any:
    """A lesson as text in one of its languages, and as audio where a caller would hear a
    file: the pack's own recording, else speech rendered here (Quechua, Aymara). Spanish
    without a recording is read by the phone provider's voice during the call."""
    loaded = _staged_pack(token)
    entry = next((e for e in loaded.lessons if e.lesson.id == lesson_id), None)
    if entry is None:
        abort(404)
    languages = list(dict.fromkeys([*loaded.pack.languages, *entry.lesson.translations]))
    language = request.args.get("idioma", languages[0])
    if language not in languages:
        language = languages[0]
    store: AudioStore = current_app.extensions["yachay.audio"]
    # Languages the provider's voice reads live (<Say>): no file to preview.
    spoken_live = set(current_app.extensions["yachay.twiml"].say_voices)
    audio: list[str | None] = []
    for segment in entry.lesson.segments:
        if language in segment.audio:
            audio.append(url_for(".staged_file", token=token, path=segment.audio[language]))
        elif language not in spoken_live and language in store.languages():
            key = store.remember(language, segment.text[language])
            audio.append(url_for("audio.rendered", language=language, key=key))
        else:
            audio.append(None)
    return render_template(
        "console/preview.html",
        token=token,
        loaded=loaded,
        entry=entry,
        language=language,
        languages=languages,
        translation=entry.lesson.translations.get(language),
        audio=audio,
    )


@bp.get("/staged/<token>/files/<path:path>")
@roles(*CREATING)
def staged_file(token: str, path: str) -> Any:
    """A recording inside a pack under review (send_from_directory refuses paths outside)."""
    return send_from_directory(_staged_folder(token), path, mimetype="audio/wav")


@bp.post("/staged/<token>/publish")
@roles(*CREATING)
def publish(token: str) -> Any:
    """Install the pack's files where the server plays recorded audio from (the content
    folder's packs/<pack id>), then import it; either both happen or neither does."""
    staged_pack = _staged_pack(token)
    packs_dir: Path = current_app.config["YACHAY"].content_dir / "packs"
    target = packs_dir / staged_pack.id
    previous = _staging().parent / "replaced" / token
    try:
        packs_dir.mkdir(parents=True, exist_ok=True)
        if target.exists():
            previous.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(target, previous)
        shutil.copytree(staged_pack.folder, target)
    except OSError as exc:
        _restore(target, previous)
        flash(
            _(
                "No se pudo copiar el paquete a %(folder)s (%(error)s). Publícalo con "
                "«yachay content import».",
                folder=str(packs_dir),
                error=exc.strerror or exc,
            ),
            "error",
        )
        return redirect(url_for(".staged", token=token))
    try:
        loaded = load_pack(target)
        with database().session() as session:
            refused = conflicts(session, [loaded])
            if not refused:
                report = import_packs(session, [loaded])[0]
    except Exception:
        _restore(target, previous)
        raise
    if refused:
        _restore(target, previous)
        for line in refused:
            flash(line, "error")
        return redirect(url_for(".staged", token=token))
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(_staging() / token, ignore_errors=True)
    flash(_("Publicado: %(summary)s", summary=report.summary()), "ok")
    return redirect(url_for(".packs"))


def _restore(target: Path, previous: Path) -> None:
    """Put back the pack folder a failed publication replaced."""
    shutil.rmtree(target, ignore_errors=True)
    if previous.exists():
        shutil.move(previous, target)


@bp.post("/staged/<token>/discard")
@roles(*CREATING)
def discard(token: str) -> Any:
    _staged_folder(token)
    shutil.rmtree(_staging() / token, ignore_errors=True)
    flash(_("Paquete descartado"), "ok")
    return redirect(url_for(".packs"))
