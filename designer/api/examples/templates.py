"""Examples of the industry templates: the shipped retail chain."""

from __future__ import annotations

from designer.api.examples import named

RETAIL = {"key": "retail", "version": "1.0.0", "labels": {"zh": "连锁零售", "en": "Retail chain"},
          "description": {"zh": "总仓加三家门店的连锁便利店",
                          "en": "A convenience-store chain with a central warehouse and three "
                                "stores"},
          "industry": "retail",
          "forms": ["purchase_in", "sales_out", "transfer", "stocktake", "loss_report",
                    "customer_return", "supplier_return", "replenishment", "bulk_issue"],
          "demo": True}
TEMPLATES = {"items": [RETAIL]}
_FLOWS = ["bulk_issue", "customer_return", "loss_report", "purchase_in", "replenishment",
          "stocktake", "supplier_return", "transfer"]
TEMPLATE = {"manifest": RETAIL, "forms": sorted([*_FLOWS, "sales_out"]), "flows": _FLOWS,
            "rules": sorted([*_FLOWS, "sales_out"]),
            "seed": {"items": 40, "locations": 13, "roles": 5, "departments": 6, "users": 12,
                     "boms": 0},
            "demo_documents": 44, "problems": []}

INSTALL = named(
    plain=("Definitions, master data and staff only", {"demo": False}),
    demo=("Also run the demo documents (a store day: receipts, transfers, sales)",
          {"demo": True}))
INSTALLED = {"template": "retail", "version": "1.0.0",
             "applied": ["form transfer", "flow transfer", "rules transfer", "location WH",
                         "item WATER-550", "role store_manager", "user s1-mgr"],
             "kept": [], "unchanged": 0, "demo": [], "dry_run": False}
UPGRADE = named(
    dry_run=("Say what would change, change nothing", {"dry_run": True}),
    apply=("Upgrade now", {"dry_run": False}))
UPGRADED = {"template": "retail", "version": "1.1.0",
            "applied": ["form purchase_in", "rules purchase_in"],
            "kept": ["form transfer"], "unchanged": 61, "demo": [], "dry_run": True}
