"""Examples of the identity operations: the chain's staff, roles, departments, tokens."""

from __future__ import annotations

from designer.api.examples import page

TENANTS = [{"id": 1, "slug": "acme", "name": "Acme 便利连锁"}]

MEMBER = {"id": 7, "username": "s1-clerk", "display_name": "郑店员 Zheng (store 1 clerk)",
          "email": "zheng@acme.example", "is_active": True, "is_admin": False,
          "status": "active", "department_id": 3, "department": "s1", "roles": ["clerk", "pos"],
          "created_at": "2024-05-20T08:30:00+00:00",
          "last_login_at": "2024-06-01T07:55:12+00:00"}
MANAGER = {"id": 6, "username": "s1-mgr", "display_name": "吴店长 Wu (store 1 manager)",
           "email": None, "is_active": True, "is_admin": False, "status": "active",
           "department_id": 3, "department": "s1", "roles": ["store_manager"],
           "created_at": "2024-05-20T08:29:41+00:00", "last_login_at": None}
MEMBERS = page(MANAGER, MEMBER, next_cursor="Wzdd")

NEW_USER = {"username": "s1-clerk", "display_name": "郑店员 Zheng (store 1 clerk)",
            "email": "zheng@acme.example", "department": "s1", "roles": ["clerk", "pos"]}
NEW_USER_OUT = {"id": 7, "username": "s1-clerk", "display_name": "郑店员 Zheng (store 1 clerk)",
                "is_admin": False, "roles": ["clerk", "pos"],
                "password": "vwGT14cuOquo1xyTU9PE"}

MEMBERSHIP = {"department": "s2"}
MOVED = MEMBER | {"department_id": 4, "department": "s2"}
ROLE_GRANT = {"role": "store_manager"}
GRANTED = MEMBER | {"roles": ["clerk", "pos", "store_manager"]}

ROLE = {"id": 2, "key": "store_manager", "labels": {"zh": "店长", "en": "Store manager"}}
NEW_ROLE = {"key": "store_manager", "labels": {"zh": "店长", "en": "Store manager"}}
ROLES = page({"id": 1, "key": "clerk", "labels": {"zh": "店员", "en": "Clerk"}}, ROLE,
             next_cursor="WzJd")

DEPARTMENT = {"id": 3, "code": "s1", "labels": {"zh": "一店（人民路店）", "en": "Store 1 (Renmin Rd)"},
              "parent_id": 1, "head_user_id": 6}
NEW_DEPARTMENT = {"code": "s1", "labels": {"zh": "一店（人民路店）", "en": "Store 1 (Renmin Rd)"},
                  "parent": "hq", "head": "s1-mgr"}
DEPARTMENTS = page({"id": 1, "code": "hq", "labels": {"zh": "总部", "en": "Head office"},
                    "parent_id": None, "head_user_id": 1}, DEPARTMENT)

TOKEN = {"id": 12, "name": "POS store 1 till 2", "prefix": "89e8fe915a84", "user_id": 7,
         "username": "s1-clerk", "created_at": "2024-05-21T09:00:00+00:00",
         "expires_at": "2030-12-31T23:59:59+00:00", "revoked_at": None,
         "last_used_at": "2024-06-01T12:04:33+00:00"}
TOKENS = page(TOKEN)
NEW_TOKEN = {"name": "POS store 1 till 2", "expires_at": "2030-12-31T23:59:59Z", "user_id": 7}
NEW_TOKEN_OUT = {"id": 12, "name": "POS store 1 till 2", "user_id": 7,
                 "token": "flt_89e8fe915a84_LaC7YoxHcXXDuY29I-BhtuDfO6A67qqBSH378pSg-ow"}
