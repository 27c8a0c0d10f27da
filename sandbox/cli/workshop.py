"""``sandbox workshop create | export | unlock``: set up a workshop before the day, export it after (scores
CSV, full JSON, or the offline HTML debrief report), and lift every wait on the facilitator's sign-in from the
room's laptop if wrong passphrases have held the console back.

The facilitator passphrase comes from ``SANDBOX_FACILITATOR_PASSPHRASE`` when it is set (configuration),
else it is asked for at the terminal, else (no terminal: a script) one is made up and shown once.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path

PASSPHRASE_ENV = "SANDBOX_FACILITATOR_PASSPHRASE"
PUBLIC_URL_ENV = "SANDBOX_PUBLIC_URL"


def add_commands(sub) -> None:
    p = sub.add_parser("workshop", help="create a workshop (join code and link), export one, or unlock its "
                       "facilitator sign-in")
    cmds = p.add_subparsers(dest="workshop_command", required=True)
    c = cmds.add_parser("create", help="create a workshop and print its join code and link")
    c.add_argument("--scenario", required=True, help="scenario id")
    c.add_argument("--name", required=True, help="the workshop's name, as learners will see it")
    c.add_argument("--difficulty", default="standard", choices=("introductory", "standard", "advanced"))
    c.add_argument("--team-size", type=int, default=4, help="members per team when teams are formed (default 4)")
    c.add_argument("--seed", type=int, default=1, help="the seed every team plays (default 1)")
    c.add_argument("--url", default=None, help=f"the app's address for the link (default: {PUBLIC_URL_ENV}, "
                   "else http://localhost:8501)")
    c.add_argument("--db", help="database URL (default: DATABASE_URL, else a SQLite file in ./sandbox-data)")
    c.set_defaults(func=cmd_create)
    e = cmds.add_parser("export", help="export a workshop's scores (CSV), everything (JSON) or the debrief "
                        "report (HTML that works offline)")
    e.add_argument("code", help="the workshop's join code")
    e.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    e.add_argument("--for", dest="audience", choices=("facilitator", "learners"), default="facilitator",
                   help="HTML only: the facilitator's report (with notes, expected actions and reflections) or "
                        "the learners' (without them)")
    e.add_argument("--out", type=Path, required=True, help="file to write")
    e.add_argument("--db", help="database URL (default: DATABASE_URL, else a SQLite file in ./sandbox-data)")
    e.set_defaults(func=cmd_export)
    u = cmds.add_parser("unlock", help="lift every wait that wrong passphrases put on the facilitator's sign-in")
    u.add_argument("code", help="the workshop's join code")
    u.add_argument("--db", help="database URL (default: DATABASE_URL, else a SQLite file in ./sandbox-data)")
    u.set_defaults(func=cmd_unlock)


def _store(url: str | None):
    from sandbox.store import default_url, open_store

    return open_store(url or default_url())


def _passphrase() -> tuple[str, bool]:
    """(passphrase, made up here)."""
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV], False
    if sys.stdin.isatty():
        first = getpass.getpass("Facilitator passphrase (at least 8 characters): ")
        if getpass.getpass("The same again: ") != first:
            raise ValueError("the two passphrases differ")
        return first, False
    return secrets.token_urlsafe(12), True


def cmd_create(args) -> int:
    from sandbox.store.common import StoreError
    from sandbox.workshop import show_code
    from sandbox.workshop.facilitation import create_workshop, join_link

    try:
        passphrase, made_up = _passphrase()
        found = create_workshop(_store(args.db), args.scenario, args.name, passphrase, args.difficulty,
                                args.team_size, args.seed)
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    base = args.url or os.environ.get(PUBLIC_URL_ENV) or "http://localhost:8501"
    print(f"workshop '{found['name']}': {found['scenario_id']}, {found['difficulty']}, teams of {found['team_size']}")
    print(f"join code: {show_code(found['code'])}")
    print(f"join link: {join_link(base, found['code'])}")
    if made_up:
        print(f"facilitator passphrase (shown once, keep it): {passphrase}")
    return 0


def cmd_export(args) -> int:
    from sandbox.reports.exports import export
    from sandbox.workshop import Refused

    try:
        text = export(_store(args.db), args.code, args.format, args.audience)
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.format.upper()} written to {args.out}")
    return 0


def cmd_unlock(args) -> int:
    from sandbox.store.common import StoreError, now
    from sandbox.workshop import show_code

    store = _store(args.db)
    try:
        found = store.workshop(args.code)
        tries = store.sign_in_tries(found["id"])
        store.unlock_sign_in(args.code)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    held = [c for c, t in tries.items() if c != "*" and t["wait_until"] is not None and t["wait_until"] > now()]
    wrong = sum(t["failures"] for c, t in tries.items() if c != "*")
    print(f"workshop '{found['name']}' ({show_code(found['code'])}): sign-in unlocked; {wrong} wrong "
          f"passphrase{'s' if wrong != 1 else ''} in a row forgotten"
          + (f", {len(held)} address{'es' if len(held) != 1 else ''} no longer held back" if held else ""))
    return 0
