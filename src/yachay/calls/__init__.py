"""One turn of a call: load its state, run the flow engine, store what happened.

- :mod:`~yachay.calls.service`: :class:`CallService`, what the voice adapter calls;
- :mod:`~yachay.calls.sql_catalog`: the flows' read-only catalog over the database;
- :mod:`~yachay.calls.turn_tutor`: the flows' tutor port, over the turn's session;
- :mod:`~yachay.calls.recorder`: the turn's domain events written to the database.

Storage (:mod:`yachay.db`) knows nothing of flows; this layer joins them.
"""

from yachay.calls.service import (
    FINAL_STATUSES,
    CallService,
    IncomingCall,
    Renderer,
    StatusUpdate,
    TurnFailed,
    UnknownCall,
)

__all__ = [
    "FINAL_STATUSES",
    "CallService",
    "IncomingCall",
    "Renderer",
    "StatusUpdate",
    "TurnFailed",
    "UnknownCall",
]
