"""Storage. Importing the package loads every table module, so `models.Base.metadata`
(Alembic's target) holds the console's tables of `people` too."""

from yachay.db import people as people  # noqa: F401
