"""What a person waits for in nnbench, timed from outside the app.

    python benchmarks/latency.py [--size 80x24] [--rounds 50] [--starts 10] [--json]
                                 [--only start,idle,training,deep]

Each figure comes from the real `nnbench` command (the console script beside this Python,
else `python -m nnbench.tui.cli`) started in a pseudo-terminal of the chosen size with
TERM=xterm-256color, its screen rebuilt from the bytes it writes by a terminal emulator
(pyte). A timing starts when the process is started or a key's bytes are written to the
terminal, and ends when the bytes of a frame on which the expected screen first shows have
been read; nothing is subtracted. The harness answers the app's query for synchronized
output as most terminals do, so each frame arrives between two markers and a screen is
only judged once its frame is complete.

- first paint: the header, the pane tabs and the footer (the experiment may be loading).
- first full frame: the header names the experiment and says `ready`, the pane tabs and
  the footer are drawn, and the Inspector shows the experiment's tensor tree (no
  `Loading…` anywhere). Each start is a fresh process, in a fresh working folder.
- first visit: the first press of 2, 3 and 4 in each of those processes (the pane is built).
- pane switch: 1, 2, 3 and 4 pressed in turn; done when the pressed pane's tab is
  highlighted and its own text shows (the tensor tree, the Graph's step counter, the
  optimizer table, the Training status line).
- Graph step: `n` in the Graph pane; done when the step counter shows one step more.
  At the end of the backward, `r` (not timed) starts over.
- "while training": a run of benchmarks/experiments/long_spirals.py trains in the Training
  pane meanwhile. `n` pauses a run, so each timed `n` follows an untimed resume (4, space,
  2) and steps the forward only (`r`, not timed, once its end is reached).
- 10,001 nodes: benchmarks/experiments/deep_graph.py, a forward of that many nodes.

Before each timed key the harness waits until the app has written nothing and, unless a
run trains, used no CPU for 100 ms (at most 2 s). The app is quit with q (d when it asks
about unsaved steps), then SIGTERM, then SIGKILL to its process group; the working folders
are removed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import math
import os
import platform
import queue
import re
import shlex
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from importlib import metadata
from pathlib import Path

import pyte

HERE = Path(__file__).resolve().parent
EXPERIMENTS = HERE / "experiments"
TRAINS = str(EXPERIMENTS / "long_spirals.py")
DEEP = str(EXPERIMENTS / "deep_graph.py")

SYNC_QUERY = b"\x1b[?2026$p"  # Textual asks whether the terminal can hold frames back
SYNC_REPLY = b"\x1b[?2026;2$y"  # supported, currently off
SYNC_START, SYNC_END = b"\x1b[?2026h", b"\x1b[?2026l"

TABS = "1 Inspector   2 Graph   3 Optimizers   4 Training"
PANES = {  # key: the tab's label, and text only that pane shows
    "1": ("Inspector", re.compile(r"▼ (parameters|tensors)")),
    "2": ("Graph", re.compile(r"forward \d+/\d+  backward \d+/\d+")),
    "3": ("Optimizers", re.compile(r"optimizer +lr +loss")),
    "4": ("Training", re.compile(r"space to start training| step \d+/\d+  epoch \d+/\d+")),
}
READY = re.compile(r"nnbench — (\S+) · \S+ · ready\s*$")  # the header: name, device, state
COUNTER = re.compile(r"forward (\d+)/(\d+)  backward (\d+)/(\d+)")
GROUPS = ("start", "idle", "training", "deep")
CPU_TICK = 1 / os.sysconf("SC_CLK_TCK")


class Timeout(Exception):
    pass


class Reader(threading.Thread):
    """Reads the terminal as bytes come, stamping each chunk with its arrival: the emulator
    (slow on colourful frames) runs in the main thread, so its work never delays a stamp."""

    def __init__(self, fd: int):
        super().__init__(daemon=True)
        self.fd = fd
        self.chunks: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def run(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except OSError:  # EIO: the app's side is closed
                data = b""
            self.chunks.put((time.perf_counter(), data))
            if not data:
                return
            if SYNC_QUERY in data:  # answered at once, as a terminal does
                os.write(self.fd, SYNC_REPLY)


class Terminal:
    """`nnbench ARGS` in a pseudo-terminal, and the screen it has drawn so far."""

    def __init__(self, command: list[str], args: list[str], columns: int, rows: int):
        self.folder = tempfile.mkdtemp(prefix="nnbench-latency-")  # runs/ goes here
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.pending = b""  # the start of a frame whose end has not arrived
        self.last_output = time.perf_counter()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env["TERM"] = "xterm-256color"
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command + args, stdin=slave, stdout=slave, stderr=slave, cwd=self.folder,
            env=env, close_fds=True, start_new_session=True, preexec_fn=_take_terminal,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.ended = False
        self.training = False  # set while a run trains: its CPU use never stops
        self.reader = Reader(master)
        self.reader.start()

    # ------------------------------------------------------------------ reading
    def frames(self, timeout: float):
        """Feed the emulator what arrives within ``timeout`` (and what follows at once), a
        frame at a time; yield each frame's arrival time once the screen shows it."""
        try:
            chunks = [self.reader.chunks.get(timeout=max(0.0, timeout))]
        except queue.Empty:
            return
        with contextlib.suppress(queue.Empty):
            while True:
                chunks.append(self.reader.chunks.get_nowait())
        for at, data in chunks:
            if not data:
                self.ended = True
                raise EOFError(f"nnbench exited (status {self.process.wait()})\n{self.text()}")
            self.last_output = at
            self.pending += data
            while (end := self.pending.find(SYNC_END)) != -1:
                cut = end + len(SYNC_END)
                self.stream.feed(self.pending[:cut])
                self.pending = self.pending[cut:]
                yield at
            start = self.pending.find(SYNC_START)  # an open frame is held back
            cut = start if start != -1 else len(self.pending) - _marker_prefix(self.pending)
            if cut > 0:  # output outside frames (before the app knows it may sync)
                self.stream.feed(self.pending[:cut])
                self.pending = self.pending[cut:]
                yield at

    def wait_for(self, shown, timeout: float, since: float) -> float:
        """Seconds from ``since`` to the arrival of the frame on which ``shown(self)``
        first holds."""
        deadline = time.perf_counter() + timeout
        if shown(self):
            return 0.0
        while (left := deadline - time.perf_counter()) > 0:
            for at in self.frames(left):
                if shown(self):
                    return at - since
                if self.rows()[0].rstrip().endswith("· error"):
                    raise Timeout(f"the app shows an error, not {shown.__doc__}\n{self.text()}")
        raise Timeout(f"not shown after {timeout:g} s: {shown.__doc__ or shown}\n{self.text()}")

    def settle(self, quiet: float = 0.1, most: float = 2.0) -> None:
        """Read until nothing has come for ``quiet`` seconds and, unless a run trains, the
        app has used no CPU over that time either (at most ``most`` seconds): a key pressed
        while the last one's work goes on would be timed waiting for it."""
        deadline = time.perf_counter() + most
        cpu, cpu_changed = self.cpu_seconds(), time.perf_counter()
        while (left := deadline - time.perf_counter()) > 0:
            calm_since = self.last_output
            if not self.training:
                used = self.cpu_seconds()
                if used != cpu:
                    cpu, cpu_changed = used, time.perf_counter()
                calm_since = max(calm_since, cpu_changed)
            wait = calm_since + quiet - time.perf_counter()
            if wait <= 0:
                return
            for _ in self.frames(min(wait, left, 0.02)):
                pass

    def cpu_seconds(self) -> float:
        """The app's CPU time so far (user and system, all threads), from /proc."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone, or no /proc: output alone decides
            return 0.0
        return (int(fields[11]) + int(fields[12])) * CPU_TICK

    def press(self, key: str, shown, timeout: float = 15.0) -> float:
        """Seconds from writing ``key`` to the frame that shows ``shown``, which must not
        show before it (that would time nothing)."""
        self.settle()
        if shown(self):
            raise Timeout(f"{shown.__doc__} shows before {key!r} is pressed\n{self.text()}")
        since = time.perf_counter()
        os.write(self.master, key.encode())
        return self.wait_for(shown, timeout, since)

    # ------------------------------------------------------------------ the screen
    def rows(self) -> list[str]:
        return self.screen.display

    def text(self) -> str:
        return "\n".join(row.rstrip() for row in self.rows())

    def tab_highlighted(self, label: str) -> bool:
        row = self.rows()[1]
        column = row.find(f" {label} ")
        if column < 0:
            return False
        line = self.screen.buffer[1]
        return all(line[column + i].reverse for i in range(1, len(label) + 1))

    # ------------------------------------------------------------------ the end
    def close(self) -> None:
        """q (d if it asks about unsaved steps), then SIGTERM, then SIGKILL."""
        try:
            self._quit()
        finally:
            self._kill()
            self.reader.join(2.0)  # it ends once the app's side of the terminal is closed
            os.close(self.master)
            shutil.rmtree(self.folder, ignore_errors=True)

    def _quit(self) -> None:
        if self.process.poll() is not None:
            return
        with contextlib.suppress(OSError):
            os.write(self.master, b"q")
        for answer in (b"d", None):
            if self._exited_within(3.0):
                return
            if answer and "discard" in self.text().lower():
                with contextlib.suppress(OSError):
                    os.write(self.master, answer)

    def _exited_within(self, seconds: float) -> bool:
        deadline = time.perf_counter() + seconds
        while self.process.poll() is None and time.perf_counter() < deadline:
            with contextlib.suppress(EOFError):
                for _ in self.frames(0.05):  # keeps the screen current for the question
                    pass
        return self.process.poll() is not None

    def _kill(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(5.0)
        with contextlib.suppress(ProcessLookupError):  # anything it started, too
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def _take_terminal() -> None:
    """In the child, after setsid: make the pty its controlling terminal, as a shell does."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _marker_prefix(data: bytes) -> int:
    """How many bytes at the end of ``data`` could start a sync marker (held back)."""
    for n in range(min(len(SYNC_START) - 1, len(data)), 0, -1):
        tail = data[-n:]
        if SYNC_START.startswith(tail) or SYNC_END.startswith(tail):
            return n
    return 0


