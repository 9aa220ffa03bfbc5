"""The named tuples that PyTorch returns: ``x.max(dim=1)`` is ``(values, indices)``.

``out.values`` and ``out.indices`` name the parts, and the tuple still unpacks as a pair.
The repr is PyTorch's own, since learners compare what they see with a tutorial.
"""

from __future__ import annotations


class ValuesIndices(tuple):
    """A (values, indices) pair with names, as torch.return_types has them."""

    __slots__ = ()
    name = "values_indices"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return f"torch.return_types.{self.name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _named(name: str) -> type:
    return type(name, (ValuesIndices,), {"__slots__": (), "name": name})


max = _named("max")  # noqa: A001 - PyTorch's names
min = _named("min")  # noqa: A001
topk = _named("topk")
sort = _named("sort")
median = _named("median")
kthvalue = _named("kthvalue")
mode = _named("mode")
