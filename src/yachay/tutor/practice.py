"""Which questions a practice round asks. The adaptive policy replaces this one function."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def choose_practice(
    candidates: Sequence[str], last_result: Mapping[str, bool], limit: int
) -> list[str]:
    """Questions last answered wrong first (oldest first), then ones never seen, in order.

    `candidates` are the student's grade's questions in teaching order; `last_result` maps
    a question to whether its latest answer was right, in the order answers were given.
    """
    wrong = [q for q, right in last_result.items() if not right and q in set(candidates)]
    unseen = [q for q in candidates if q not in last_result]
    return (wrong + unseen)[:limit]
