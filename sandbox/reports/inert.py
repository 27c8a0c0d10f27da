"""Text people typed (display names, team and workshop names, notes, peer reviews, reflections, poll answers,
inject messages) made inert for each place it is shown, so it reads as the words typed and never acts.

* Markdown (Streamlit's text elements, widget labels, radio options, expander labels): every ASCII
  punctuation mark is backslash-escaped, which CommonMark allows for all of them. Links, images (which the
  browser would fetch), emphasis, headings, HTML, Streamlit's ``:color[...]`` and ``:icon:`` directives,
  ``$`` maths and bare ``http://`` addresses (which GitHub-flavoured Markdown turns into links) all lose the
  characters that start them, and the text shows as typed.
* Plotly labels (trace names, axis categories): Plotly reads a small set of HTML tags in text; ``<`` and
  ``>`` become entities, which it shows as the characters.
* Spreadsheet cells (CSV exports): a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  is read by spreadsheet programs as a formula; OWASP's CSV-injection guidance is to put a single quote in
  front, which the program shows as text. Numbers are left as they are.

HTML reports escape with ``html.escape`` where they are built.
"""

from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def markdown(text: object) -> str:
    """``text`` as Markdown that shows exactly these characters and does nothing else."""
    return _PUNCTUATION.sub(r"\\\1", str(text))


def plotly(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(value: object) -> object:
    """A spreadsheet cell that cannot run as a formula (strings only: numbers stay numbers)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