# ---------------------------------------------------------------------- what shows
def chrome(term: Terminal) -> bool:
    """the header, the pane tabs and the footer"""
    rows = term.rows()
    return "nnbench — " in rows[0] and TABS in rows[1] and "q Quit" in rows[-1]


def full_frame(term: Terminal) -> bool:
    """the first full frame: header (ready), tabs, footer and the Inspector's tensor tree"""
    rows = term.rows()
    header = READY.search(rows[0])
    body = "\n".join(rows[2:-1])
    return (
        header is not None
        and TABS in rows[1]
        and "q Quit" in rows[-1]
        and term.tab_highlighted("Inspector")
        and f"▼ {header[1]}" in body
        and PANES["1"][1].search(body) is not None
        and "Loading…" not in term.text()
    )


def pane(key: str):
    label, own_text = PANES[key]

    def shown(term: Terminal) -> bool:
        rows = term.rows()
        body = "\n".join(rows[2:-1])
        return (
            TABS in rows[1]
            and term.tab_highlighted(label)
            and own_text.search(body) is not None
            and rows[-1].strip() != ""
        )

    shown.__doc__ = f"the {label} pane"
    return shown


def header_says(words: str):
    def shown(term: Terminal) -> bool:
        return words in term.rows()[0]

    shown.__doc__ = f"{words!r} in the header"
    return shown


