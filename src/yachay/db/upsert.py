"""INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: creating a row that a
concurrent transaction may be creating too, without an IntegrityError that would abort the
whole transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_if_absent(
    session: Session, model: type, values: Mapping[str, Any], unique: Sequence[str]
) -> bool:
    """Insert `values` unless a row with the same `unique` columns exists (or is being
    inserted by a transaction that commits first: PostgreSQL waits for it). True when this
    call inserted the row."""
    dialect = session.get_bind().dialect.name
    try:
        insert = _INSERTS[dialect]
    except KeyError:
        raise NotImplementedError(f"no INSERT ... ON CONFLICT for {dialect}") from None
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        # rowcount is not reliable for ORM-enabled inserts; a returned row is.
        .returning(literal_column("1"))
    )
    return session.execute(statement).first() is not None
