"""Pane 4 until it arrives: it says what it will be, and the keys still work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from .widgets import PaneTabs

TRAINING = (
    "Training (pane 4) arrives in a later release: live loss plots, throughput, gradient "
    "norms, watchpoints and checkpoints.\n\n"
    "Meanwhile: `nnbench train NAME` trains headless with a progress bar and a loss plot."
)


class _Placeholder(Screen):
    TEXT = ""
    PANE = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs(self.PANE)
        yield Static(self.TEXT, classes="placeholder", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.register_pane(self)

    def experiment_changed(self) -> None:
        pass


class TrainingScreen(_Placeholder):
    TEXT = TRAINING
    PANE = "training"
