"""Flowledger's engine: definitions, the rules interpreter, the ledger, and the store.

Layering (DESIGN.md §2): ``services`` opens transactions and calls the pure core
(``forms``, ``flows``, ``rules``, ``ledger``) and the ``store``. The pure core never
imports Flask, SQLAlchemy, RQ or Redis; only ``engine.store`` talks SQL.
"""

__version__ = "0.1.0"
