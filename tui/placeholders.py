"""Panes 3 and 4 until they arrive: they say what they will be, and the keys still work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from .widgets import PaneTabs

OPTIMIZERS = (
    "Optimizers (pane 3) arrives in a later release: SGD, Momentum, RMSprop and Adam racing "
    "on 2-D loss surfaces, each path drawn live with its state beside it.\n\n"
    "Meanwhile: 1 Inspector, 2 Graph, ? for every key."
)
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


class OptimizersScreen(_Placeholder):
    TEXT = OPTIMIZERS
    PANE = "optimizers"


class TrainingScreen(_Placeholder):
    TEXT = TRAINING
    PANE = "training"
