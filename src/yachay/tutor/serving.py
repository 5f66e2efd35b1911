"""The tutor model in the running server: P(right) for candidate questions, by our ids.

    tutor = TutorService(settings)
    tutor.predict([("g1-suma-q1", True, 4200), ("g1-suma-q2", False, 9100)],
                  ["g1-suma-q3", "g1-resta-q1"], bank.info)
    # -> {"g1-suma-q3": 0.71, "g1-resta-q1": 0.64}

A history is the student's answers, oldest first, as ``(question id, correct,
response_ms)`` — the time in milliseconds, None when unknown — or ``(question id,
correct)`` pairs (times unknown). ``info`` is what the question bank says of each question
(:class:`~yachay.tutor.answer_log.QuestionInfo`): the skill of a question the model never
saw, and what the cold-start prior reads.

- **The production model.** :class:`TutorService` loads the version named by
  ``var/tutor/production.json`` (see :mod:`yachay.tutor.registry`) and checks that file at
  most once per ``poll_interval`` seconds (a ``stat``): a newly promoted or rolled-back
  version is picked up by the next prediction, without a restart. The thread that notices
  loads the new checkpoint while other threads go on with the old model; the swap is one
  reference assignment. A checkpoint that fails to load is logged and the old model kept.
- **Scoring** reads the history once and every candidate in one batch
  (:func:`yachay.tutor.scoring.score_candidates`); ``bench/tutor_scoring.py`` times it.
- **What decides.** A version fitted with a skill filter (:mod:`yachay.tutor.decider`)
  answers with the filter for the bank's questions when the predictor knows the bank's
  catalog and the student's grade (:meth:`TutorService.predictor`); the model answers the
  rest, and every call of a version without a filter.
- **Cold start.** With no model yet (a fresh install), for a question the model never saw
  (added after it was trained), or if scoring fails, the probability comes from
  :func:`yachay.tutor.prior.prior_probability` — never an error.
- **Torch in the server.** Loading happens on first use or on :meth:`TutorService.start`,
  never at import: commands that do not predict never import torch.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yachay.config import Settings
from yachay.tutor.answer_log import NO_SKILL, Vocabulary
from yachay.tutor.bank import QuestionInfo
from yachay.tutor.decider import version_filter
from yachay.tutor.domain import Answered, Catalog
from yachay.tutor.prior import DEFAULT_QUESTION, RecentAnswers
from yachay.tutor.registry import Pointer, pointer_path, read_pointer
from yachay.tutor.response_times import known_ms

if TYPE_CHECKING:
    from yachay.tutor.models import KTModel
    from yachay.tutor.skill_filter import SkillFilter

__all__ = ["ServedModel", "TutorService", "VersionedPredictor", "one_thread_per_worker"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedModel:
    """One production model, ready to score (immutable: swapped whole on a promotion)."""

    pointer: Pointer
    model: KTModel
    vocabulary: Vocabulary
    window: int
    stride: int
    #: The fitted skill filter that decides (None: a version from before filters).
    skill_filter: Mapping[str, float] | None = None

    @classmethod
    def load(cls, tutor_dir: Path, pointer: Pointer) -> ServedModel:
        from yachay.tutor.checkpoint import load_checkpoint

        checkpoint = load_checkpoint(tutor_dir / pointer.checkpoint)
        config = checkpoint.train_config
        return cls(
            pointer,
            checkpoint.model.eval(),
            Vocabulary.from_metadata(checkpoint.metadata),
            config.window,
            config.stride,
            version_filter(checkpoint.metadata),
        )

    def ids(self, questions: Sequence[str]) -> np.ndarray:
        """The model's ids of questions, 0 for those it was not trained on."""
        known = self.vocabulary.questions
        return np.fromiter(map(known.get, questions, repeat(0)), dtype=np.int64)

    def skill_ids(self, questions: Sequence[str], info: Mapping[str, QuestionInfo]) -> np.ndarray:
        """The model's skill id of each question: the one it was trained under, or for a
        question new to the model the skill the bank gives it."""
        vocab = self.vocabulary

        def skill(question: str) -> str:
            trained = vocab.question_skills.get(question)
            return trained if trained is not None else info.get(question, DEFAULT_QUESTION).skill

        return np.fromiter((vocab.skill_id(skill(q)) for q in questions), dtype=np.int64)

    def score(
        self,
        history: Sequence[Answered],
        candidates: Sequence[str],
        info: Mapping[str, QuestionInfo],
    ) -> np.ndarray:
        """P(right) of each candidate (all known to the model) after ``history``."""
        from yachay.tutor.data import StudentSequence
        from yachay.tutor.scoring import score_candidates

        asked = [answer[0] for answer in history]
        items = self.ids(asked)
        items[items == 0] = self.vocabulary.unknown_question  # answered, new to the model
        sequence = StudentSequence(
            items,
            self.skill_ids(asked, info),
            np.fromiter((bool(answer[1]) for answer in history), dtype=np.int64),
            known_ms([answer[2] if len(answer) > 2 else None for answer in history]),
        )
        return score_candidates(
            self.model,
            sequence,
            self.ids(candidates),
            self.skill_ids(candidates, info),
            window=self.window,
            stride=self.stride,
        )


