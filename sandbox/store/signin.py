"""The facilitator's sign-in, slowed down after wrong passphrases without letting anyone lock the facilitator
out.

* Each client address has its own count of wrong tries in a row and its own growing wait
  (``workshop.wait_after``): a learner guessing from one laptop slows down only that laptop.
* The workshop counts every wrong try too, and its wait grows after ``workshop.WORKSHOP_FREE_TRIES``; it holds
  back only clients that have failed themselves, so guesses spread over many laptops are slowed as well, and a
  client that has not failed (the facilitator at the room's laptop) is never made to wait.
* A try is counted before its passphrase is checked, in one transaction that first locks the workshop's row:
  tries sent at the same moment, through any number of app processes, are taken one after another, and each
  sees the count and the wait the one before it wrote. The right passphrase clears the client's count and the
  workshop's; ``unlock_sign_in`` (``sandbox workshop unlock CODE``) clears every count and wait.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from sandbox import workshop as ws
from sandbox.store.common import StoreError, now
from sandbox.store.tables import sign_in_tries, workshops

CLIENT_MAX = 64
UNKNOWN_CLIENT = "unknown"


class SignInRefused(StoreError):
    """A facilitator sign-in refused: a wrong passphrase, or a try made before the wait is over."""

    def __init__(self, message: str, wait_s: float, checked: bool):
        super().__init__(message)
        self.wait_s = wait_s
        self.checked = checked  # the passphrase was compared (False: refused by a wait, unchecked)


class SignInRecords:
    engine: Engine

    def facilitator_sign_in(self, code: str, passphrase: str, client: str = "", at: datetime | None = None) -> dict:
        """The workshop, if the passphrase is right and no wait holds this client back; else ``SignInRefused``.
        ``client``: the browser's address as the server sees it."""
        at = at or now()
        row = self._row_by_code(code)  # type: ignore[attr-defined]
        client = (str(client).strip() or UNKNOWN_CLIENT)[:CLIENT_MAX]
        client_failures, workshop_failures = self._count_try(row["id"], client, at)
        if ws.passphrase_matches(passphrase, row["passphrase_hash"]):
            self._clear(row["id"], client)
            return self.workshop_by_id(row["id"])  # type: ignore[attr-defined]
        wait = max(ws.wait_after(client_failures + 1), ws.wait_after(workshop_failures + 1, ws.WORKSHOP_FREE_TRIES))
        raise SignInRefused("wrong passphrase" + (f": try again in {wait:.0f} s" if wait else ""), wait, True)

    def _count_try(self, workshop_id: int, client: str, at: datetime) -> tuple[int, int]:
        """Count this try as a wrong one before it is checked (the right passphrase clears it), unless a wait
        holds the client back; returns the client's and the workshop's wrong tries before this one."""
        with self.engine.begin() as conn:
            # a write first: it locks the workshop's row (PostgreSQL) or the database (SQLite) until commit
            conn.execute(workshops.update().where(workshops.c.id == workshop_id)
                         .values(failed_logins=workshops.c.failed_logins))
            shop = conn.execute(select(workshops.c.failed_logins, workshops.c.login_wait_until)
                                .where(workshops.c.id == workshop_id)).one()
            where = (sign_in_tries.c.workshop_id == workshop_id) & (sign_in_tries.c.client == client)
            mine = conn.execute(select(sign_in_tries.c.failures, sign_in_tries.c.wait_until).where(where)).first()
            if mine is None:
                conn.execute(sign_in_tries.insert().values(workshop_id=workshop_id, client=client, failures=0))
                mine = (0, None)
            holds = [_aware(mine[1])] + ([_aware(shop[1])] if mine[0] > 0 else [])
            until = max((h for h in holds if h is not None), default=None)
            if until is not None and until > at:
                wait = (until - at).total_seconds()
                raise SignInRefused(f"too many wrong passphrases from this address: try again in {wait:.0f} s",
                                    wait, False)
            conn.execute(sign_in_tries.update().where(where).values(
                failures=mine[0] + 1, wait_until=_after(at, ws.wait_after(mine[0] + 1))))
            conn.execute(workshops.update().where(workshops.c.id == workshop_id).values(
                failed_logins=shop[0] + 1,
                login_wait_until=_after(at, ws.wait_after(shop[0] + 1, ws.WORKSHOP_FREE_TRIES))))
        return mine[0], shop[0]

    def _clear(self, workshop_id: int, client: str | None = None) -> None:
        """The counts and waits cleared: one client's and the workshop's, or (``client`` None) every client's."""
        with self.engine.begin() as conn:
            conn.execute(workshops.update().where(workshops.c.id == workshop_id)
                         .values(failed_logins=0, login_wait_until=None))
            gone = sign_in_tries.delete().where(sign_in_tries.c.workshop_id == workshop_id)
            conn.execute(gone if client is None else gone.where(sign_in_tries.c.client == client))

    def unlock_sign_in(self, code: str) -> dict:
        """Every wait on the workshop's sign-in lifted (the facilitator's recovery, from the room's laptop)."""
        row = self._row_by_code(code)  # type: ignore[attr-defined]
        self._clear(row["id"])
        return self.workshop_by_id(row["id"])  # type: ignore[attr-defined]

    def sign_in_tries(self, workshop_id: int) -> dict[str, dict]:
        """Each client's wrong tries in a row and its wait, and the workshop's (key ``"*"``): for tests and the
        recovery command's report."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sign_in_tries).where(sign_in_tries.c.workshop_id == int(workshop_id))
                                ).mappings().all()
            shop = conn.execute(select(workshops.c.failed_logins, workshops.c.login_wait_until)
                                .where(workshops.c.id == int(workshop_id))).one()
        out = {r["client"]: {"failures": r["failures"], "wait_until": _aware(r["wait_until"])} for r in rows}
        out["*"] = {"failures": shop[0], "wait_until": _aware(shop[1])}
        return out


def _after(at: datetime, wait_s: float) -> datetime | None:
    return at + timedelta(seconds=wait_s) if wait_s else None


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back times without their zone; they were written in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
