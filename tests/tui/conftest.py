"""App tests run as in a modern terminal (true colour) unless a test says otherwise."""

import os

os.environ.setdefault("COLORTERM", "truecolor")
