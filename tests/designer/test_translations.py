"""The compiled Chinese catalogue matches its source and covers every UI string."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "designer" / "translations"


def test_mo_is_compiled_from_the_current_po() -> None:
    po_path = ROOT / "zh" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as fh:
        po = read_po(fh)
    with (ROOT / "zh" / "LC_MESSAGES" / "messages.mo").open("rb") as fh:
        mo = read_mo(fh)
    po_pairs = {m.id: m.string for m in po if m.id}
    mo_pairs = {m.id: m.string for m in mo if m.id}
    assert po_pairs == mo_pairs, "run: make i18n"
    assert all(po_pairs.values()), "every message has a Chinese translation"


def test_catalogue_covers_the_template(tmp_path: Path) -> None:
    with (ROOT / "messages.pot").open("rb") as fh:
        template = {m.id for m in read_po(fh) if m.id}
    with (ROOT / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        translated = {m.id for m in read_po(fh) if m.id}
    assert template <= translated, "run: make i18n and translate the new strings"
