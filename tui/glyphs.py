"""What nnbench draws with where only ASCII can be written (``--ascii``, or an output
encoding without box and block characters): one ASCII character for each character, so
every column stays where it was. Standard library only: the headless commands' output
goes through it before anything else is imported.
"""

from __future__ import annotations

import unicodedata

GLYPHS = "┌─┐│└┘┤┬█▀░▶•⢕…"
_NAMED = {
    "…": ".", "·": ".", "•": "o", "●": "*", "○": "o", "⭘": "o", "✓": "v", "✔": "v",
    "✗": "x", "✘": "x", "×": "x", "—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
    "▶": ">", "►": ">", "▸": ">", "→": ">", "◀": "<", "◄": "<", "◂": "<", "←": "<",
    "▲": "^", "▴": "^", "↑": "^", "▼": "v", "▾": "v", "↓": "v", "↔": "-", "≈": "~",
    "≤": "<", "≥": ">", "±": "+", "°": "o", "µ": "u", "█": "#", "▓": "#", "▒": ":",
    "░": ".", "▀": '"', "▔": "-", "▏": "|", "▕": "|", "▎": "|", "▐": "#", "▌": "#",
    "▅": "#", "▆": "#", "▇": "#", "🔎": ">",
}  # fmt: skip


def _box(name: str) -> str:
    """A box-drawing character by its Unicode name: a line along, a line down, or a joint."""
    if "DIAGONAL" in name:
        return "X" if "CROSS" in name else ("/" if "UPPER RIGHT" in name else "\\")
    along = "HORIZONTAL" in name or name.endswith((" LEFT", " RIGHT"))
    down = "VERTICAL" in name or name.endswith((" UP", " DOWN"))
    if along and not down and "AND" not in name:
        return "-"
    if down and not along and "AND" not in name:
        return "|"
    return "+"


class _AsciiTable(dict):
    """str.translate's table, filled in as characters are met."""

    def __missing__(self, code: int) -> str:
        if code < 128:
            raise LookupError  # ASCII stays as it is
        char = chr(code)
        name = unicodedata.name(char, "")
        if char in _NAMED:
            value = _NAMED[char]
        elif name.startswith("BOX DRAWINGS"):
            value = _box(name[len("BOX DRAWINGS ") :])
        elif name.startswith("BRAILLE PATTERN"):
            value = " " if name == "BRAILLE PATTERN BLANK" else "."
        elif "BLOCK" in name or "QUADRANT" in name:
            value = "_" if name.startswith("LOWER") else "#"
        elif unicodedata.combining(char):
            value = ""
        elif unicodedata.normalize("NFKD", char)[:1].isascii():  # é -> e
            value = unicodedata.normalize("NFKD", char)[0]
        else:
            value = "?"
        if unicodedata.east_asian_width(char) in "WF":  # a wide character: two columns
            value = value.ljust(2) if char in _NAMED else (value or "?") * 2
        self[code] = value
        return value


_ASCII = _AsciiTable()


def to_ascii(text: str) -> str:
    """``text`` in ASCII: boxes as + - |, blocks as #, arrows as > <, the rest as ?."""
    return text if text.isascii() else text.translate(_ASCII)


def encodes(encoding: str | None, sample: str = GLYPHS) -> bool:
    """Whether a stream in ``encoding`` can take the boxes and blocks nnbench draws."""
    try:
        sample.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True
