"""Named posting results and the value a plan or a posting returns.

Posting never answers with a bare exception string: it returns a
:class:`PostingResult` whose ``code`` is a :class:`Result`. ``Result.OK`` carries the
movements, balance deltas and reservation changes to apply; every other code carries
``details`` (which key was short, by how much, which batch expired…) and turns into an
:class:`engine.errors.Problem` with :meth:`PostingResult.problem`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING

from engine.errors import Message, Problem, Source

if TYPE_CHECKING:
    from engine.ledger.model import BalanceKey, Delta, Movement, Reservation


class Result(Enum):
    """Every outcome a posting can have. The value is the stable code."""

    OK = "ok"
    INSUFFICIENT_STOCK = "insufficient_stock"
    LOCATION_LOCKED = "location_locked"
    BATCH_EXPIRED = "batch_expired"
    BATCH_REQUIRED = "batch_required"
    BATCH_NOT_TRACKED = "batch_not_tracked"
    UNKNOWN_ITEM = "unknown_item"
    UNKNOWN_LOCATION = "unknown_location"
    UNKNOWN_BATCH = "unknown_batch"
    UNKNOWN_MOVEMENT = "unknown_movement"
    UNKNOWN_RESERVATION = "unknown_reservation"
    UNKNOWN_UNIT = "unknown_unit"
    TENANT_MISMATCH = "tenant_mismatch"
    EXISTS = "exists"
    EXISTS_WITH_DIFFERENT_PAYLOAD = "exists_with_different_payload"
    ALREADY_REVERSED = "already_reversed"
    NOT_REVERSIBLE = "not_reversible"
    RESERVATION_NOT_PENDING = "reservation_not_pending"
    PAST_DATED = "past_dated"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_COST = "invalid_cost"
    SAME_LOCATION = "same_location"
    BOM_CYCLE = "bom_cycle"
    BOM_TOO_LARGE = "bom_too_large"

    @property
    def code(self) -> str:
        return f"ledger.{self.value}"

    @property
    def message(self) -> Message:
        return MESSAGES[self]


MESSAGES: Mapping[Result, Message] = MappingProxyType(
    {
        Result.OK: Message("Posted", "已过账"),
        Result.INSUFFICIENT_STOCK: Message(
            "Not enough stock available: receive or free up stock first",
            "可用库存不足：请先入库或释放预留",
        ),
        Result.LOCATION_LOCKED: Message(
            "The location is locked (a stocktake is running): wait until it is unlocked",
            "库位已锁定（正在盘点）：请等待解锁",
        ),
        Result.BATCH_EXPIRED: Message(
            "The batch has expired: pick another batch or scrap it",
            "批次已过期：请选择其他批次或报废",
        ),
        Result.BATCH_REQUIRED: Message(
            "This item is tracked by batch: name the batch", "该物料按批次管理：请填写批次"
        ),
        Result.BATCH_NOT_TRACKED: Message(
            "This item is not tracked by batch: leave the batch empty",
            "该物料不按批次管理：请不要填写批次",
        ),
        Result.UNKNOWN_ITEM: Message("Unknown item", "物料不存在"),
        Result.UNKNOWN_LOCATION: Message("Unknown location", "库位不存在"),
        Result.UNKNOWN_BATCH: Message("Unknown batch for this item", "该物料没有此批次"),
        Result.UNKNOWN_MOVEMENT: Message("Unknown movement", "库存流水不存在"),
        Result.UNKNOWN_RESERVATION: Message("Unknown reservation", "预留不存在"),
        Result.UNKNOWN_UNIT: Message(
            "Unknown unit for this item: add a unit conversion", "该物料没有此单位：请添加单位换算"
        ),
        Result.TENANT_MISMATCH: Message(
            "The item, location or batch belongs to another tenant", "物料、库位或批次属于其他租户"
        ),
        Result.EXISTS: Message("Already posted; this is the original result", "已过账，返回原结果"),
        Result.EXISTS_WITH_DIFFERENT_PAYLOAD: Message(
            "Already posted with different content: this retry does not match the original",
            "已用不同内容过账：本次重试与原内容不一致",
        ),
        Result.ALREADY_REVERSED: Message("The movement is already reversed", "该流水已冲销"),
        Result.NOT_REVERSIBLE: Message(
            "A reversal cannot be reversed: post a new movement instead",
            "冲销流水不能再冲销：请重新过账",
        ),
        Result.RESERVATION_NOT_PENDING: Message(
            "The reservation is no longer pending", "该预留已不是待处理状态"
        ),
        Result.PAST_DATED: Message(
            "The posting date falls in a closed period: use a date after the closing",
            "过账日期在已关账期间内：请使用关账之后的日期",
        ),
        Result.INVALID_QUANTITY: Message(
            "The quantity must be greater than zero with at most 6 decimal places",
            "数量必须大于零且最多 6 位小数",
        ),
        Result.INVALID_COST: Message(
            "The unit cost must be zero or more with at most 6 decimal places",
            "单价必须不小于零且最多 6 位小数",
        ),
        Result.SAME_LOCATION: Message(
            "Source and destination are the same location", "来源与目标库位相同"
        ),
        Result.BOM_CYCLE: Message(
            "The bill of materials contains a cycle: remove one of the lines on the path",
            "物料清单存在循环引用：请删除路径上的某一行",
        ),
        Result.BOM_TOO_LARGE: Message(
            "The bill of materials explodes into too many lines", "物料清单展开后行数过多"
        ),
    }
)


def result_problem(
    code: Result, details: Mapping[str, str] | None = None, source: Source | None = None
) -> Problem:
    """A :class:`Problem` for a result code; details are appended to both languages."""
    message = code.message
    if details:
        extra = ", ".join(f"{k}={v}" for k, v in details.items())
        message = Message(f"{message.en} ({extra})", f"{message.zh}（{extra}）")
    return Problem(code.code, message, source or Source())


@dataclass(frozen=True, slots=True)
class Shortage:
    """How far one balance key is from covering a request."""

    key: BalanceKey
    requested: Decimal
    available: Decimal

    @property
    def missing(self) -> Decimal:
        return self.requested - self.available


@dataclass(frozen=True, slots=True)
class PostingResult:
    """What planning or posting returns.

    On ``OK``: ``movements`` to insert, ``deltas`` (``(key, Delta)`` pairs in lock order)
    to apply with guarded updates, and ``reservations`` (new or changed reservation
    rows). Otherwise all three are empty and ``details`` / ``shortages`` say why.
    """

    code: Result
    movements: tuple[Movement, ...] = ()
    deltas: tuple[tuple[BalanceKey, Delta], ...] = ()
    reservations: tuple[Reservation, ...] = ()
    details: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    shortages: tuple[Shortage, ...] = ()

    @property
    def ok(self) -> bool:
        return self.code is Result.OK

    def problem(self, source: Source | None = None) -> Problem:
        return result_problem(self.code, self.details, source)


def failure(code: Result, shortages: tuple[Shortage, ...] = (), **details: object) -> PostingResult:
    """A failed result with details rendered as text."""
    assert code is not Result.OK
    text = {k: str(v) for k, v in details.items()}
    return PostingResult(code, details=MappingProxyType(text), shortages=shortages)
