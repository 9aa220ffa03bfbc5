"""The spirals sample, set to train for hours: a run that is still going while latency.py
presses keys (the sample itself ends after 40 epochs, a few seconds)."""

from nnbench.samples.spirals import experiment as spirals


def experiment():
    run = spirals()
    run.name = "long_spirals"
    run.epochs = 100_000
    return run
