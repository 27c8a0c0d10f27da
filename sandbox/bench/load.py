"""Many learners at once against a running server, as their browsers speak to it.

A learner's browser talks to the Streamlit server over one WebSocket: each click sends a ``BackMsg``
asking for a rerun with the page's widget values, and the server answers with the page's elements as
``ForwardMsg`` protobufs until the script has finished. This client does exactly that (and first fetches
the page and its scripts over HTTP, as a first visit does), so dozens of learners can be driven from
the same machine as the server without dozens of browsers taking the server's CPU: on a 2-core machine
30 headless Chromium pages use about six times the CPU the server does, and would measure the
browsers rather than the server. Rendering happens on each learner's own machine and is not counted;
everything the server does (scripts, database, simulations, static files, WebSocket traffic) is.

Used by ``sandbox bench`` for the "30 learners at once" figure and by the tests that drive the
workshop with many sessions.
"""

from __future__ import annotations

import asyncio
import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

ASSETS = re.compile(r'(?:src|href)="(\./static/[^"]+\.(?:js|css))"')


class LoadError(RuntimeError):
    """The page did not show what the learner was waiting for (or showed a Streamlit exception)."""


@dataclass
class Page:
    """What one script run put on the screen."""

    elements: list = field(default_factory=list)  # (type, proto) in the order they arrived
    finished: int | None = None

    def text(self) -> str:
        return "\n".join(str(el) for _, el in self.elements)

    def widget(self, kind: str, label: str):
        for t, el in self.elements:
            if t == kind and getattr(el, "label", None) == label:
                return el
        raise LoadError(f"no {kind} labelled {label!r} on the page")

    def headings(self) -> list[str]:
        return [el.body for t, el in self.elements if t == "heading"]


class Learner:
    """One learner's browser tab, at the protocol level."""

    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.ws = None
        self.query = ""
        self.pages: dict[str, str] = {}  # page title -> page script hash
        self.page_hash = ""
        self.values: dict[str, object] = {}  # widget id -> WidgetState kept between reruns
        self.page = Page()

    async def open(self, fetch_assets: bool = True) -> Page:
        import websockets

        if fetch_assets:
            await asyncio.to_thread(self._fetch_page)
        ws_url = self.base.replace("http", "ws", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None)
        return await self.rerun()

    def _fetch_page(self) -> None:
        html = urllib.request.urlopen(self.base + "/", timeout=60).read().decode()
        for path in ASSETS.findall(html):
            urllib.request.urlopen(urllib.parse.urljoin(self.base + "/", path), timeout=60).read()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    # ------------------------------------------------------------------ actions

    def fill(self, kind: str, label: str, value) -> None:
        """Set a widget's value, to be sent with the next rerun (as typing into a form does)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        el = self.page.widget(kind, label)
        state = WidgetState(id=el.id)
        if kind in ("text_input", "text_area"):
            state.string_value = value
        elif kind in ("selectbox", "radio"):
            options = list(el.options)
            match = [o for o in options if o == value] or [o for o in options if value.lower() in o.lower()]
            if not match:
                raise LoadError(f"{label!r} has no option like {value!r}: {options}")
            state.string_value = match[0]
        elif kind == "number_input":
            state.double_value = float(value)
        else:
            raise LoadError(f"cannot fill a {kind}")
        self.values[el.id] = state

    async def click(self, label: str) -> Page:
        """Press a button (a form's submit button sends the form's values with it)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        el = self.page.widget("button", label)
        return await self.rerun(trigger=WidgetState(id=el.id, trigger_value=True))

    async def go(self, title: str) -> Page:
        """Follow a navigation link."""
        if title not in self.pages:
            raise LoadError(f"no page titled {title!r} in the navigation")
        self.page_hash = self.pages[title]
        return await self.rerun()

    async def rerun(self, trigger=None) -> Page:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query
        rs.page_script_hash = self.page_hash
        rs.widget_states.SetInParent()
        shown = {el.id for _, el in self.page.elements if getattr(el, "id", "")}
        for wid, state in self.values.items():
            if wid in shown:
                rs.widget_states.widgets.append(state)
        if trigger is not None:
            rs.widget_states.widgets.append(trigger)
        await self.ws.send(msg.SerializeToString())
        return await self._read_until_done()

    async def _read_until_done(self) -> Page:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        page = Page()
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                page = Page()
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in fwd.navigation.app_pages}
                self.page_hash = fwd.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query = fwd.page_info_changed.query_string
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                t = el.WhichOneof("type")
                if t == "exception":
                    raise LoadError(f"the page shows an exception: {el.exception.message}")
                page.elements.append((t, getattr(el, t)))
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    page = Page()  # st.rerun or a page switch: the next run draws the page afresh
                    continue
                if fwd.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    raise LoadError("the page's script did not compile")
                page.finished = fwd.script_finished
                self.page = page
                return page


async def timed(timings: list, name: str, action, expect: str) -> None:
    """Time one action from sending it to the server's finished page, which must show ``expect``."""
    t0 = time.perf_counter()
    page = await action
    elapsed = time.perf_counter() - t0
    if expect not in page.text():
        raise LoadError(f"after {name!r} the page does not show {expect!r}")
    timings.append((name, elapsed))


async def learner_flow(base_url: str, index: int, timings: list, cleaning: tuple, gates: tuple) -> None:
    """The same walk as the browser benchmark: sign in, start the flagship, decide, save, run the year."""
    me = Learner(base_url)
    try:
        await timed(timings, "open", me.open(), "Begin")
        me.fill("text_input", "Display name (shown to your facilitator; no other personal data is kept)",
                f"Learner {index}")
        await timed(timings, "sign in", me.click("Begin"), "Start a new attempt")
        me.fill("selectbox", "Scenario", "Welfare benefits claim triage")
        await timed(timings, "start", me.click("Start"), "Problem definition")
        await timed(timings, "open phase", me.go("2. Data management"), "How are the data cleaned?")
        me.fill("selectbox", "How are the data cleaned?", cleaning[index % 3])
        me.fill("selectbox", "Validate each incoming batch before scoring?", gates[(index // 3) % 3])
        await timed(timings, "save decisions", me.click("Save decisions"), "decisions saved")
        await timed(timings, "open play", me.go("Play the year"), "Run the year")
        await timed(timings, "run the year", me.click("Run the year"), "/ 100")
    finally:
        await me.close()


async def drive(base_url: str, learners: int, cleaning: tuple, gates: tuple, first: int = 0) -> list:
    timings: list = []
    await asyncio.gather(*(learner_flow(base_url, first + i, timings, cleaning, gates) for i in range(learners)))
    return timings
