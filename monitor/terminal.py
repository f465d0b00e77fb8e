"""Terminal output that shows outside text (feed titles, file contents, errors) as plain text.

Feed content is hostile input: a title may carry Rich markup (`[link=file:///etc/passwd]`, a
stray `[/bold]` that crashes rendering) or terminal escape sequences (`ESC]0;...BEL` retitles the
window, `ESC[2J` clears the screen). Every command prints through these consoles, whose every
string, in `print` and in table cells alike, is rendered without markup, emoji codes or
highlighting and with control characters removed. Waspada's own styling uses `style=` or `Text`.
"""
from __future__ import annotations

import re

from rich.console import Console
from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls (including the 8-bit CSI), and the Unicode
# bidirectional overrides and isolates that can make a terminal show text in a misleading order.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A whole escape sequence (CSI ... final byte, OSC ... BEL/ST), so its parameters do not remain as text.
_ESCAPE_SEQUENCE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")


def plain(text: object) -> str:
    """`text` as a string without escape sequences or control characters (tab and newline kept)."""
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", str(text)))


class PlainConsole(Console):
    """A Rich console that never interprets markup in strings and strips control characters."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("highlight", False)
        super().__init__(markup=False, emoji=False, **kwargs)

    def render_str(self, text: str, **kwargs) -> Text:  # every str, printed or in a table cell, comes here
        kwargs.update(markup=False, emoji=False)
        return super().render_str(plain(text), **kwargs)


console = PlainConsole()
err_console = PlainConsole(stderr=True)
