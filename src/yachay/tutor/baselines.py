"""Baselines the tutor model is compared with: BKT (pyBKT) and a PFA-like logistic regression.

Both predict every answer of every test student from the answers before it, in the same
order as :func:`yachay.tutor.train.predict_sequences` (by student, then position), so the
metrics are computed on exactly the same answers as the neural models'.
"""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from tqdm.auto import tqdm

from yachay.tutor.data import StudentSequence

__all__ = ["BASELINES", "BKTBaseline", "PFABaseline"]


def _flatten(sequences: Sequence[StudentSequence]) -> tuple[np.ndarray, ...]:
    """Student index, position, skill and response of every answer, in file order."""
    student = np.concatenate([np.full(len(s), i) for i, s in enumerate(sequences)])
    position = np.concatenate([np.arange(len(s)) for s in sequences])
    skills = np.concatenate([s.skills for s in sequences])
    responses = np.concatenate([s.responses for s in sequences])
    return student, position, skills, responses


def labels(sequences: Sequence[StudentSequence]) -> np.ndarray:
    """The responses of every answer, in the order baselines and models predict them."""
    return np.concatenate([s.responses for s in sequences])


@dataclass
class BKTBaseline:
    """Standard BKT (no forgetting), one model per skill, fit with pyBKT's EM routines.

    pyBKT 1.4.3 cannot run as-is next to our pinned libraries: ``pyBKT.models`` fails to
    import with scikit-learn >= 1.6 (it probes private metric functions at import), and
    ``EM_fit.EM_fit`` stores a ``(1, 1)`` array into a scalar slot, which NumPy >= 2.4
    refuses. So this runs pyBKT's own pieces -- ``random_model_uni`` (random start), the
    E-step ``EM_fit.run``, ``M_step.run`` and ``predict_onestep.run`` -- in a ten-line EM
    loop equal to ``EM_fit.EM_fit``'s. As in ``pyBKT.models.Model``, the best of
    ``num_fits`` random starts by training log-likelihood is kept.

    pyBKT's EM is pure Python (about 15 s per EM iteration over ASSISTments 2009's 224k
    answers on one core), so the defaults are one random start and at most 8 iterations
    (pyBKT's are 5 starts and 100 iterations, stopping earlier when the log-likelihood moves
    by <= 0.005): about 2.5 minutes there. On that set, 3 iterations give test AUC 0.707 and
    10 give 0.711.

    A skill that no student answered twice has nothing for BKT to trace, and pyBKT's E-step
    collects no emission counts from one-answer sequences (it would predict 0.5); such a
    skill is predicted by its training share of right answers, which is BKT's maximum
    likelihood prediction there.
    """

    num_fits: int = 1
    max_iter: int = 8
    tol: float = 0.005
    seed: int = 0
    progress: bool = True

    name = "bkt"

    def fit(self, sequences: Sequence[StudentSequence]) -> BKTBaseline:
        from pyBKT.generate import random_model_uni

        rand = np.random.RandomState(self.seed)
        student, position, skills, responses = _flatten(sequences)
        self.mean_ = float(responses.mean())
        self.params_: dict[int, dict[str, np.ndarray]] = {}
        blocks = _skill_blocks(student, position, skills, responses)
        self.rates_: dict[int, float] = {}
        for skill, data in tqdm(
            blocks, desc="bkt fit", file=sys.stderr, leave=False, disable=not self.progress
        ):
            if data["lengths"].max() < 2:
                self.rates_[skill] = float((data["data"] == 2).mean())
                continue
            best, best_ll = None, -np.inf
            for _ in range(self.num_fits):
                model, log_likelihood = self._em(
                    random_model_uni.random_model_uni(1, 1, rand=rand), data
                )
                if log_likelihood > best_ll:
                    best, best_ll = model, log_likelihood
            assert best is not None
            best["learns"] = best["As"][:, 1, 0]
            best["forgets"] = best["As"][:, 0, 1]
            best["prior"] = best["pi_0"][1][0]
            self.params_[skill] = best
        return self

    def _em(self, model: dict, data: dict) -> tuple[dict, float]:
        """``pyBKT.fit.EM_fit.EM_fit`` for one skill, with the log-likelihood as a float."""
        from pyBKT.fit import EM_fit, M_step

        previous = -np.inf
        log_likelihood = -np.inf
        for i in range(self.max_iter):
            zeros = (np.zeros((1, 2, 2)), np.zeros((1, 2, 2)), np.zeros((2, 1)))
            with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 -> nan_to_num inside
                result = EM_fit.run(data, model, *zeros, 1, parallel=False)
            trans = result["all_trans_softcounts"].transpose(0, 2, 1).copy()
            emission = result["all_emission_softcounts"].transpose(0, 2, 1).copy()
            log_likelihood = float(np.asarray(result["total_loglike"]).item())
            if i > 1 and abs(log_likelihood - previous) <= self.tol:
                break
            previous = log_likelihood
            model = M_step.run(model, trans, emission, result["all_initial_softcounts"], fixed={})
        return model, log_likelihood

    def predict(self, sequences: Sequence[StudentSequence]) -> np.ndarray:
        from pyBKT.fit import predict_onestep

        student, position, skills, responses = _flatten(sequences)
        out = np.full(len(responses), self.mean_)
        for skill, data, index in _skill_blocks(
            student, position, skills, responses, with_index=True
        ):
            if skill in self.rates_:
                out[index] = self.rates_[skill]
                continue
            if skill not in self.params_:
                continue  # a skill never seen in training: the overall rate
            with np.errstate(divide="ignore", invalid="ignore"):
                correct, _ = predict_onestep.run(self.params_[skill], data, parallel=False)
            out[index] = correct
        return out


