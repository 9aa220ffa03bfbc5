"""The live run's one source of truth: the worker changes the run, the UI only sends
commands and reads the snapshots it posts (tui/live.py, no Textual)."""

import threading
import time

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine.workbench import training
from nnbench.engine.workbench.experiment import load_experiment
from nnbench.engine.workbench.training import Watch, Watchpoint
from nnbench.tui import live
from nnbench.tui.live import LiveRun, RunView, Snapshot, check_settings
from nnbench.tui.messages import RunUpdate
from nnbench.tui.session import Session


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def session_of(spec: str, epochs: int | None = None) -> Session:
    session = Session(spec)
    assert session.load(), session.error
    if epochs is not None:
        session.experiment.epochs = epochs
    return session


class Collector:
    """publish= for a headless run: every snapshot, and a view built from them."""

    def __init__(self):
        self.snapshots: list[Snapshot] = []
        self.view: RunView | None = None
        self.lock = threading.Lock()

    def __call__(self, snapshot: Snapshot) -> None:
        with self.lock:
            self.snapshots.append(snapshot)
            if self.view is not None:
                self.view.take(snapshot)


def started(session, **options) -> tuple[LiveRun, Collector]:
    collector = Collector()
    run = LiveRun(session, publish=collector, **options)
    collector.view = RunView(run.serial)
    thread = threading.Thread(target=run.loop, daemon=True)
    thread.start()
    run.thread = thread
    return run, collector


