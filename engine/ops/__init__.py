"""Every op's forward value and local derivative, side by side, one small class per op.

Where each Tensor method lives (the method a learner calls -> the class here):

    a + b, add         Add          a.exp()            Exp          a.sum(dim)        Sum
    a - b, sub, rsub   Sub          a.log()            Log          a.mean(dim)       Mean
    a * b, mul         Mul          a.sin(), a.cos()   Sin, Cos     a.max(), a.min()  Max, Min
    a / b, div         Div          a.sqrt()           Sqrt         a.max(dim), min   MaxDim, MinDim
    -a, neg            Neg          a.abs()            Abs          a.prod(dim)       Prod
    a ** b, pow        Pow          a.tanh()           Tanh         a.topk(k)         TopK
    maximum(a, b)      Maximum      a.sigmoid()        Sigmoid      a.softmax(dim)    Softmax
    a @ b, matmul, mm  MatMul       a.relu()           Relu         a.log_softmax()   LogSoftmax
    where(c, a, b)     Where        a.clamp(min, max)  Clamp        a.argmax()        ArgMax
    a.masked_fill()    MaskedFill   a.to(dtype)        ToCopy       a.argmin()        ArgMin
    a.clone()          Clone        a.to(device)       ToDevice     ==, !=, <, ...    Eq, Ne, Lt...
    reshape, view      Reshape      a.permute, a.T     Permute      ~a, &, |, ^       LogicalNot...
    flatten            Reshape      a.transpose()      Transpose    cat(tensors)      Cat
    a.squeeze()        Squeeze      a.expand(shape)    Expand       stack(tensors)    Stack
    a.unsqueeze()      Unsqueeze    a[key], a[1:]      Index        a.gather(d, i)    Gather
    F.gelu(a)          Gelu         F.nll_loss(...)    NllLoss      a.var(), a.std()  Var, Std
    a.t()              T            nn.Embedding       Embedding    nn.LayerNorm      LayerNorm
    F.mse_loss(a, b)   MseLoss      a.isnan(), isinf   IsNan, IsInf a.sort(), median  Sort, Median

Activations (activations.py): F.softplus Softplus, F.silu Silu, F.leaky_relu LeakyRelu,
F.elu Elu, F.hardtanh and F.relu6 Hardtanh. a.tril(), a.triu(): Tril, Triu (shape.py).
Losses (losses.py): F.binary_cross_entropy BinaryCrossEntropy,
F.binary_cross_entropy_with_logits BinaryCrossEntropyWithLogits, F.smooth_l1_loss
SmoothL1Loss, F.huber_loss HuberLoss, F.nll_loss(weight=) NllLossWeighted.

nn.Linear (F.linear) is Addmm on rows (MatMul without a bias), after T for W.t(), with the
views PyTorch puts around other inputs (Reshape, UnsafeView, SqueezeDims); a.square() is
a * a. The fused ops (Addmm, Embedding, LayerNorm, Var, Std, MseLoss) also give their
``parts``.

``forward`` works on backend arrays (``self.xp`` is the backend: numpy, or torch used as
plain arrays) and hands to ``self.save`` what ``backward`` needs; ``backward`` returns
one gradient per input, shaped like the output. Then the engine sums each gradient back
to its input's shape where the forward broadcast it: that is broadcasting's backward,
``sum_to_shape`` in rules.py (``Expand`` is the op whose rule is that sum and nothing
else). ``rules`` are the same derivatives in words, which the Graph pane shows with the
numbers and tests evaluate against the code; ``torch`` is the op in PyTorch's words,
which the Graph pane's per-node check runs. Checks of the operands happen before these
run (in tensor.py and checks.py), so the rules stay pure maths.
"""

# ruff: noqa: F401, F403
from ..autograd import Function
from .activations import *
from .arithmetic import *
from .elementwise import *
from .linalg import *
from .logical import *
from .losses import *
from .nn import *
from .reductions import *
from .shape import *
from .writing import *
