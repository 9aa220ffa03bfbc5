"""The engine against PyTorch eager (CPU) and a hand-written numpy floor: the seed MLP
step, a wide MLP step, a small op with grad tracking, a 1024^2 matmul, and memory over
10,000 training steps. The same table as `nnbench bench`.

    python benchmarks/engine.py [--rounds 9] [--memory-steps 10000] [--quick]
"""

import sys

from nnbench.engine.workbench.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
