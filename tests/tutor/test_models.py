from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from tests.tutor.conftest import simulate
from yachay.tutor.data import StudentSequence, collate, windows
from yachay.tutor.model_quality import auc
from yachay.tutor.models import DEFAULT_EVALUATION, DEFAULT_MODEL, MODELS, SELECTIONS, build_model

NAMES = sorted(MODELS)


def small_model(name: str, items: int = 6, seed: int = 0):  # noqa: ANN201
    torch.manual_seed(seed)
    return build_model(name, num_items=items, num_skills=items)


def test_the_default_and_the_selections_name_registered_models() -> None:
    assert DEFAULT_MODEL in MODELS
    assert DEFAULT_EVALUATION in MODELS or DEFAULT_EVALUATION in SELECTIONS
    assert all(name in MODELS for names in SELECTIONS.values() for name in names)
    assert not set(SELECTIONS) & set(MODELS)


def test_unknown_model_names_say_what_is_known() -> None:
    with pytest.raises(ValueError, match="unknown model 'nope'; known: .*dkt"):
        build_model("nope", num_items=3, num_skills=3)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_probabilities(name: str) -> None:
    batch = collate(windows(simulate(3, length=9) + simulate(2, length=4, seed=3), 9))
    model = small_model(name).eval()
    probs, loss = model(batch)
    assert probs.shape == batch["questions"].shape
    assert ((probs > 0) & (probs < 1)).all()
    assert loss.ndim == 0 and torch.isfinite(loss)


@pytest.mark.parametrize("name", NAMES)
def test_loss_counts_scored_positions_only(name: str) -> None:
    batch = collate(windows(simulate(3, length=9) + simulate(2, length=4, seed=3), 9))
    batch["score"][0, :3] = False  # e.g. context-only positions of an evaluation window
    model = small_model(name).eval()
    probs, loss = model(batch)
    scored = batch["score"]
    expected = F.binary_cross_entropy(probs[scored], batch["responses"][scored].float())
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    padded = {k: v.clone() for k, v in batch.items()}
    padded["responses"][~padded["mask"]] = 1  # junk in the padding changes nothing
    assert model(padded)[1].item() == pytest.approx(loss.item(), rel=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_predictions_never_see_the_answer_they_predict(name: str) -> None:
    seq = simulate(1, length=12)[0]
    model = small_model(name).eval()
    base = model(collate(windows([seq], 12)))[0]
    for k in (0, 5, 11):
        flipped = seq.responses.copy()
        flipped[k] = 1 - flipped[k]
        other = StudentSequence(seq.questions, seq.skills, flipped)
        probs = model(collate(windows([other], 12)))[0]
        assert torch.allclose(probs[0, : k + 1], base[0, : k + 1], atol=1e-6), k


def deterministic_students(n: int = 16, length: int = 24) -> list[StudentSequence]:
    """Item 1 is always right, item 2 always wrong; item 3 repeats the previous answer."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        questions = rng.integers(1, 4, length).tolist()
        responses = []
        for q in questions:
            previous = responses[-1] if responses else 1
            responses.append({1: 1, 2: 0, 3: previous}[q])
        out.append(StudentSequence.from_lists(questions, responses))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_overfits_a_tiny_deterministic_pattern(name: str) -> None:
    batch = collate(windows(deterministic_students(), 24))
    model = small_model(name, items=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        _, loss = model(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    probs, _ = model(batch)
    score = batch["score"]
    y, p = batch["responses"][score].numpy(), probs[score].detach().numpy()
    assert auc(y, p) > 0.97
    # item 3 after a wrong answer: the model must read the history
    after_wrong = (batch["questions"][:, 1:] == 3) & (batch["responses"][:, :-1] == 0)
    assert probs[:, 1:][after_wrong].mean() < 0.3


@pytest.mark.parametrize("name", NAMES)
def test_items_beyond_the_vocabulary_are_scored(name: str) -> None:
    seq = StudentSequence.from_lists([1, 2, 9], [1, 0, 1])  # 9 was never seen in training
    probs, _ = small_model(name, items=3).eval()(collate(windows([seq], 5)))
    assert torch.isfinite(probs).all()
