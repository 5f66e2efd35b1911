from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.tutor.conftest import simulate, write_three_line
from yachay.tutor.data import (
    DataFormatError,
    StudentSequence,
    batches,
    collate,
    read_three_line,
    split_by_student,
    windows,
)
from yachay.tutor.features import FEATURE_NAMES, UNTIMED_FEATURES, feature_count, history_features


def test_reads_the_three_line_format_with_and_without_trailing_commas(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("3\n1,2,3,\n0,1,1,\n2\n4,4\n1,0\n\n")
    students = read_three_line(path)
    assert [s.questions.tolist() for s in students] == [[1, 2, 3], [4, 4]]
    assert [s.responses.tolist() for s in students] == [[0, 1, 1], [1, 0]]
    assert students[0].skills.tolist() == [1, 2, 3]


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("x\n1\n1\n", ":1:", "expected the number of answers"),
        ("2\n1,2\n1,1\n3\n1,2\n1,0,1\n", ":5:", "2 item ids, but line 4 says 3"),
        ("2\n1,2\n1\n", ":3:", "1 responses, but line 1 says 2"),
        ("2\n1,a\n1,1\n", ":2:", "item id field 2 is 'a'"),
        ("2\n1,0\n1,1\n", ":2:", "item id 0 at field 2; ids start at 1"),
        ("2\n1,2\n1,2\n", ":3:", "response 2 at field 2; expected 0 or 1"),
        ("2\n1,2\n1,1\n1\n1\n", ":6:", "the file ends inside a student"),
        ("2\n1,,2\n1,1\n", ":2:", "item id field 2 is ''"),
        ("0\n\n\n1\n1\n1\n", ":1:", "at least one answer"),
        ("\n\n", ":1:", "no students"),
    ],
)
def test_malformed_files_name_the_file_and_line(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataFormatError) as info:
        read_three_line(path)
    assert str(info.value).startswith(f"{path}{where}")
    assert message in str(info.value)


def test_round_trip_of_generated_files(tmp_path: Path) -> None:
    students = simulate(5)
    write_three_line(tmp_path / "x.csv", students, trailing_comma=True)
    again = read_three_line(tmp_path / "x.csv")
    assert all(
        (a.questions == b.questions).all() and (a.responses == b.responses).all()
        for a, b in zip(students, again, strict=True)
    )


def test_validation_split_is_by_student_and_fixed() -> None:
    students = simulate(50)
    train, val = split_by_student(students, 0.2, seed=0)
    assert len(val) == 10 and len(train) == 40
    again_train, again_val = split_by_student(students, 0.2, seed=0)
    assert [id(s) for s in val] == [id(s) for s in again_val]
    assert not {id(s) for s in train} & {id(s) for s in val}


def test_history_features_only_look_back() -> None:
    seq = StudentSequence.from_lists([1, 1, 2, 1], [1, 0, 1, 1])
    feats = history_features(seq)
    names = {n: i for i, n in enumerate(FEATURE_NAMES)}
    attempts = np.expm1(feats[:, names["skill_attempts"]]).round().tolist()
    assert attempts == [0, 1, 0, 2]
    successes = np.expm1(feats[:, names["skill_successes"]]).round().tolist()
    assert successes == [0, 1, 0, 1]
    assert feats[:, names["skill_last"]].tolist() == [0, 1, 0, 0]
    assert np.expm1(feats[3, names["skill_gap"]]).round() == 1
    # Changing the last response changes no feature: position t never sees its own answer.
    flipped = StudentSequence.from_lists([1, 1, 2, 1], [1, 0, 1, 0])
    assert np.array_equal(history_features(flipped), feats)


def test_response_times_are_features_of_the_answers_after_them() -> None:
    seq = StudentSequence.from_lists([1, 2, 1, 2], [1, 0, 1, 1], ms=[2000, None, 9000, 500])
    feats = history_features(seq)
    names = {n: i for i, n in enumerate(FEATURE_NAMES)}
    last = np.expm1(feats[:, names["last_seconds"]]).round(3).tolist()
    assert last == [0, 2, 0, 9]  # the answer just before; unknown reads as 0
    skill = np.expm1(feats[:, names["skill_last_seconds"]]).round(3).tolist()
    assert skill == [0, 0, 2, 0]  # the skill's last answer (skill 2's was unknown)
    # a position never sees its own time
    slower = StudentSequence.from_lists([1, 2, 1, 2], [1, 0, 1, 1], ms=[2000, None, 9000, 99000])
    assert np.array_equal(history_features(slower), feats)
    # data without times: the same untimed features, zeros for the times
    untimed = history_features(StudentSequence.from_lists([1, 2, 1, 2], [1, 0, 1, 1]))
    assert np.array_equal(untimed[:, :UNTIMED_FEATURES], feats[:, :UNTIMED_FEATURES])
    assert not untimed[:, UNTIMED_FEATURES:].any()


def test_a_model_reads_the_features_of_its_data(tmp_path: Path) -> None:
    """Three-line files have no times: their models read the untimed features only, and
    what is in the other columns changes nothing."""
    write_three_line(tmp_path / "train.csv", simulate(3, length=10))
    untimed = read_three_line(tmp_path / "train.csv")
    assert feature_count(untimed) == UNTIMED_FEATURES
    timed = [StudentSequence.from_lists([1, 2], [1, 0], ms=[3000, None])]
    assert feature_count(timed) == len(FEATURE_NAMES) == UNTIMED_FEATURES + 2

    import torch

    from yachay.tutor.models import MODELS, build_model

    batch = collate(windows(untimed, 10))
    noisy = dict(batch, features=batch["features"].clone())
    noisy["features"][..., UNTIMED_FEATURES:] = 5.0
    for name in MODELS:
        torch.manual_seed(0)
        model = build_model(name, num_items=6, num_skills=6, num_features=UNTIMED_FEATURES)
        model.eval()
        assert torch.equal(model(batch)[0], model(noisy)[0]), name


def test_windows_score_every_answer_once_with_context() -> None:
    students = [StudentSequence.from_lists(list(range(1, 12)), [1] * 11)]
    items = windows(students, length=4, stride=2)
    scored = []
    for item in items:
        offset = int(item["offset"])
        scored += [offset + i for i in np.flatnonzero(item["score"])]
        if offset > 0:  # every later window keeps at least length - stride answers of context
            assert np.flatnonzero(item["score"]).min() >= 2
    assert scored == list(range(11))
    disjoint = windows(students, length=4)
    assert [len(i["questions"]) for i in disjoint] == [4, 4, 3]
    assert all(i["score"].all() for i in disjoint)


def test_collate_pads_and_masks() -> None:
    students = [
        StudentSequence.from_lists([1, 2, 3], [1, 0, 1]),
        StudentSequence.from_lists([2], [0]),
    ]
    batch = collate(windows(students, 10))
    assert batch["questions"].tolist() == [[1, 2, 3], [2, 0, 0]]
    assert batch["mask"].tolist() == [[True, True, True], [True, False, False]]
    assert batch["score"].tolist() == batch["mask"].tolist()
    assert batch["features"].shape == (2, 3, len(FEATURE_NAMES))


def test_shuffled_batches_cover_every_window_once() -> None:
    items = windows(simulate(30), 7)
    seen = []
    for batch in batches(items, 8, shuffle=True, generator=np.random.default_rng(0)):
        seen += list(zip(batch["student"].tolist(), batch["offset"].tolist(), strict=True))
    assert sorted(seen) == sorted((int(i["student"]), int(i["offset"])) for i in items)
