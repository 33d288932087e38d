"""Examples of ``/api/v1/session``: a store manager signing in."""

from __future__ import annotations

SIGN_IN = {"username": "s1-mgr", "password": "correct horse battery", "tenant": "acme"}
ME = {"user_id": 6, "username": "s1-mgr", "display_name": "吴店长 Wu (store 1 manager)",
      "tenant": {"id": 1, "slug": "acme"}, "is_admin": False, "roles": ["pos", "store_manager"],
      "permissions": ["definitions.view", "documents.act", "documents.create", "documents.view",
                      "identity.view", "masterdata.view", "sales.post", "stock.view"],
      "credential": "token"}
SIGNED_IN = ME | {"credential": "session",
                  "csrf_token": "IjczNTgzMzY3MmViMjUyYmI4MmU1OThjMjU0MDRlY2Q1ZTVmYWJhODQi."
                                "ZlrOWQ.7K7lW5O5ymS26jb0juBDhNPoN-M"}
