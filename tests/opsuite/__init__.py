"""A broad op suite written in plain PyTorch, run against torch and against nnbench's engine.

The cases (cases.py) know nothing about the engine: each takes a namespace ``t`` with
``torch``, ``nn``, ``F``, ``optim`` and ``data`` (real torch's or the engine's) and returns what
PyTorch code would compute. run.py runs each case on both and compares the results.
"""