def counter(term: Terminal) -> tuple[int, int, int, int]:
    """The Graph pane's forward steps done, forward total, steps done and total steps."""
    match = COUNTER.search("\n".join(term.rows()[2:-1]))
    if match is None:
        raise Timeout(f"no step counter on the screen\n{term.text()}")
    done_forward, forward_total, done_backward, backward_total = map(int, match.groups())
    return done_forward, forward_total, done_backward + done_forward, forward_total + backward_total


def at_position(position: int):
    def shown(term: Terminal) -> bool:
        match = COUNTER.search("\n".join(term.rows()[2:-1]))
        return match is not None and int(match[1]) + int(match[3]) == position

    shown.__doc__ = f"the Graph pane's step counter at {position}"
    return shown


# ---------------------------------------------------------------------- the cases
def show(term: Terminal, key: str) -> None:
    """The pane of ``key``, pressed only if another shows (not timed)."""
    if not pane(key)(term):
        term.press(key, pane(key))


class Bench:
    def __init__(self, command: list[str], columns: int, rows: int):
        self.command, self.columns, self.rows = command, columns, rows
        self.samples: dict[str, list[float]] = {}
        self.pids: list[int] = []
        self.notes: list[str] = []

    def add(self, case: str, seconds: float) -> None:
        self.samples.setdefault(case, []).append(seconds)

    @contextlib.contextmanager
    def app(self, experiment: str):
        if (os.sep in experiment or experiment.endswith(".py")) and Path(experiment).exists():
            experiment = str(Path(experiment).resolve())  # the app runs in a folder of its own
        term = Terminal(self.command, [experiment], self.columns, self.rows)
        self.pids.append(term.process.pid)
        try:
            yield term
        finally:
            term.close()

    def starts(self, count: int, experiment: str = "digits_mlp", visits: bool = True) -> None:
        for _ in range(count):
            with self.app(experiment) as term:
                self.add("first_paint", term.wait_for(chrome, 120, term.started))
                self.add("first_frame", term.wait_for(full_frame, 120, term.started))
                for key in "234" if visits else "":
                    self.add(f"first_visit_{key}", term.press(key, pane(key)))

    def idle_and_training(self, rounds: int, groups: set[str]) -> None:
        with self.app(TRAINS) as term:
            term.wait_for(full_frame, 120, term.started)
            for key in "2341":  # build every pane first: first visits are timed in starts()
                term.press(key, pane(key))
            if "idle" in groups:
                self.pane_switches(term, rounds, "idle")
                self.graph_steps(term, rounds, "idle")
            if "training" in groups:
                show(term, "4")
                term.press(" ", header_says("training running"))
                term.training = True
                self.pane_switches(term, rounds, "training")
                self.graph_steps_training(term, rounds)

    def pane_switches(self, term: Terminal, rounds: int, state: str) -> None:
        shown = next(key for key in "1234" if pane(key)(term))
        order = "1234"[int(shown) :] + "1234"[: int(shown)]  # from the pane after it
        for _ in range(rounds):
            for key in order:
                self.add(f"pane_{key}_{state}", term.press(key, pane(key)))

    def graph_steps(self, term: Terminal, rounds: int, state: str, case: str = "") -> None:
        show(term, "2")
        for _ in range(rounds):
            _, _, position, total = counter(term)
            if position == total:
                term.press("r", at_position(0), timeout=120)
                position = 0
            self.add(case or f"graph_step_{state}", term.press("n", at_position(position + 1)))

    def graph_steps_training(self, term: Terminal, rounds: int) -> None:
        for _ in range(rounds):
            if "training running" not in term.rows()[0]:
                show(term, "4")
                term.press(" ", header_says("training running"))
            show(term, "2")
            done, forward_total, position, _ = counter(term)
            if done == forward_total:  # the run is paused (by the last n): safe to retrace
                term.press("r", at_position(0), timeout=120)
                position = 0
            self.add("graph_step_training", term.press("n", at_position(position + 1)))

    def deep(self, rounds: int) -> None:
        with self.app(DEEP) as term:
            term.wait_for(full_frame, 300, term.started)
            self.add("first_visit_2_deep", term.press("2", pane("2"), timeout=120))
            self.graph_steps(term, rounds, "idle", case="graph_step_deep")
            self.add("pane_1_deep", term.press("1", pane("1"), timeout=120))


