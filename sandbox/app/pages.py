"""Every page of the app, declared once: its address, title and icon, its place in the navigation, and the
function that draws it. Links and moves between pages name these objects (``pages.PLAY``), never a path.

A page's module is imported when the page is first drawn, as Streamlit does for a page file: the views link
to one another through this table without importing one another.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import streamlit as st

from sandbox.app.state import PHASE_TITLES


@dataclass(frozen=True)
class Page:
    url_path: str  # the address: <server>/<url_path> (the default page is also at <server>/)
    title: str
    section: str  # its heading in the navigation
    draws: str  # "<module>.<function>" in sandbox.app
    icon: str | None = None
    phase: str | None = None  # a lifecycle phase's page passes the phase to its function
    default: bool = False

    def __call__(self) -> None:
        module, _, function = self.draws.rpartition(".")
        draw = getattr(importlib.import_module(f"sandbox.app.{module}"), function)
        if self.phase is None:
            draw()
        else:
            draw(self.phase)

    def st_page(self) -> st.Page:
        """The Streamlit page: what ``st.navigation``, ``st.page_link`` and ``st.switch_page`` take."""
        return st.Page(self, title=self.title, icon=self.icon, url_path=self.url_path, default=self.default)


START = Page("start", "Choose a scenario", "Start", "start.page", ":material/home:", default=True)
PHASE = {phase: Page(f"phase_{phase}", f"{number}. {title}", "Lifecycle", "phase.phase_page", phase=phase)
         for number, (phase, title) in enumerate(PHASE_TITLES.items(), start=1)}
PLAY = Page("play", "Play the year", "Play and learn", "play.page", ":material/play_circle:")
RESULTS = Page("results", "Results and feedback", "Play and learn", "results.page", ":material/insights:")
COMPARE = Page("compare", "Compare attempts", "Play and learn", "compare.page", ":material/compare:")
JOIN = Page("join", "Join a workshop", "Workshop", "join.page", ":material/groups:")
DEBRIEF = Page("debrief", "Workshop debrief", "Workshop", "debrief.page", ":material/forum:")
FACILITATOR = Page("facilitator", "Facilitator console", "Workshop", "console.page", ":material/co_present:")

ALL = (START, *PHASE.values(), PLAY, RESULTS, COMPARE, JOIN, DEBRIEF, FACILITATOR)


def for_stage(stage: str) -> Page:
    """The page where an attempt at this stage carries on: a phase's page, the play page or the results."""
    return {"play": PLAY, "results": RESULTS}.get(stage) or PHASE.get(stage, PHASE["problem"])


def navigation() -> dict[str, list[st.Page]]:
    """The sections and their pages, in order, for ``st.navigation``."""
    sections: dict[str, list[st.Page]] = {}
    for page in ALL:
        sections.setdefault(page.section, []).append(page.st_page())
    return sections


def link(page: Page, label: str | None = None, icon: str | None = None) -> None:
    st.page_link(page.st_page(), label=label, icon=icon)