def _skill_blocks(
    student: np.ndarray,
    position: np.ndarray,
    skills: np.ndarray,
    responses: np.ndarray,
    with_index: bool = False,
) -> list:
    """pyBKT's data layout per skill: one sequence per student who answered that skill."""
    order = np.lexsort((position, student, skills))
    out = []
    skill_sorted = skills[order]
    cuts = np.flatnonzero(np.diff(skill_sorted)) + 1
    for chunk in np.split(order, cuts):
        stu = student[chunk]
        seq_starts = np.concatenate([[0], np.flatnonzero(np.diff(stu)) + 1])
        lengths = np.diff(np.concatenate([seq_starts, [len(chunk)]]))
        data = {
            "data": (responses[chunk] + 1).astype(np.int32)[None, :],  # 1 wrong, 2 right
            "starts": (seq_starts + 1).astype(np.int64),  # 1-based
            "lengths": lengths.astype(np.int64),
            "resources": np.ones(len(chunk), dtype=np.int64),
        }
        skill = int(skills[chunk[0]])
        out.append((skill, data, chunk) if with_index else (skill, data))
    return out


@dataclass
class PFABaseline:
    """A PFA-like logistic regression (Pavlik et al., 2009), fit with scikit-learn.

    Features of an answer on skill ``s``: a one-hot intercept for ``s``, and ``s``-specific
    weights on ``log(1 + earlier successes on s)`` and ``log(1 + earlier failures on s)``
    (PFA's per-skill learning rates; the log damps long practice runs), plus two shared
    weights on the student's overall earlier successes and failures (log scale), which give
    the regression a general ability term. L2-regularised (``C``), L-BFGS.
    """

    C: float = 1.0
    max_iter: int = 2000

    name = "pfa"

    def _design(self, sequences: Sequence[StudentSequence]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        width = self.num_skills_ + 1  # the last column block is for unseen skills
        n = 0
        for seq in sequences:
            succ: dict[int, int] = {}
            att: dict[int, int] = {}
            total_succ = 0
            for t, (s, r) in enumerate(
                zip(seq.skills.tolist(), seq.responses.tolist(), strict=True)
            ):
                k = min(s, width) - 1
                a, c = att.get(s, 0), succ.get(s, 0)
                rows += [n] * 5
                cols += [k, width + k, 2 * width + k, 3 * width, 3 * width + 1]
                vals += [
                    1.0,
                    np.log1p(c),
                    np.log1p(a - c),
                    np.log1p(total_succ),
                    np.log1p(t - total_succ),
                ]
                att[s], succ[s] = a + 1, c + r
                total_succ += r
                n += 1
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, 3 * width + 2))

    def fit(self, sequences: Sequence[StudentSequence]) -> PFABaseline:
        self.num_skills_ = max(int(s.skills.max()) for s in sequences)
        x = self._design(sequences)
        y = labels(sequences)
        self.model_ = LogisticRegression(C=self.C, max_iter=self.max_iter)
        with warnings.catch_warnings():
            # Should L-BFGS stop at max_iter, the fit is still a usable baseline; say so
            # in the result instead of failing.
            warnings.simplefilter("error", ConvergenceWarning)
            try:
                self.model_.fit(x, y)
                self.converged_ = True
            except ConvergenceWarning:
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.model_.fit(x, y)
                self.converged_ = False
        return self

    def predict(self, sequences: Sequence[StudentSequence]) -> np.ndarray:
        return self.model_.predict_proba(self._design(sequences))[:, 1]


BASELINES = {"bkt": BKTBaseline, "pfa": PFABaseline}


def run_baseline(
    name: str, train: Sequence[StudentSequence], test: Sequence[StudentSequence], **options: object
) -> tuple[np.ndarray, float]:
    """Fit baseline ``name`` on ``train``; its test predictions and fit seconds."""
    started = time.monotonic()
    model = BASELINES[name](**options).fit(train)  # type: ignore[arg-type]
    seconds = time.monotonic() - started
    return model.predict(test), seconds
