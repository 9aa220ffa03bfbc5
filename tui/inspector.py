"""Pane 1, the Inspector: every tensor of the experiment, and everything about one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from nnbench.engine.errors import shape_str
from nnbench.engine.formatting import to_numpy

from . import values
from .session import literal
from .widgets import ErrorPanel, PaneTabs, tensor_summary, uses_color

SECTIONS = {
    "parameters": "parameters",
    "gradients": "gradients (.grad)",
    "tensors": "tensors",
    "batch": "example batch",
    "activations": "activations (last forward)",
    "optimizer": "optimizer state",
    "graph": "graph values (Graph pane)",
}

# what ? lists for this pane (the tree's keys are Textual's own, so not in BINDINGS)
HELP_KEYS = [
    ("up / down", "Choose a tensor"),
    ("enter", "Open or close a section of the tree"),
    ("tab", "Move between the tensors and their values"),
    ("arrows", "In the values: scroll a row or a few columns"),
    ("pgup / pgdn", "In the values: scroll a page of rows"),
    ("home / end", "In the values: to the first or the last rows"),
    ("v", "Show the values as a picture, numbers, the whole picture or a histogram"),
]


class ValuesView(Static, can_focus=True):
    """The chosen tensor's values: a window the learner scrolls (tab here, then the
    arrows), in one of the views of ``values``; each tensor keeps its view and place."""

    BINDINGS = [
        Binding("up", "scroll_values(-1, 0)", "Up", show=False),
        Binding("down", "scroll_values(1, 0)", "Down", show=False),
        Binding("left", "scroll_values(0, -1)", "Left", show=False),
        Binding("right", "scroll_values(0, 1)", "Right", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "to_end(False)", "First rows", show=False),
        Binding("end", "to_end(True)", "Last rows", show=False),
    ]

    def __init__(self, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.data = None
        self.key: str | None = None
        self.cell = 1  # the width of one number, the same wherever the window stands
        self.places: dict[str, tuple[str, int, int]] = {}  # key -> (view, row, col)
        self.extent = values.Extent()

    def show(self, key: str, tensor) -> None:
        # a copy: a training run may change the weights in place while they are shown
        self.data = to_numpy(tensor.array).copy()
        self.cell = values.cell_width(self.data)
        views = values.views_for(self.data)
        view, row, col = self.places.get(key, (views[0], 0, 0))
        self.places[key] = (view if view in views else views[0], row, col)
        self.key = key
        self.redraw()

    @property
    def place(self) -> tuple[str, int, int]:
        return self.places[self.key]

    def redraw(self) -> None:
        if self.data is None or self.key is None:
            return
        view, row, col = self.place
        width, color = max(8, self.size.width or 40), uses_color(self.app)
        head_lines = 3
        for _ in range(3):  # the lines over the values depend on what the window shows
            height = max(2, self.size.height - head_lines)
            shown = values.extent(self.data, view, width, height, color, self.cell)
            head = self._head(view, shown, *shown.clamp(row, col))
            needed = sum(len(line.wrap(self.app.console, width)) for line in head)
            if needed == head_lines:
                break
            head_lines = needed
        text, self.extent = values.render(
            self.data, view, row, col, width, height, color, self.cell
        )
        self.places[self.key] = (view, *self.extent.clamp(row, col))
        out = Text()
        for line in head:
            out.append_text(line)
            out.append("\n")
        out.append_text(text)
        self.update(out)

    def _head(self, view: str, extent, row: int, col: int) -> list[Text]:
        """The lines over the values: the view and shape, where the window stands (when
        it does not show everything), and the keys that work here."""
        views = values.views_for(self.data)
        following = views[(views.index(view) + 1) % len(views)]
        switch = f"v: {following}" if len(views) > 1 else ""
        if self.screen.focused is self:  # has_focus is set only after on_focus runs
            keys = ["arrows pgup pgdn home end: scroll", switch, "tab: tensors"]
        else:
            keys = ["tab, arrows: scroll" if extent.scrolls else "", switch]
        lines = [Text(values.title(self.data, view), style="bold")]
        if extent.scrolls:
            lines.append(Text(extent.where(row, col)))
        lines.append(Text("  ".join(k for k in keys if k), style="dim"))
        return lines

    def on_resize(self) -> None:
        self.redraw()

    def on_focus(self) -> None:
        self.redraw()

    def on_blur(self) -> None:
        self.redraw()

    def next_view(self) -> None:
        views = values.views_for(self.data)
        view, row, col = self.place
        self.places[self.key] = (views[(views.index(view) + 1) % len(views)], row, col)
        self.redraw()

    def action_scroll_values(self, rows: int, cols: int) -> None:
        view, row, col = self.place
        extent = self.extent
        self.places[self.key] = (view, row + rows * extent.row_step, col + cols * extent.col_step)
        self.redraw()

    def action_page(self, pages: int) -> None:
        view, row, col = self.place
        self.places[self.key] = (view, row + pages * max(1, self.extent.shown_rows), col)
        self.redraw()

    def action_to_end(self, last: bool) -> None:
        view, _, col = self.place
        self.places[self.key] = (view, self.extent.rows if last else 0, col if last else 0)
        self.redraw()


class InspectorScreen(Screen):
    """A tree of tensors on the left; the chosen tensor's fields and values on the right."""

    BINDINGS = [
        Binding(
            "v",
            "next_view",
            "View",
            tooltip="Show the values as a picture, numbers, the whole picture or a histogram",
        ),
    ]

    def __init__(self):
        super().__init__()
        self.entries = {}
        self.selected_key: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("inspector")
        with Horizontal(id="inspector-body", classes="pane-body"):
            yield Tree("tensors", id="tensor-tree")
            with Vertical(id="tensor-details"):
                yield Static("Loading…", id="tensor-summary", markup=False)
                yield ValuesView(id="tensor-values")
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
            label = f"{entry.name} {shape_str(tuple(entry.tensor.shape))}"
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
        # a tree just filled numbers its lines only when drawn, and move_cursor goes by
        # line: number them now, so the cursor lands on the node (Textual 8's Tree)
        tree._tree_lines  # noqa: B018
        for node in _walk(tree.root):
            if node.data == key:
                tree.move_cursor(node)
                break
        self.show(key)
        return True

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None and event.node.data in self.entries:
            self.show(event.node.data)

    def show(self, key: str) -> None:
        entry = self.entries[key]
        self.selected_key = key
        t = entry.tensor
        title = f"{entry.section}: {entry.name}"
        summary = tensor_summary(t, title, entry.expression, literal(t))
        self.query_one("#tensor-summary", Static).update(summary)
        self.query_one(ValuesView).show(key, t)

    def action_next_view(self) -> None:
        view = self.query_one(ValuesView)
        if view.key is not None:
            view.next_view()


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)
