"""Answer logs for knowledge tracing: reading them, history features, and the sequence dataset.

The data contract follows pyKT: per student, sequences of question ids, skill ids and
responses; a model predicts the response at position ``t`` from the interactions before ``t``
and the question (and its features) at ``t``. A batch is a dict of tensors, all ``[B, T]``
unless noted:

``questions``, ``skills``
    1-based ids; 0 is padding.
``responses``
    1 right, 0 wrong (0 at padding).
``features``
    ``[B, T, F]`` history features of position ``t`` (see :func:`history_features`),
    computed from the student's whole history, so they survive cutting a long history into
    windows.
``mask``
    True where a position holds an answer (the model may read it as history).
``score``
    True where the prediction counts (loss and metrics). In overlapping evaluation windows
    only the part of a window not scored by an earlier window is scored, so every answer is
    predicted exactly once and with at least ``window - stride`` answers of context.

Ids in the three-line format are used as both question and skill ids (the published files
have one id per answer: a skill for ASSISTments, a question for the synthetic set).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from yachay.tutor.features import history_features
from yachay.tutor.response_times import known_ms

__all__ = [
    "DataFormatError",
    "batches",
    "count_ids",
    "StudentSequence",
    "collate",
    "read_three_line",
    "split_by_student",
    "window_start",
    "windows",
]


class DataFormatError(ValueError):
    """A malformed answer file; the message starts with ``file:line:``."""


@dataclass(frozen=True)
class StudentSequence:
    """One student's answers in the order given.

    ``ms`` is each answer's response time in milliseconds (-1 where unknown), or None for
    data that has no times at all (the three-line files): such data gives its models the
    untimed features only (:func:`feature_count`).
    """

    questions: np.ndarray  # int64, 1-based
    skills: np.ndarray  # int64, 1-based
    responses: np.ndarray  # int64, 0/1
    ms: np.ndarray | None = None  # int64, -1: unknown

    def __post_init__(self) -> None:
        n = len(self.questions)
        if len(self.skills) != n or len(self.responses) != n:
            raise ValueError("questions, skills and responses must have the same length")
        if self.ms is not None and len(self.ms) != n:
            raise ValueError("response times must be as many as the answers")

    def __len__(self) -> int:
        return len(self.questions)

    @classmethod
    def from_lists(
        cls,
        questions: Sequence[int],
        responses: Sequence[int],
        skills: Sequence[int] | None = None,
        ms: Sequence[int | None] | None = None,
    ) -> StudentSequence:
        q = np.asarray(questions, dtype=np.int64)
        s = q.copy() if skills is None else np.asarray(skills, dtype=np.int64)
        r = np.asarray(responses, dtype=np.int64)
        return cls(q, s, r, None if ms is None else known_ms(ms))


def _parse_ints(text: str, where: str, what: str) -> list[int]:
    fields = text.strip().split(",")
    if fields and fields[-1] == "":  # a trailing comma, as in the synthetic files
        fields.pop()
    values = []
    for i, field in enumerate(fields, start=1):
        try:
            values.append(int(field))
        except ValueError:
            raise DataFormatError(
                f"{where}: {what} field {i} is {field!r}, not an integer"
            ) from None
    return values


def read_three_line(path: str | Path) -> list[StudentSequence]:
    """Read a file with three lines per student: count, item ids, responses.

    Item ids are 1-based integers; responses are 0 or 1; fields are separated by commas and
    a trailing comma is allowed. Blank lines at the end of the file are ignored. Raises
    :class:`DataFormatError` with ``file:line:`` for anything else.
    """
    path = Path(path)
    lines = path.read_text().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataFormatError(f"{path}:1: the file has no students")
    students = []
    for start in range(0, len(lines), 3):
        block = lines[start : start + 3]
        if len(block) < 3:
            raise DataFormatError(
                f"{path}:{start + len(block) + 1}: the file ends inside a student; expected "
                "three lines per student (count, item ids, responses)"
            )
        count_line, id_line, response_line = (start + 1, start + 2, start + 3)
        try:
            count = int(block[0].strip().rstrip(","))
        except ValueError:
            raise DataFormatError(
                f"{path}:{count_line}: expected the number of answers, got {block[0]!r}"
            ) from None
        if count < 1:
            raise DataFormatError(f"{path}:{count_line}: a student needs at least one answer")
        ids = _parse_ints(block[1], f"{path}:{id_line}", "item id")
        responses = _parse_ints(block[2], f"{path}:{response_line}", "response")
        for line, values, what in (
            (id_line, ids, "item ids"),
            (response_line, responses, "responses"),
        ):
            if len(values) != count:
                raise DataFormatError(
                    f"{path}:{line}: {len(values)} {what}, but line {count_line} says {count}"
                )
        bad_id = next((i for i, v in enumerate(ids, 1) if v < 1), None)
        if bad_id is not None:
            raise DataFormatError(
                f"{path}:{id_line}: item id {ids[bad_id - 1]} at field {bad_id}; ids start at 1"
            )
        bad = next((i for i, v in enumerate(responses, 1) if v not in (0, 1)), None)
        if bad is not None:
            raise DataFormatError(
                f"{path}:{response_line}: response {responses[bad - 1]} at field {bad}; "
                "expected 0 or 1"
            )
        students.append(StudentSequence.from_lists(ids, responses))
    return students


def split_by_student(
    sequences: Sequence[StudentSequence], fraction: float, seed: int = 0
) -> tuple[list[StudentSequence], list[StudentSequence]]:
    """Split off ``fraction`` of the students (at least one) as a validation set."""
    if not 0 < fraction < 1:
        raise ValueError("fraction must be between 0 and 1")
    if len(sequences) < 2:
        raise ValueError("need at least two students to split off a validation set")
    order = np.random.default_rng(seed).permutation(len(sequences))
    n_val = min(len(sequences) - 1, max(1, round(len(sequences) * fraction)))
    val = set(order[:n_val].tolist())
    train = [s for i, s in enumerate(sequences) if i not in val]
    return train, [sequences[i] for i in sorted(val)]


def windows(
    sequences: Sequence[StudentSequence],
    length: int,
    stride: int | None = None,
    features: Sequence[np.ndarray] | None = None,
) -> list[dict[str, np.ndarray]]:
    """Cut sequences into windows of at most ``length`` answers, starting every ``stride``.

    ``stride == length`` (the default) gives disjoint windows, for training. A smaller stride
    gives overlapping windows for evaluation: each window scores only the answers after the
    previous window's end, so each answer is scored once, with at least
    ``length - stride`` answers of context (or the whole history, when shorter).
    """
    stride = length if stride is None else stride
    if not 0 < stride <= length:
        raise ValueError("need 0 < stride <= length")
    if features is None:
        features = [history_features(s) for s in sequences]
    items = []
    for student, (seq, feats) in enumerate(zip(sequences, features, strict=True)):
        n = len(seq)
        start, scored_until = 0, 0
        while True:
            end = min(start + length, n)
            score = np.zeros(end - start, dtype=bool)
            score[scored_until - start :] = True
            items.append(
                {
                    "questions": seq.questions[start:end],
                    "skills": seq.skills[start:end],
                    "responses": seq.responses[start:end],
                    "features": feats[start:end],
                    "score": score,
                    "student": np.int64(student),
                    "offset": np.int64(start),
                }
            )
            scored_until = end
            if end >= n:
                break
            start += stride
    return items


def window_start(position: int, length: int, stride: int) -> int:
    """Where the window that scores ``position`` starts, in :func:`windows`' cutting.

    Serving reads the same window for the next answer as evaluation did, so the scores the
    model serves are the ones its test AUC was measured on. Consecutive positions share a
    window until one crosses a stride, so a student's model state can grow answer by answer.
    """
    if not 0 < stride <= length:
        raise ValueError("need 0 < stride <= length")
    if position < length:
        return 0
    return (position - (length - stride)) // stride * stride


def collate(items: Sequence[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    """Pad windows to the longest one and stack them into a batch (see the module doc)."""
    size = len(items)
    longest = max(len(item["questions"]) for item in items)
    n_features = items[0]["features"].shape[1]
    questions = np.zeros((size, longest), dtype=np.int64)
    skills = np.zeros((size, longest), dtype=np.int64)
    responses = np.zeros((size, longest), dtype=np.int64)
    features = np.zeros((size, longest, n_features), dtype=np.float32)
    mask = np.zeros((size, longest), dtype=bool)
    score = np.zeros((size, longest), dtype=bool)
    for i, item in enumerate(items):
        n = len(item["questions"])
        questions[i, :n] = item["questions"]
        skills[i, :n] = item["skills"]
        responses[i, :n] = item["responses"]
        features[i, :n] = item["features"]
        mask[i, :n] = True
        score[i, :n] = item["score"]
    return {
        "questions": torch.from_numpy(questions),
        "skills": torch.from_numpy(skills),
        "responses": torch.from_numpy(responses),
        "features": torch.from_numpy(features),
        "mask": torch.from_numpy(mask),
        "score": torch.from_numpy(score),
        "student": torch.tensor([int(item["student"]) for item in items]),
        "offset": torch.tensor([int(item["offset"]) for item in items]),
    }


def batches(
    items: Sequence[dict[str, np.ndarray]],
    batch_size: int,
    shuffle: bool = False,
    generator: np.random.Generator | None = None,
) -> Iterator[dict[str, torch.Tensor]]:
    """Batches of windows of similar length, so little of a batch is padding.

    Unshuffled, windows are sorted by length. Shuffled ("sortish"), the windows are permuted,
    sorted by length within pools of 50 batches, cut into batches, and the batches permuted.
    """
    lengths = np.array([len(item["questions"]) for item in items])
    if shuffle:
        rng = generator if generator is not None else np.random.default_rng()
        order = rng.permutation(len(items))
        pool = batch_size * 50
        order = np.concatenate(
            [
                chunk[np.argsort(lengths[chunk], kind="stable")]
                for chunk in np.split(order, range(pool, len(order), pool))
            ]
        )
        groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        groups = [groups[i] for i in rng.permutation(len(groups))]
    else:
        order = np.argsort(lengths, kind="stable")
        groups = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for group in groups:
        yield collate([items[i] for i in group])


def count_ids(sequences: Sequence[StudentSequence]) -> tuple[int, int]:
    """The largest question id and the largest skill id (the model's vocabulary sizes)."""
    num_items = max(int(s.questions.max()) for s in sequences)
    num_skills = max(int(s.skills.max()) for s in sequences)
    return num_items, num_skills
