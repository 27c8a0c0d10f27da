"""What the store's modules share: the error they raise, name checks, the clock."""

from __future__ import annotations

from datetime import UTC, datetime

NAME_MAX = 80


class StoreError(ValueError):
    """A request the store refuses (an empty name, an unknown attempt...)."""


def clean_name(name: str, what: str = "a display name") -> str:
    name = " ".join(str(name).split())
    if not name:
        raise StoreError(f"{what} is needed")
    if len(name) > NAME_MAX:
        raise StoreError(f"{what} is at most {NAME_MAX} characters")
    return name


def now() -> datetime:
    return datetime.now(UTC)
