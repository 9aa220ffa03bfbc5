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
    F.conv1d, conv2d   Convolution  F.max_pool2d       MaxPool2D    F.batch_norm      BatchNorm
    F.avg_pool2d       AvgPool2D    F.adaptive_avg_pool2d  AdaptiveAvgPool2D (1x1 output: mean)
    a.t()              T            nn.Embedding       Embedding    nn.LayerNorm      LayerNorm
    F.mse_loss(a, b)   MseLoss      a.isnan(), isinf   IsNan, IsInf a.sort(), median  Sort, Median
    a.cumsum(dim)      Cumsum       a.cumprod(dim)     Cumprod      a.logsumexp(dim)  LogSumExp
    a.amax(dims)       Amax         a.amin(dims)       Amin         a.norm(), linalg  VectorNorm
    a.flip(dims)       Flip         a.roll(shifts)     Roll         a.diagonal(), diag Diagonal
    diag(vector)       DiagEmbed    a.unfold(d, n, s)  Unfold       a.repeat(), tile  Repeat
    a.index_select()   IndexSelect  a.masked_select()  MaskedSelect a.scatter(d, i, s) Scatter
    scatter(.., value) ScatterValue a.scatter_add()    ScatterAdd   a.index_add()     IndexAdd
    F.pad(a, pad)      ConstantPadNd    minimum(a, b)  Minimum   a.reciprocal()    Reciprocal

linalg.matrix_norm's 1 and inf norms are sums of abs then Amax/Amin, as PyTorch shows them;
count_nonzero is (a != 0) summed.

More elementwise maths (pointwise.py checks the operands and promotes dtypes first):

    a.tan(), asin, acos, atan    Tan, Asin, Acos, Atan    a.floor(), ceil, trunc  Floor, Ceil...
    a.sinh(), cosh, asinh, ...   Sinh, Cosh, Asinh, ...   a.round(decimals=)      Round
    a.rsqrt(), log2, log10       Rsqrt, Log2, Log10       a.sign(), a.frac()      Sign, Frac
    a.log1p(), exp2, expm1, erf  Log1p, Exp2, Expm1, Erf  a.clamp(tensor bounds)  ClampTensor
    a % b, remainder, fmod       Remainder, Fmod          a // b, floor_divide    FloorDivide
    div(rounding_mode=)          DivRounding              atan2, hypot, lerp      Atan2, Hypot...
    &, |, ^, ~ on integers       BitwiseAnd, ...Not       a << b, a >> b          LeftShift...
    isclose(a, b), allclose      IsClose

engine/shaping.py composes the rest as PyTorch's graph shows them: narrow, split, chunk,
tensor_split and unbind are Index views (named SliceBackward0, SplitBackward0, ...);
movedim is Permute, swapaxes Transpose, unflatten and view_as Reshape, meshgrid Reshape
and Expand, repeat_interleave Expand and Reshape (IndexSelect for a tensor of counts),
take_along_dim Gather, outer Mul, bmm MatMul, and einsum Diagonal, Sum, Permute, Reshape
and Mul. The moving ops' words are one rule: the output gathers a's elements at
``positions`` (the forward run on 0..numel-1), so grad is added back there.

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
from .batchnorm import *
from .conv import *
from .elementwise import *
from .linalg import *
from .logical import *
from .losses import *
from .nn import *
from .reductions import *
from .shape import *
from .writing import *