class TutorService:
    """Predicts for one student at a time; shared by all threads of a worker."""

    def __init__(
        self,
        settings: Settings,
        *,
        poll_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tutor_dir = settings.tutor_dir
        self.poll_interval = poll_interval
        self._clock = clock
        self._model: ServedModel | None = None
        self._lock = threading.Lock()
        self._checked = False
        self._next_check = 0.0
        self._stamp: tuple[int, int, int] | None = None
        self._warm_up: threading.Thread | None = None

    # -- lifecycle --

    def start(self) -> None:
        """Load the production model (if any) now."""
        self._refresh(now=self._clock(), force=True)

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

    @property
    def model_name(self) -> str:
        """The served model's name (``prior`` before a model is loaded)."""
        model = self._model
        return (model.pointer.model_name or "model") if model is not None else "prior"

    # -- predictions --

    def predict(
        self,
        history: Sequence[Answered],
        candidates: Sequence[str],
        info: Mapping[str, QuestionInfo] | None = None,
    ) -> dict[str, float]:
        """P(right) for each candidate question if it were asked next.

        ``history`` is the student's answers, oldest first, as ``(question id, correct,
        response_ms)`` or ``(question id, correct)``; ``candidates`` are question ids;
        ``info`` the bank's facts about the questions (see the module doc). Returns
        ``{question id: probability}`` in the order of ``candidates``. Never raises for
        unknown questions or a missing model.
        """
        return self.predict_with_versions(history, candidates, info)[0]

    def predict_with_versions(
        self,
        history: Sequence[Answered],
        candidates: Sequence[str],
        info: Mapping[str, QuestionInfo] | None = None,
    ) -> tuple[dict[str, float], dict[str, int | None]]:
        """:meth:`predict`, and which model version gave each probability (None: the
        cold-start prior), so live quality is measured per version."""
        if not candidates:
            return {}, {}
        info = info or {}
        self._refresh(now=self._clock())
        model = self._model
        if model is None:
            return self._prior(history, candidates, info, None), dict.fromkeys(candidates)
        known = [c for c in candidates if c in model.vocabulary.questions]
        scores: dict[str, float] = {}
        if known:
            try:
                scores = dict(zip(known, model.score(history, known, info).tolist(), strict=True))
            except Exception:
                log.exception(
                    "scoring with tutor model v%s failed; using the prior", model.pointer.version
                )
        versions: dict[str, int | None] = dict.fromkeys(scores, model.pointer.version)
        if len(scores) == len(candidates):
            return scores, versions
        # questions new to the model, or a failure
        missing = [c for c in candidates if c not in scores]
        scores.update(self._prior(history, missing, info, model.vocabulary))
        return {c: scores[c] for c in candidates}, {c: versions.get(c) for c in candidates}

    def predictor(
        self,
        info: Mapping[str, QuestionInfo],
        catalog: Catalog | None = None,
        grade: int | None = None,
    ) -> VersionedPredictor:
        """This service as a :class:`~yachay.tutor.domain.Predictor` that reads ``info`` (the
        question bank's facts) for what the model does not know, and remembers which
        version scored each question (:meth:`VersionedPredictor.version_of`). With the
        bank's ``catalog``, the version's skill filter answers for the catalog's questions,
        with the priors of a student in ``grade`` (None: unknown)."""
        return VersionedPredictor(self, info, catalog, grade)

    def served(self) -> ServedModel | None:
        """The version being served now (after checking the pointer), or None."""
        self._refresh(now=self._clock())
        return self._model

    def _prior(
        self,
        history: Sequence[Answered],
        candidates: Sequence[str],
        info: Mapping[str, QuestionInfo],
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
            self._switch(read_pointer(self.tutor_dir))
        finally:
            self._lock.release()

    def _switch(self, pointer: Pointer | None) -> None:
        current = self._model
        if pointer is None:
            if current is not None:
                log.warning(
                    "%s is gone; still serving v%s",
                    pointer_path(self.tutor_dir),
                    current.pointer.version,
                )
            return
        if current is not None and current.pointer == pointer:
            return
        try:
            model = ServedModel.load(self.tutor_dir, pointer)
            # torch's first pass through a model in a process costs ~0.2 s (kernels, memory):
            # paid here, while loading, not by the first caller's question.
            model.score([], list(model.vocabulary.questions)[:1], {})
            self._model = model
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
                self._model.model.__class__.__name__,
            )


class VersionedPredictor:
    """The service bound to a question bank, for one decision: it remembers the model
    version behind each question's latest probability."""

    def __init__(
        self,
        service: TutorService,
        info: Mapping[str, QuestionInfo],
        catalog: Catalog | None = None,
        grade: int | None = None,
    ) -> None:
        self.service = service
        self.info = info
        self.catalog = catalog
        self.grade = grade
        self._versions: dict[str, int | None] = {}
        # the filter of the version it was built for: it replays a growing history once
        self._filter: tuple[ServedModel, SkillFilter] | None = None

    def predict(self, history: Sequence[Answered], candidates: Sequence[str]) -> dict[str, float]:
        decider = self._decider()
        if decider is None:
            scores, versions = self.service.predict_with_versions(history, candidates, self.info)
            self._versions.update(versions)
            return scores
        model, skill_filter = decider
        ours = [c for c in candidates if c in skill_filter.catalog.item]
        try:
            scores = skill_filter.predict(history, ours) if ours else {}
        except Exception:  # as for the model: a failure never fails the call
            log.exception(
                "the skill filter of v%s failed; the model answers", model.pointer.version
            )
            scores = {}
        self._versions.update(dict.fromkeys(scores, model.pointer.version))
        rest = [c for c in candidates if c not in scores]
        if rest:
            more, versions = self.service.predict_with_versions(history, rest, self.info)
            scores.update(more)
            self._versions.update(versions)
        return {c: scores[c] for c in candidates}

    def _decider(self) -> tuple[ServedModel, SkillFilter] | None:
        if self.catalog is None:
            return None
        model = self.service.served()
        if model is None or model.skill_filter is None:
            return None
        if self._filter is None or self._filter[0] is not model:
            from yachay.tutor.skill_filter import filter_from_fitted

            try:
                built = filter_from_fitted(self.catalog, self.grade, model.skill_filter)
            except Exception:
                log.exception("the skill filter of v%s cannot be built", model.pointer.version)
                return None
            self._filter = (model, built)
        return self._filter

    def version_of(self, question_id: str) -> int | None:
        """The version that gave ``question_id`` its latest probability; None: the prior."""
        return self._versions.get(question_id)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def one_thread_per_worker() -> None:
    """Run torch on one thread in this process (a server worker).

    torch starts a thread per core in every process: 4 workers on 2 cores would run 8.
    Measured with `bench/tutor_scoring.py` (4 workers, 2 cores): torch's default took the p99
    of a round to 3.6 s. (The skill filter uses no BLAS product, which would need the same
    limit: with one, the p99 was 132 ms.)"""
    import torch

    torch.set_num_threads(1)
