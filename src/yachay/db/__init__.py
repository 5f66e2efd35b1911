"""Storage. Importing the package loads every table module, so `models.Base.metadata`
(Alembic's target) holds the console's tables of `people` and the phone roles' tables of
`phone_roles` too."""

from yachay.db import people as people  # noqa: F401
from yachay.db import phone_roles as phone_roles  # noqa: F401
