"""The messages the app's parts send each other (workers to the UI, the app to its panes)."""

from __future__ import annotations

from textual.message import Message


class RunUpdate(Message):
    """A training run's worker posted a Snapshot. Two in a row that the UI has not taken
    yet become one (the newer's figures, both's histories), so a busy UI never queues up
    a backlog of frames to draw."""

    def __init__(self, snapshot):
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        # Textual asks the message it is about to handle whether ``message``, the next one
        # in the queue, may stand for both: fold this one's histories into it
        if isinstance(message, RunUpdate) and message.snapshot.run == self.snapshot.run:
            message.snapshot = self.snapshot.then(message.snapshot)
            return True
        return False


class ExperimentChanged(Message):
    """Another experiment (or the same one reloaded, or moved to another device) is open."""


class StepperChanged(Message):
    """The Graph pane's trace was replaced (a new batch, new weights, another device);
    ``then(stepper)`` is for the Graph pane to run once it shows the new trace."""

    def __init__(self, then=None):
        super().__init__()
        self.then = then


class Loaded(Message):
    """An experiment finished loading (or failed to) in a user thread; ``then`` runs after.
    ``keep``: if it failed, the experiment open now stays open (the Open dialog's loads)."""

    def __init__(self, loading, then=None, keep: bool = False):
        super().__init__()
        self.loading, self.then, self.keep = loading, then, keep


class Traced(Message):
    """A trace made in a worker is ready; ``serial`` says which request it answers."""

    def __init__(self, serial: int, stepper, error=None, then=None):
        super().__init__()
        self.serial, self.stepper, self.error, self.then = serial, stepper, error, then
