"""What a learner sees when something goes wrong on the server: a sentence and a reference, never a traceback.

Every page, and every fragment that redraws on its own, runs inside ``guard``. An unexpected error is
written to the server's log with a short reference id and the page shows one sentence with that id, so the
facilitator can find the detail without the learner's browser ever holding server paths or code. A lost
database connection gets its own sentence: the change being made was not saved, and trying again once the
server has reconnected is safe (everything acknowledged before is kept).

Streamlit's own ``st.rerun``, ``st.stop`` and ``st.switch_page`` raise ``BaseException`` subclasses, which
pass through. ``SANDBOX_RAISE_PAGE_ERRORS=1`` (the test suite sets it) lets errors through too, so a test
sees the exception itself.
"""

from __future__ import annotations

import functools
import logging
import os
import secrets
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

LOG = logging.getLogger("sandbox.app")
F = TypeVar("F", bound=Callable)

UNEXPECTED = ("Something went wrong on the server and this page stopped (reference {ref}). What you saved "
              "before is kept. Reload the page to carry on; if it happens again, tell your facilitator the "
              "reference.")
DATABASE = ("The server cannot reach its database just now and is reconnecting (reference {ref}). Your last "
            "change was not saved; everything saved before it is kept. Try again in a few seconds.")


def _database_error(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    return isinstance(exc, OperationalError | PoolTimeout) or (isinstance(exc, DBAPIError)
                                                              and exc.connection_invalidated)


def report(exc: Exception) -> str:
    """Log ``exc`` under a new reference and show the learner the sentence for it; returns the reference."""
    ref = secrets.token_hex(4)
    if _database_error(exc):  # one line: many sessions hit this at once, and the cause is the same
        LOG.error("page error %s: database unavailable: %s", ref, str(exc).splitlines()[0][:300])
        st.error(DATABASE.format(ref=ref), icon=":material/cloud_off:")
    else:
        LOG.error("page error %s", ref, exc_info=exc)
        st.error(UNEXPECTED.format(ref=ref), icon=":material/error:")
    return ref


def guard(fn: F) -> F:
    """``fn`` with its unexpected errors reported (see the module's text)."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if os.environ.get("SANDBOX_RAISE_PAGE_ERRORS") == "1":
                raise
            report(exc)
            return None

    return guarded  # type: ignore[return-value]
