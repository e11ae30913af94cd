"""The case desk's persistence API, assembled in one namespace.

The implementation is split by concern (see docs/architecture.md, "Persistence"):

==========================  =====================================================
``wanzheng.db``             engines, sessions, the declarative base, migrations
``cases/models.py``         the tables
``cases/users.py``          :class:`Actor`, accounts, passwords, tokens, persons
``cases/seed.py``           seeding of routing and category tables
``cases/tables.py``         editing them; the routing snapshot :func:`grid_index`
``cases/intake.py``         new cases, one at a time or a batch (bulk inserts)
``cases/crud.py``           queues, transitions, deadlines, escalation, measures
``cases/contacts.py``       masking and the unmasking log
``cases/duplicates.py``     duplicate search
==========================  =====================================================

Library code imports from those modules; this module keeps the names callers (tests,
scripts, the benchmarks) have always imported from ``wanzheng.cases.store`` working, and a
test checks that ``__all__`` lists exactly what it assembles.
"""

from __future__ import annotations

from wanzheng.cases.contacts import (
    ROLES_WHO_UNMASK,
    Contact,
    log_bulk_unmask,
    unmask_contact,
    unmask_log,
)
from wanzheng.cases.crud import (
    AFTER_PHOTO_MAX,
    AFTER_PHOTO_STATES,
    REROUTE_STATES,
    apply_action,
    attach_after_photos,
    case_events,
    escalate_overdue,
    extend_deadline,
    find_cases,
    get_case,
    get_case_by_tracking,
    list_cases,
    measures_frame,
    missed_now,
    overdue_page,
    rate_case,
    scoped,
    visible,
)
from wanzheng.cases.duplicates import duplicate_candidates
from wanzheng.cases.intake import (
    TEXT_MAX_CHARS,
    CaseReceipt,
    NewCase,
    PreparedCase,
    create_case,
    prepare_case,
    store_prepared,
    store_prepared_many,
)
from wanzheng.cases.models import (
    CATEGORY_SOURCES,
    Area,
    Case,
    CaseEvent,
    CaseExtension,
    CasePhoto,
    CategoryRow,
    Community,
    Department,
    Grid,
    Person,
    Token,
    UnmaskLog,
    User,
)
from wanzheng.cases.seed import seed_tables
from wanzheng.cases.tables import grid_index, list_table, upsert_row
from wanzheng.cases.users import (
    STAFF_ROLES,
    Actor,
    authenticate,
    create_user,
    issue_token,
    resolve_token,
    revoke_token,
)
from wanzheng.db import Base, UTCDateTime, make_engine, make_sessionmaker

__all__ = [
    "AFTER_PHOTO_MAX",
    "AFTER_PHOTO_STATES",
    "CATEGORY_SOURCES",
    "REROUTE_STATES",
    "ROLES_WHO_UNMASK",
    "STAFF_ROLES",
    "TEXT_MAX_CHARS",
    "Actor",
    "Area",
    "Base",
    "Case",
    "CaseEvent",
    "CaseExtension",
    "CasePhoto",
    "CaseReceipt",
    "CategoryRow",
    "Community",
    "Contact",
    "Department",
    "Grid",
    "NewCase",
    "Person",
    "PreparedCase",
    "Token",
    "UTCDateTime",
    "UnmaskLog",
    "User",
    "apply_action",
    "attach_after_photos",
    "authenticate",
    "case_events",
    "create_case",
    "create_user",
    "duplicate_candidates",
    "escalate_overdue",
    "extend_deadline",
    "find_cases",
    "get_case",
    "get_case_by_tracking",
    "grid_index",
    "issue_token",
    "list_cases",
    "list_table",
    "log_bulk_unmask",
    "make_engine",
    "make_sessionmaker",
    "measures_frame",
    "missed_now",
    "overdue_page",
    "prepare_case",
    "rate_case",
    "resolve_token",
    "revoke_token",
    "scoped",
    "seed_tables",
    "store_prepared",
    "store_prepared_many",
    "unmask_contact",
    "unmask_log",
    "upsert_row",
    "visible",
]
