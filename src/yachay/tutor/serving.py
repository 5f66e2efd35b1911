"""The tutor model in the running server: P(right) for candidate questions, by our ids.

    tutor = current_app.extensions["yachay.tutor"]
    tutor.predict([("g1-suma-q1", True, 4200), ("g1-suma-q2", False, 9100)],
                  ["g1-suma-q3", "g1-resta-q1"])
    # -> {"g1-suma-q3": 0.71, "g1-resta-q1": 0.64}

A history is the student's answers, oldest first, as ``(question id, correct,
response_ms)`` — the time in milliseconds, None when unknown — or ``(question id,
correct)`` pairs (times unknown). A model trained on our answers reads the times
(:data:`yachay.tutor.data.FEATURE_NAMES`); one trained without them ignores them.

- **The production model.** :class:`TutorService` loads the version named by
  ``var/tutor/production.json`` (see :mod:`yachay.tutor.registry`) and checks that file at
  most once per ``poll_interval`` seconds (a ``stat``): a newly promoted or rolled-back
  version is picked up by the next prediction, without a restart. The thread that notices
  loads the new checkpoint while other threads go on with the old model; the swap is one
  reference assignment. A checkpoint that fails to load is logged and the old model kept.
- **Speed.** All candidates are scored in one pass over the history
  (:class:`yachay.tutor.scoring.CandidateScorer`), and a student's next question grows the
  state the scorer kept of the history before it, whichever worker process of the host
  scored that one (the states are shared through ``var/tutor/states.sqlite``,
  :mod:`yachay.tutor.shared_states`). No question waits for a history to be read: a call
  prepares its student's state once the greeting is sent (:meth:`TutorService.prepare_students`),
  and a promotion reads the active students' states with the new version before serving
  switches (:meth:`TutorService.read_ahead`, :mod:`yachay.tutor.read_ahead`).
  ``bench/tutor_scoring.py`` measures each path.
- **Cold start.** With no model yet (a fresh install), for a question the model never saw
  (added after it was trained), or if scoring fails, the probability comes from
  :func:`yachay.tutor.prior.prior_probability` — never an error.
- **Torch in the server.** Loading happens on first use or on :meth:`TutorService.start`,
  never at import or in ``create_app``: CLI commands do not pay for importing torch.
  :meth:`TutorService.start` sets torch to ``threads`` intra-op threads (1 by default: with
  single-student batches a second thread costs more than it gains, see the benchmark; each
  gunicorn worker is one process and one core's worth of scoring).
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
from flask import Flask

from yachay.config import Settings
from yachay.tutor.db_data import NO_SKILL, QuestionInfo, Vocabulary, read_questions
from yachay.tutor.mastery import Answered, Predictor, as_answers
from yachay.tutor.prior import DEFAULT_QUESTION, RecentAnswers
from yachay.tutor.registry import Pointer, pointer_path, read_pointer
from yachay.tutor.served_model import ServedModel, question_ids

if TYPE_CHECKING:
    from yachay.db.database import Database

__all__ = ["STATES_FILE", "TutorService", "init_app", "model_id"]

log = logging.getLogger(__name__)

#: Where the worker processes share students' model states (in the tutor folder).
STATES_FILE = "states.sqlite"

# --- the service --------------------------------------------------------------------------


class TutorService:
    """Predicts for one student at a time; shared by all threads of a worker."""

    def __init__(
        self,
        settings: Settings,
        db: Database | None = None,
        *,
        poll_interval: float = 1.0,
        threads: int | None = 1,
        questions_refresh: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        share_states: bool = True,
    ) -> None:
        self.tutor_dir = settings.tutor_dir
        self.share_states = share_states
        self.db = db
        self.poll_interval = poll_interval
        self.threads = threads
        self.questions_refresh = questions_refresh
        self._clock = clock
        self._model: ServedModel | None = None
        self._lock = threading.Lock()
        self._checked = False
        self._next_check = 0.0
        self._stamp: tuple[int, int, int] | None = None
        self._questions: dict[str, QuestionInfo] = {}
        self._questions_loaded_at: float | None = None
        self._questions_lock = threading.Lock()
        self._warm_up: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> None:
        """Load the production model (if any) and the question bank now."""
        self._set_threads()
        self._refresh(now=self._clock(), force=True)
        self._question_info()

    def _set_threads(self) -> None:
        if self.threads:
            import torch
            from threadpoolctl import threadpool_limits

            torch.set_num_threads(self.threads)
            # NumPy's BLAS too (scoring_numpy): its threads, one set per worker process,
            # spin against each other's on a small machine (a 5 ms read-out, not 0.2).
            threadpool_limits(self.threads, user_api="blas")

    def warm_up(self) -> None:
        """:meth:`start` in a background thread, once (the server's first request)."""
        if self._warm_up is None:
            with self._lock:
                if self._warm_up is not None:
                    return
                self._warm_up = threading.Thread(
                    target=self._start_quietly, name="tutor-warm-up", daemon=True
                )
            self._warm_up.start()

    def _start_quietly(self) -> None:
        try:
            self.start()
        except Exception:
            log.exception("could not load the tutor model; predictions use the prior")

    @property
    def version(self) -> int | None:
        """The production version being served (None: the cold-start prior)."""
        model = self._model
        return model.pointer.version if model is not None else None

    # -- predictions --

    def predict(self, history: Sequence[Answered], candidates: Sequence[str]) -> dict[str, float]:
        """P(right) for each candidate question if it were asked next.

        ``history`` is the student's answers, oldest first, as ``(question id, correct,
        response_ms)`` or ``(question id, correct)``; ``candidates`` are question ids.
        Returns ``{question id: probability}`` in the order of ``candidates``. Never raises
        for unknown questions or a missing model.
        """
        if not candidates:
            return {}
        self._refresh(now=self._clock())
        model = self._model
        info = self._question_info(history, candidates)
        if model is None:
            return self._prior(history, candidates, info, None)
        ids = question_ids(model.items, candidates)
        scores: dict[str, float] = {}
        if ids.any():
            try:
                scores = self._score(model, history, candidates, ids, info)
            except Exception:
                log.exception(
                    "scoring with tutor model v%s failed; using the prior", model.pointer.version
                )
        if len(scores) == len(candidates):
            return scores
        # questions new to the model, or a failure
        missing = [c for c in candidates if c not in scores]
        scores.update(self._prior(history, missing, info, model.vocabulary))
        return {c: scores[c] for c in candidates}

    def _score(
        self,
        model: ServedModel,
        history: Sequence[Answered],
        candidates: Sequence[str],
        ids: np.ndarray,
        info: dict[str, QuestionInfo],
    ) -> dict[str, float]:
        """The model's scores of the candidates it knows (``ids`` > 0), in order."""
        known = ids > 0
        if not known.all():
            candidates = [c for c, k in zip(candidates, known.tolist(), strict=True) if k]
            ids = ids[known]
        probabilities = model.score(history, ids, info)
        return dict(zip(candidates, probabilities.tolist(), strict=True))

    def _prior(
        self,
        history: Sequence[Answered],
        candidates: Sequence[str],
        info: dict[str, QuestionInfo],
        vocab: Vocabulary | None,
    ) -> dict[str, float]:
        def skill(question: str) -> str:
            if question in info:
                return info[question].skill
            if vocab is not None and question in vocab.question_skills:
                return vocab.question_skills[question]
            return NO_SKILL

        recent = RecentAnswers((skill(answer[0]), bool(answer[1])) for answer in history)
        return {c: recent.prior(info.get(c, DEFAULT_QUESTION)) for c in candidates}

    def predictor(self, info: Mapping[str, QuestionInfo]) -> Predictor:
        """What the policies score with during a turn; ``info`` is the question bank the
        turn read (:func:`yachay.tutor.bank.question_bank`), for the questions the model
        does not know. For now the service itself (it reads its own copy of the bank)."""
        return self

    # -- reading ahead --

    def prepare(self, history: Sequence[Answered]) -> bool:
        """Compute (and share) the production model's state after ``history`` now, with the
        next window when the history has reached it, so that scoring it, or it grown by a
        few answers, reads nothing. False when there is nothing to prepare (no model, or a
        model without a fast path)."""
        self._refresh(now=self._clock())
        model = self._model
        if model is None:
            return False
        info = self._question_info(history)
        return model.prepare(history, info)

    def prepare_students(self, student_ids: Iterable[int]) -> None:
        """:meth:`prepare` the history of each student, as the database holds it.

        The server calls this when a student's call begins, once the reply is sent (see
        ``yachay.app``): the call's first scoring then finds the state even where no worker
        computed it yet (a student back after the states expired, a promotion made without
        reading ahead, a new states file). Never raises: nobody waits for it.
        """
        if self.db is None:
            return
        from yachay.db.tutor_data import histories_of

        ids = list(student_ids)
        try:
            with self.db.read_session() as session:
                histories = histories_of(session, ids)
        except Exception:
            log.exception("could not read the histories of students %s for the tutor", ids)
            return
        for student_id, history in histories.items():
            try:
                if history:
                    self.prepare(as_answers(history))
            except Exception:
                log.exception("could not prepare the tutor for student %s", student_id)

    def read_ahead(
        self,
        pointer: Pointer,
        histories: Iterable[Sequence[Answered]],
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Leave each history's state for the version ``pointer`` names in the shared states
        file, before serving switches to it (:mod:`yachay.tutor.read_ahead`).

        After a switch every worker starts with no states, and without this each student's
        next question would read their whole window through the model — all students at
        once, just after a promotion. The workers find these states instead, as if they had
        scored the histories themselves (the same checkpoint, ids and file). ``progress`` is
        called with each history done. Returns how many states were prepared: 0 when the
        model has no fast path or states are not shared (nothing to prepare).
        """
        if not self.share_states:
            return 0
        self._set_threads()
        model = self._load(pointer)
        scorer = model.scorer
        try:
            if scorer.shared is None:
                return 0
            info = self._question_info()
            done = 0
            for history in histories:
                if history:
                    done += model.prepare(history, info)
                if progress is not None:
                    progress(1)
            if not scorer.shared.flush(timeout=max(5.0, done / 100)):
                log.warning("read-ahead states were still being written when it ended")
            return done
        finally:
            if scorer.shared is not None:
                scorer.shared.close()

    # -- the production pointer --

    def _refresh(self, now: float, force: bool = False) -> None:
        if self._checked and not force and now < self._next_check:
            return
        # The first load blocks (there is nothing to serve with yet); later, one thread
        # reloads while the others go on with the current model.
        if not self._lock.acquire(blocking=not self._checked or force):
            return
        try:
            if self._checked and not force and now < self._next_check:
                return
            self._next_check = now + self.poll_interval
            stamp = _stamp(pointer_path(self.tutor_dir))
            if self._checked and stamp == self._stamp:
                return
            self._stamp = stamp
            self._checked = True
            pointer = read_pointer(self.tutor_dir)
            if pointer is None:
                if self._model is not None:
                    log.warning(
                        "%s is gone; still serving v%s",
                        pointer_path(self.tutor_dir),
                        self._model.pointer.version,
                    )
                return
            current = self._model
            if current is not None and current.pointer.version == pointer.version:
                return
            try:
                self._model = self._load(pointer)
                if current is not None and current.scorer.shared is not None:
                    current.scorer.shared.close()
                # Everything loaded so far (torch, the app, this model: ~200,000 objects)
                # lives as long as the worker; a full collection that walks it all stalls a
                # request for ~200 ms now and then. Frozen, the collector skips it (it is
                # still freed when no longer referenced, as an old model is).
                gc.freeze()
            except Exception:
                log.exception(
                    "could not load tutor model v%s from %s; keeping %s",
                    pointer.version,
                    pointer.checkpoint,
                    f"v{current.pointer.version}" if current else "the prior",
                )
            else:
                log.info(
                    "serving tutor model v%s (%s)",
                    pointer.version,
                    self._model.scorer.model.__class__.__name__,
                )
        finally:
            self._lock.release()

    def _load(self, pointer: Pointer) -> ServedModel:
        from yachay.tutor.checkpoint import load_checkpoint
        from yachay.tutor.scoring import CandidateScorer

        checkpoint = load_checkpoint(self.tutor_dir / pointer.checkpoint)
        vocabulary = Vocabulary.from_metadata(checkpoint.metadata)
        config = checkpoint.train_config
        shared = None
        if self.share_states:
            from yachay.tutor.shared_states import SharedStates

            shared = SharedStates(self.tutor_dir / STATES_FILE, model_id(pointer))
        scorer = CandidateScorer(
            checkpoint.model, config.window, stride=config.stride, shared=shared
        )
        return ServedModel.build(pointer, scorer, vocabulary)

    # -- the question bank (for the prior) --

    def _question_info(
        self, history: Sequence[Answered] = (), candidates: Sequence[str] = ()
    ) -> dict[str, QuestionInfo]:
        """Skill, difficulty, choices by question id, from the database, cached.

        Reloaded when a question asked about is missing, at most every
        ``questions_refresh`` seconds (so content imported while the server runs is seen).
        """
        if self.db is None:
            return self._questions
        questions = self._questions
        loaded_at = self._questions_loaded_at
        now = self._clock()
        stale = loaded_at is None or (
            now - loaded_at >= self.questions_refresh
            and (
                any(q not in questions for q in candidates)
                or any(answer[0] not in questions for answer in history)
            )
        )
        if stale and self._questions_lock.acquire(blocking=loaded_at is None):
            try:
                # Read-only: this runs inside a call turn's write transaction.
                with self.db.read_session() as session:
                    self._questions = read_questions(session)
            except Exception:
                log.exception("could not read the question bank; the prior uses defaults")
            finally:
                self._questions_loaded_at = now
                self._questions_lock.release()
        return self._questions


def model_id(pointer: Pointer) -> str:
    """A version's name in the shared states file: its number and checkpoint file, so a
    re-registered version never reads the states of the checkpoint it replaced."""
    return f"v{pointer.version}:{pointer.checkpoint}"


def _stamp(path) -> tuple[int, int, int] | None:  # noqa: ANN001
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def init_app(app: Flask) -> TutorService:
    """Put a :class:`TutorService` in ``app.extensions["yachay.tutor"]``.

    The model loads in the background on the app's first request (so CLI commands, which
    also build the app, never import torch for it), or at the first prediction.
    """
    from yachay.db.database import Database

    db = app.extensions.get("yachay.db")
    service = TutorService(app.config["YACHAY"], db if isinstance(db, Database) else None)
    app.extensions["yachay.tutor"] = service

    @app.before_request
    def _warm_up_tutor() -> None:
        service.warm_up()

    return service
