"""Document events rules are bound to, with the aliases admins may write.

``on transfer approve:`` reads as well as ``on transfer approved:``; both mean the
final approval. ``approved at <node>`` is the approval of one flow node; only the
events in :data:`NODE_EVENTS` take ``at <node>``.
"""

from __future__ import annotations

from collections.abc import Mapping

EVENTS: tuple[str, ...] = (
    "submitted", "approved", "rejected", "withdrawn", "cancelled", "timed_out",
)  # fmt: skip

ALIASES: Mapping[str, str] = {
    "submitted": "submitted", "submit": "submitted",
    "approved": "approved", "approve": "approved",
    "rejected": "rejected", "reject": "rejected",
    "withdrawn": "withdrawn", "withdraw": "withdrawn",
    "cancelled": "cancelled", "cancel": "cancelled", "canceled": "cancelled",
    "timed_out": "timed_out", "timeout": "timed_out",
}  # fmt: skip

NODE_EVENTS: frozenset[str] = frozenset({"approved", "rejected", "timed_out"})


def canonical(name: str) -> str | None:
    """The canonical event for ``name`` (an event or an alias), or None."""
    return ALIASES.get(name)