def wait(condition, timeout=20.0):
    """Until condition() holds; one that cannot be evaluated yet (no snapshot) does not."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except AttributeError:
            pass
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_every_snapshot_shows_whole_steps_even_when_a_write_is_slow(monkeypatch):
    """The twin's loss and the engine's arrive together: with a delay inside the metrics
    write (it used to make the UI see the engine's loss without the twin's) no snapshot
    ever holds one without the other."""
    pytest.importorskip("torch")
    real = training.Trainer._write

    def slow(self, record):
        time.sleep(0.01)
        real(self, record)

    monkeypatch.setattr(training.Trainer, "_write", slow)
    run, seen = started(session_of("digits_mlp", epochs=1), twin=True)
    run.play()
    wait(lambda: seen.view.latest is not None and seen.view.latest.state == "done")
    steps = twins = 0
    for snapshot in seen.snapshots:
        steps += len(snapshot.losses)
        twins += len(snapshot.twin_losses)
        assert steps == twins == snapshot.step
    assert seen.view.losses == run.losses and len(seen.view.twin_losses) == 23


def test_a_pause_cannot_overwrite_a_watchpoint_the_worker_set():
    session = session_of("linear_regression")
    watch = Watch(grad_norm=Watchpoint(True, 1e-9, "pause"))  # fires on the first step
    run, seen = started(session, watch=watch)
    run.play()
    wait(lambda: seen.view.latest.state == "watchpoint")
    number = run.pause()  # a late pause from the UI, as a key press can be
    wait(lambda: seen.view.latest.acked >= number)
    assert seen.view.latest.state == "watchpoint" and run.trainer.step == 0
    assert seen.view.latest.waiting is not None
    number = run.step_once()  # resuming applies the update that waited
    wait(lambda: seen.view.latest.acked >= number and seen.view.latest.step == 1)
    run.stop()
    run.thread.join(5)


def test_single_steps_are_never_lost():
    run, seen = started(session_of("digits_mlp", epochs=100))
    numbers = [run.step_once() for _ in range(7)]
    wait(lambda: seen.view.latest.acked >= numbers[-1] and seen.view.latest.step == 7)
    time.sleep(0.2)
    assert seen.view.latest.step == 7 and seen.view.latest.state == "paused"
    run.stop()
    run.thread.join(5)


def test_a_hold_is_acknowledged_and_nothing_steps_after_it():
    run, seen = started(session_of("digits_mlp", epochs=10_000))
    run.play()
    wait(lambda: seen.view.latest.step > 5)
    number = run.hold()
    wait(lambda: seen.view.latest.acked >= number and run.settled())
    at = seen.view.latest.step
    time.sleep(0.3)
    assert run.trainer.step == at == seen.view.steps[-1]
    run.stop()
    run.thread.join(5)


def test_the_pace_slows_the_run():
    run, seen = started(session_of("digits_mlp", epochs=10_000))
    run.send("pace", 5)
    run.play()
    time.sleep(1.0)
    assert seen.view.latest.step <= 8 and seen.view.latest.pace == 5  # full speed: hundreds
    run.send("pace", None)
    wait(lambda: seen.view.latest.step > 50)
    run.stop()
    run.thread.join(5)


def test_snapshots_that_queue_up_fold_into_one():
    a = Snapshot(run=1, state="running", alive=True, step=2, epoch=1, total_steps=9, epochs=1,
                 steps=(1, 2), losses=(0.5, 0.4))  # fmt: skip
    b = Snapshot(run=1, state="paused", alive=True, step=3, epoch=1, total_steps=9, epochs=1,
                 steps=(3,), losses=(0.3,))  # fmt: skip
    first, second = RunUpdate(a), RunUpdate(b)
    assert first.can_replace(second)
    assert second.snapshot.steps == (1, 2, 3) and second.snapshot.state == "paused"
    other = RunUpdate(Snapshot(run=2, state="ready", alive=True, step=0, epoch=0,
                               total_steps=9, epochs=1))  # fmt: skip
    assert not second.can_replace(other)
    view = RunView(1)
    assert view.take(second.snapshot) and not view.take(other.snapshot)
    assert view.losses == [0.5, 0.4, 0.3] and view.state == "paused"


def test_run_settings_change_between_steps_and_are_recorded():
    session = session_of("digits_mlp", epochs=3)
    run, seen = started(session)
    number = run.send("settings", {"lr": 0.5, "epochs": 1})
    wait(lambda: seen.view.latest.acked >= number)
    assert seen.view.latest.lr == 0.5 and seen.view.latest.total_steps == 23
    run.play()
    wait(lambda: seen.view.latest.state == "done")
    assert run.trainer.step == 23
    lines = run.trainer.run_record.metrics_path.read_text()
    assert '"kind": "settings"' in lines and '"lr": 0.5' in lines


def test_a_new_batch_size_waits_for_the_epoch_end():
    session = session_of("digits_mlp", epochs=2)
    run, seen = started(session)
    run.step_once()
    wait(lambda: seen.view.latest.step == 1)
    number = run.send("settings", {"batch_size": 128})
    wait(lambda: seen.view.latest.acked >= number)
    run.play()
    wait(lambda: seen.view.latest.state == "done")
    # 23 steps of 64 in the first epoch, then ceil(1437 / 128) = 12
    assert run.trainer.step == 23 + 12 == seen.view.latest.total_steps


@pytest.mark.parametrize("changes, words", [
    ({"lr": "-1"}, "Invalid learning rate: -1.0"),
    ({"lr": "abc"}, "lr must be a number"),
    ({"epochs": "0"}, "epochs must be a whole number >= 1"),
    ({"epochs": "2.5"}, "epochs must be a whole number"),
    ({"batch_size": "-3"}, "batch_size must be a whole number >= 1"),
    ({"momentum": "1"}, "momentum is not a run setting"),
])  # fmt: skip
def test_run_settings_are_checked(changes, words):
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_settings(load_experiment("digits_mlp"), changes)


def test_a_hand_written_update_keeps_its_lr_and_shows_it():
    experiment = load_experiment("linear_regression")
    with pytest.raises(ValueError, match="hand-written: change lr in its file"):
        check_settings(experiment, {"lr": "0.5"})
    assert training.Trainer(experiment, write_metrics=False).lr == 0.1


def test_runs_leave_no_hooks_and_give_torch_its_threads_back():
    torch = pytest.importorskip("torch")
    session = session_of("digits_mlp", epochs=1)
    relu = session.experiment.model[1]
    hooks = len(relu._forward_hooks)  # the session's own, for the Inspector
    threads = torch.get_num_threads()
    inside = []
    for twin in (False, True, False):
        run, seen = started(session, twin=twin)
        if twin:  # what the training thread sees while the twin trains, then after it
            run.trainer.step_callbacks.append(lambda *_: inside.append(torch.get_num_threads()))
        run.play()
        wait(lambda run=run: not run.thread.is_alive())
    assert len(relu._forward_hooks) == hooks
    assert set(inside) == {1} and torch.get_num_threads() == threads


def test_a_regression_posts_its_parameters_and_fitted_line():
    run, seen = started(session_of("linear_regression"))
    run.play()
    wait(lambda: seen.view.latest.state == "done")
    latest = seen.view.latest
    values = dict(latest.parameters)
    assert abs(values["W"] - 2) < 0.2 and abs(values["b"] - 1) < 0.2
    grid, line = latest.fit["line"]
    assert np.allclose(line, values["W"] * grid + values["b"], atol=1e-4)


def test_the_eta_is_only_shown_while_running():
    run, seen = started(session_of("digits_mlp", epochs=100))
    run.step_once()
    wait(lambda: seen.view.latest.step == 1)
    assert seen.view.latest.eta is None
    run.play()
    wait(lambda: seen.view.latest.step > 3 and seen.view.latest.eta is not None)
    run.stop()
    run.thread.join(5)


def test_watch_settings_go_to_the_worker():
    run, seen = started(session_of("digits_mlp", epochs=100))
    watch = live.WATCH.replace("grad_norm", threshold=1e-9, action="skip")
    number = run.send("watch", watch)
    wait(lambda: seen.view.latest.acked >= number)
    assert seen.view.latest.watch == watch
    run.play()
    wait(lambda: len(seen.view.hits) >= 3)
    assert seen.view.latest.step == 0 and seen.view.fired == {"grad_norm": len(seen.view.hits)}
    run.stop()
    run.thread.join(5)


def test_the_engine_is_unchanged_by_a_skipped_batch():
    run, seen = started(session_of("digits_mlp", epochs=1),
                        watch=Watch(grad_norm=Watchpoint(True, 1e-9, "skip")))  # fmt: skip
    before = [p.detach().numpy().copy() for p in run.experiment.parameters()]
    run.play()
    wait(lambda: seen.view.latest.state == "done")
    after = [p.detach().numpy() for p in run.experiment.parameters()]
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert ne is not None
