"""``nnbench samples`` shows each sample's whole summary, and the user guide lists them all."""

import re
import subprocess
import sys
from pathlib import Path

from nnbench.engine.workbench.experiment import sample_names, sample_summary

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "using.md"


def test_samples_shows_whole_summaries():
    out = subprocess.run(
        [sys.executable, "-m", "nnbench.tui.cli", "samples"], capture_output=True, text=True
    )
    lines = {line.split()[0]: line for line in out.stdout.splitlines()}
    assert lines["cnn_digits"].endswith("two Conv2d + ReLU + MaxPool2d, then Linear.")
    for name in sample_names():
        summary = sample_summary(name)
        assert summary.endswith("."), f"{name}'s summary is cut: {summary!r}"
        assert summary in lines[name]


def test_a_summary_that_runs_on_is_joined_not_cut(monkeypatch):
    from nnbench.engine.workbench import experiment

    doc = '"""One sentence that runs\n  on to a second line.\n\nMore."""\n'
    monkeypatch.setattr(experiment, "_sample_tree", lambda name: __import__("ast").parse(doc))
    assert experiment.sample_summary("x") == "One sentence that runs on to a second line."


def test_the_user_guide_lists_every_sample():
    text = GUIDE.read_text()
    listed = text.split("## The samples", 1)[1].split("\n## ", 1)[0]
    for name in sample_names():
        assert re.search(rf"`{name}`", listed), name