CASES = {  # the order of the table, and what each figure times
    "first_paint": "process start to the first frame with header, tabs and footer",
    "first_frame": "process start to the first full frame of digits_mlp",
    "first_visit_2": "first 2 after start to the Graph pane shown (digits_mlp)",
    "first_visit_3": "first 3 after start to the Optimizers pane shown",
    "first_visit_4": "first 4 after start to the Training pane shown",
    "pane_1_idle": "1 to the Inspector shown (long_spirals, idle)",
    "pane_2_idle": "2 to the Graph pane shown (idle)",
    "pane_3_idle": "3 to the Optimizers pane shown (idle)",
    "pane_4_idle": "4 to the Training pane shown (idle)",
    "graph_step_idle": "n in the Graph pane to the counter one step on (26 steps, idle)",
    "pane_1_training": "1 to the Inspector shown, while a run trains",
    "pane_2_training": "2 to the Graph pane shown, while a run trains",
    "pane_3_training": "3 to the Optimizers pane shown, while a run trains",
    "pane_4_training": "4 to the Training pane shown, while a run trains",
    "graph_step_training": "n in the Graph pane to the counter one step on, while a run trains",
    "first_visit_2_deep": "first 2 to the Graph pane shown, 10,001-node forward",
    "graph_step_deep": "n to the counter one step on, 10,001-node forward (20,003 steps)",
    "pane_1_deep": "1 to the Inspector shown, after those steps (10,001-node forward)",
}


