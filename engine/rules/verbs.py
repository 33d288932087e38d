"""The verb registry: the words that post stock, and what each one does.

A stock statement reads ``<verb> <qty> of <item> <prep> <location> [to <location>]``
(or ``<verb> <item> <prep> <location> … by <qty>``). The grammar accepts any name
as the verb; the checker looks the word up here. A :class:`Verb` names the ledger
**operation** it performs — one of :data:`OPERATIONS`, the ledger's own — and the
prepositions that read well with it. The operation decides the rest: which clauses
apply (:data:`CAPABILITIES`) and whether a destination (``to <location>``) is
required.

Plugins add words with :meth:`VerbRegistry.register` before the registry is frozen:
a synonym in the tenant's language (``Verb("入库", "receive", ("into",))``) or a
word of the trade (``Verb("consume", "issue", ("from",))``). A verb can only ever
do what a ledger operation does, so every guarantee of the ledger holds for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

OPERATIONS = ("receive", "issue", "reserve", "release", "scrap", "move", "count")
PREPOSITIONS = ("at", "from", "into", "to")

# Words the grammar reserves as keywords: they cannot name a verb. ``release`` and
# ``count`` are keywords *and* built-in verbs (``release reservations``; the count
# statement's own shape); a test keeps this set equal to the grammar's keywords.
KEYWORDS = frozenset({
    "on", "at", "from", "into", "to", "for", "when", "let", "validate", "release", "count",
    "lock", "unlock", "recipe", "bom", "batch", "expires", "cost", "pick", "fefo", "fifo",
    "not", "and", "or", "true", "false", "null", "in", "if", "else", "of", "by", "as",
    "reservations",
})  # fmt: skip
_BUILTIN_KEYWORD_VERBS = frozenset({"release", "count"})
_NAME = re.compile(r"[^\W\d]\w*\Z")


@dataclass(frozen=True, slots=True)
class Capability:
    """What the statements of one ledger operation may say."""

    pick_policy: bool  # pick fefo | pick fifo
    cost: bool  # cost <amount>
    expiry: bool  # expires <date>
    destination: bool  # to <location> (required when True, refused otherwise)


CAPABILITIES: Mapping[str, Capability] = {
    "receive": Capability(pick_policy=False, cost=True, expiry=True, destination=False),
    "issue": Capability(pick_policy=True, cost=False, expiry=False, destination=False),
    "reserve": Capability(pick_policy=True, cost=False, expiry=False, destination=False),
    "release": Capability(pick_policy=False, cost=False, expiry=False, destination=False),
    "scrap": Capability(pick_policy=True, cost=False, expiry=False, destination=False),
    "move": Capability(pick_policy=True, cost=False, expiry=False, destination=True),
    "count": Capability(pick_policy=False, cost=True, expiry=True, destination=False),
}


@dataclass(frozen=True, slots=True)
class Verb:
    """``word`` as admins write it; ``operation`` what the ledger does; the first of
    ``prepositions`` is the one suggested when another is written."""

    word: str
    operation: str
    prepositions: tuple[str, ...]
    doc: str = ""

    def __post_init__(self) -> None:
        if not _NAME.match(self.word):
            raise ValueError(f"verb {self.word!r} is not a name")
        if self.word in KEYWORDS and self.word not in _BUILTIN_KEYWORD_VERBS:
            raise ValueError(f"verb {self.word!r} is a keyword of the rules language")
        if self.operation not in OPERATIONS:
            raise ValueError(f"verb {self.word!r}: unknown operation {self.operation!r}; "
                             f"use one of {', '.join(OPERATIONS)}")  # fmt: skip
        if not self.prepositions or not set(self.prepositions) <= set(PREPOSITIONS):
            raise ValueError(f"verb {self.word!r}: prepositions must be among "
                             f"{', '.join(PREPOSITIONS)}")  # fmt: skip
        if self.operation == "count" and self.word != "count":
            raise ValueError("a count is written with the `count … as …` statement; "
                             "no other word can perform it")  # fmt: skip

    @property
    def can(self) -> Capability:
        return CAPABILITIES[self.operation]


class VerbRegistry:
    """Stock verbs by word. Register, then :meth:`freeze`, then pass it in."""

    __slots__ = ("_frozen", "_verbs")

    def __init__(self, verbs: Iterable[Verb] = ()) -> None:
        self._verbs: dict[str, Verb] = {}
        self._frozen = False
        for verb in verbs:
            self.register(verb)

    def register(self, verb: Verb) -> None:
        if self._frozen:
            raise RuntimeError("the verb registry is frozen")
        if verb.word in self._verbs:
            raise ValueError(f"duplicate verb {verb.word!r}")
        self._verbs[verb.word] = verb

    def freeze(self) -> VerbRegistry:
        self._frozen = True
        return self

    def get(self, word: str) -> Verb | None:
        return self._verbs.get(word)

    def words(self) -> list[str]:
        return sorted(self._verbs)


BUILTINS: tuple[Verb, ...] = (
    Verb("receive", "receive", ("into", "at", "to"), "Stock arrives at a location (from the supplier)."),
    Verb("increment", "receive", ("at", "into", "to"), "Another word for receive."),
    Verb("issue", "issue", ("from", "at"), "Stock leaves a location (to the customer); batches are picked."),
    Verb("decrement", "issue", ("at", "from"), "Another word for issue."),
    Verb("reserve", "reserve", ("at", "from"), "Hold stock for this document: available drops, on hand stays."),
    Verb("release", "release", ("from", "at"), "Give back (part of) this document's reservation."),
    Verb("scrap", "scrap", ("from", "at"), "Stock is lost or destroyed: it goes to the scrap location."),
    Verb("move", "move", ("from",), "Stock goes from one location to another (`to <location>`)."),
    Verb("count", "count", ("at",), "A stocktake: the difference to the counted quantity is posted."),
)  # fmt: skip


def default_verbs() -> VerbRegistry:
    """A new, unfrozen registry with the built-in verbs."""
    return VerbRegistry(BUILTINS)
