"""Pane 1, the Inspector: every tensor of the experiment, and everything about one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from .session import literal
from .widgets import ErrorPanel, PaneTabs, tensor_summary, uses_color, value_view

SECTIONS = {
    "parameters": "parameters",
    "gradients": "gradients (.grad)",
    "tensors": "tensors",
    "batch": "example batch",
    "activations": "activations (last forward)",
    "optimizer": "optimizer state",
    "graph": "graph values (Graph pane)",
}


class InspectorScreen(Screen):
    """A tree of tensors on the left; the chosen tensor's fields and values on the right."""

    def __init__(self):
        super().__init__()
        self.entries = {}
        self.selected_key: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("inspector")
        with Horizontal(id="inspector-body", classes="pane-body"):
            yield Tree("tensors", id="tensor-tree")
            with VerticalScroll(id="tensor-details"):
                yield Static("Loading…", id="tensor-summary", markup=False)
                yield Static("", id="tensor-values", markup=False)
        yield ErrorPanel(id="error-panel", classes="error-panel")
        yield Footer()

    def on_mount(self) -> None:
        self.app.register_pane(self)
        self.experiment_changed()

    def on_screen_resume(self) -> None:
        self.experiment_changed()

    def on_experiment_changed(self, _message) -> None:
        self.experiment_changed()

    def on_stepper_changed(self, _message) -> None:
        self.experiment_changed()

    def on_resize(self) -> None:
        if self.selected_key in self.entries:
            self.show(self.selected_key)

    def experiment_changed(self) -> None:
        if ErrorPanel.swap(self, "#inspector-body"):
            self.rebuild()

    def rebuild(self) -> None:
        session = self.app.session
        entries = session.entries(self.app.stepper)
        self.entries = {e.key: e for e in entries}
        tree = self.query_one("#tensor-tree", Tree)
        tree.clear()
        tree.root.set_label(session.name)
        tree.root.expand()
        sections = {}
        for entry in entries:
            if entry.section not in sections:
                sections[entry.section] = tree.root.add(SECTIONS[entry.section], expand=True)
            label = f"{entry.name} {tuple(entry.tensor.shape)}"
            sections[entry.section].add_leaf(label, data=entry.key)
        if not entries:
            self.query_one("#tensor-summary", Static).update("No tensors yet.")
            return
        key = self.selected_key if self.selected_key in self.entries else entries[0].key
        self.select(key)

    def select(self, key: str) -> bool:
        """Show the tensor with this key and move the tree's cursor onto it."""
        if key not in self.entries:
            return False
        tree = self.query_one("#tensor-tree", Tree)
        for node in _walk(tree.root):
            if node.data == key:
                tree.move_cursor(node)
                break
        self.show(key)
        return True

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self.show(event.node.data)

    def show(self, key: str) -> None:
        entry = self.entries[key]
        self.selected_key = key
        t = entry.tensor
        title = f"{entry.section}: {entry.name}"
        summary = tensor_summary(t, title, entry.expression, literal(t))
        self.query_one("#tensor-summary", Static).update(summary)
        details = self.query_one("#tensor-details")
        width = max(20, details.size.width - 4)
        height = max(4, self.size.height - summary.plain.count("\n") - 8)
        values = Text("values\n", style="bold")
        values.append_text(value_view(t.array, width, height, uses_color(self.app)))
        self.query_one("#tensor-values", Static).update(values)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
