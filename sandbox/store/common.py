"""What the store's modules share: the error they raise, name checks, the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from sandbox.workshop import Refused

NAME_MAX = 80


class StoreError(Refused):
    """A request the store refuses (an empty name, an unknown attempt...)."""


def clean_name(name: str, what: str = "a display name") -> str:
    name = " ".join(str(name).split())
    if not name:
        raise StoreError(f"{what} is needed")
    if len(name) > NAME_MAX:
        raise StoreError(f"{what} is at most {NAME_MAX} characters")
    return name


ID_MAX = 2**31 - 1  # row ids and seeds fit a 32-bit signed integer in every database
SEED_MAX = 9999


def row_id(value, what: str = "an id") -> int:
    """A row id from an address or a form: a whole number from 1 to ``ID_MAX``, else ``StoreError``."""
    text = str(value).strip()
    if not text.isdigit() or not 0 < int(text) <= ID_MAX:
        raise StoreError(f"{what} is a whole number from 1 to {ID_MAX}")
    return int(text)


def seed(value) -> int:
    """A seed as a learner or facilitator gives it: a whole number from 1 to ``SEED_MAX`` (not NaN, not ∞)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value in (
            float("inf"), float("-inf")) or int(value) != value or not 1 <= value <= SEED_MAX:
        raise StoreError(f"a seed is a whole number from 1 to {SEED_MAX}")
    return int(value)


def now() -> datetime:
    return datetime.now(UTC)