# ---------------------------------------------------------------------- the report
def summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]  # nearest rank
    return {
        "n": len(ordered),
        "median_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * p95, 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def machine() -> dict:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("textual", "numpy", "torch", "pyte"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        **versions,
    }


def table(results: dict) -> str:
    lines = [
        "| what is timed | median | p95 | max | n |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case, about in CASES.items():
        if case in results["cases"]:
            s = results["cases"][case]
            lines.append(
                f"| {about} | {s['median_ms']:.0f} ms | {s['p95_ms']:.0f} ms "
                f"| {s['max_ms']:.0f} ms | {s['n']} |"
            )
    m = results["machine"]
    lines += [
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, load average {m['load_start']} at the "
        f"start and {m['load_end']} at the end (1 minute); "
        f"Python {m['python']}, textual {m['textual']}, numpy {m['numpy']}, "
        f"torch {m['torch']}, pyte {m['pyte']}.",
        f"Terminal {results['size']}; app started as `{results['app_command']}`.",
        f"Command: `{results['command']}`",
    ]
    return "\n".join(lines)


def app_command() -> list[str]:
    script = Path(sys.executable).parent / "nnbench"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "nnbench.tui.cli"]


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if match is None or int(match[1]) < 80 or int(match[2]) < 24:
        raise argparse.ArgumentTypeError(
            f"size {text!r}: give COLUMNSxROWS, at least 80x24 (e.g. 80x24 or 160x48)"
        )
    return int(match[1]), int(match[2])


def parse_groups(text: str) -> set[str]:
    groups = {g.strip() for g in text.split(",") if g.strip()}
    unknown = groups - set(GROUPS)
    if unknown or not groups:
        raise argparse.ArgumentTypeError(
            f"--only {text!r}: choose from {', '.join(GROUPS)} (comma separated)"
        )
    return groups


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=(80, 24), help="COLUMNSxROWS")
    parser.add_argument("--rounds", type=int, default=50, help="presses per key case")
    parser.add_argument("--starts", type=int, default=10, help="fresh processes started")
    parser.add_argument("--only", type=parse_groups, default=set(GROUPS), help=",".join(GROUPS))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name in ("rounds", "starts"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} {getattr(args, name)}: give at least 1")
    return args


def measure(args: argparse.Namespace) -> dict:
    command = app_command()
    load_start = round(os.getloadavg()[0], 2)
    bench = Bench(command, *args.size)
    if "start" in args.only:
        bench.starts(args.starts)
    if args.only & {"idle", "training"}:
        bench.idle_and_training(args.rounds, args.only)
    if "deep" in args.only:
        bench.deep(args.rounds)
    return {
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "app_command": shlex.join(command),
        "size": "{}x{}".format(*args.size),
        "machine": {
            **machine(),
            "load_start": load_start,
            "load_end": round(os.getloadavg()[0], 2),
        },
        "cases": {case: summary(s) for case, s in bench.samples.items()},
        "about": {case: CASES[case] for case in bench.samples},
        "pids": bench.pids,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Ctrl-C (even where a shell started us ignoring it), SIGTERM and SIGHUP unwind, so
    # every app started is closed on the way out
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, frame: sys.exit(128 + number))
    try:
        results = measure(args)
    except (Timeout, EOFError) as problem:
        print(f"latency.py: {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # every app started has been closed on the way here
        return 130
    print(json.dumps(results, indent=2) if args.json else table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
