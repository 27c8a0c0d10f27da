"""Saved progress: learners, attempts, plans, step-mode snapshots, scores and cached runs.

SQLAlchemy over any database URL (SQLite by default). Every change is committed
when it is made, so a refresh, a dropped connection or a server restart loses
nothing. The schema is versioned (see ``migrations``).
"""

from sandbox.store.db import DEFAULT_DATA_DIR, Store, default_url, open_store

__all__ = ["DEFAULT_DATA_DIR", "Store", "default_url", "open_store"]
