"""The workbench's headless services, built on the engine library one level up.

experiment  an experiment file's contract (``Experiment``) and how it is loaded
runs        run folders: metrics, checkpoints and run.json
training    the training loop the dashboard and ``nnbench train`` drive
graph       one training step as a named graph (the Graph pane's data)
playground  loss surfaces and the optimizer race
oracle      PyTorch as the oracle: the op table, per-node checks, gradcheck
testing     the op table run against PyTorch (``nnbench check``)
benchmark   engine timings against PyTorch

The library (tensor, ops, autograd, nn, optim, data, ...) never imports from here; a
test holds that rule.
"""
