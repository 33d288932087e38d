"""The audit chain's pure logic: canonical digests, event hashes, chain verification.

Each tenant's audit events form a hash chain: an event's hash covers its own fields
and the previous event's hash, and the tenant's head records the last link. Editing,
deleting or reordering any event breaks a link that :func:`verify_chain` reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from engine.errors import Problem, Source, problem

GENESIS = "0" * 64


def _default(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot digest {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: equal data, equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def digest(value: Any) -> str | None:
    """SHA-256 of the canonical JSON of ``value`` (``None`` stays ``None``)."""
    if value is None:
        return None
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """The hashed fields of one audit event, as stored."""

    tenant_id: int
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    client_addr: str | None
    request_id: str | None
    object_type: str
    object_id: str
    action: str
    before_digest: str | None
    after_digest: str | None
    detail: Mapping[str, Any]

    def hash_with(self, prev_hash: str) -> str:
        payload = prev_hash + "\n" + self._body()
        return hashlib.sha256(payload.encode()).hexdigest()

    def hash_parts(self) -> tuple[str, str]:
        """The hashed text around the ``seq`` number, for a store that numbers the
        event where it appends it: ``hash_with(p)`` is the SHA-256 of
        ``p + "\\n" + before + str(seq) + after``."""
        text = self._body()
        marker = f'"seq":{self.seq},"tenant_id":'
        # seq and tenant_id are the last keys, so the top-level marker is the last one
        before, found, tail = text.rpartition(marker)
        assert found, "the canonical body always holds the marker"
        return before + '"seq":', ',"tenant_id":' + tail

    def _body(self) -> str:
        body = {name: getattr(self, name) for name in self.__slots__}
        body["occurred_at"] = self.occurred_at.isoformat(timespec="microseconds")
        return canonical_json(body)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    record: AuditRecord
    prev_hash: str
    hash: str


def verify_chain(
    events: Sequence[StoredEvent], head: tuple[int, str] | None
) -> list[Problem]:
    """Check one tenant's events (in ``seq`` order) against each other and the head."""
    problems: list[Problem] = []
    prev_hash, expected_seq = GENESIS, 1
    for event in events:
        seq = event.record.seq
        src = Source(path=f"audit_events[seq={seq}]")
        if seq != expected_seq:
            problems.append(problem(
                "audit.sequence_gap",
                f"Audit event {expected_seq} is missing (next found is {seq}): "
                "events were deleted",
                f"审计事件 {expected_seq} 缺失（下一条为 {seq}）：有事件被删除", src))
        if event.record.hash_with(event.prev_hash) != event.hash:
            problems.append(problem(
                "audit.event_altered",
                f"Audit event {seq} does not match its hash: it was edited after it was written",
                f"审计事件 {seq} 与其哈希不符：写入后被修改", src))
        if event.prev_hash != prev_hash:
            problems.append(problem(
                "audit.chain_broken",
                f"Audit event {seq} does not follow the event before it: "
                "events were deleted or reordered",
                f"审计事件 {seq} 与前一条不衔接：有事件被删除或调换顺序", src))
        prev_hash, expected_seq = event.hash, seq + 1
    problems.extend(_check_head(events, head))
    return problems


def _check_head(events: Sequence[StoredEvent], head: tuple[int, str] | None) -> Iterable[Problem]:
    last = (events[-1].record.seq, events[-1].hash) if events else None
    if head is None and last is None:
        return
    if head != last:
        yield problem(
            "audit.head_mismatch",
            f"The audit chain ends at {last[0] if last else 'nothing'} but its head says "
            f"{head[0] if head else 'nothing'}: the newest events were deleted or altered",
            f"审计链结束于 {last[0] if last else '无'}，但链头记录为 "
            f"{head[0] if head else '无'}：最新事件被删除或修改",
            Source(path="audit_heads"))
