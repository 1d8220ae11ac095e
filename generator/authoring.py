"""Everything a problem author imports, from one module:

    from generator.authoring import Answer, Approx, Constraint, Int, Part, central_gradient, ...

The declarations of the problem contract (see `generator.problem`), the parameter kinds,
the answer values (`Approx` for a float with its own tolerance, `Exact` for a value with an
exact form), the exact-number helpers and the numerical tools for `check`. Problems import
nothing else from the engine, so the engine's modules can move without touching a bank.
"""

from generator.answers import Alternative, Answer, Approx, Exact
from generator.checks import central_gradient
from generator.exact import rational, sqrt_rational, square_free, surd, terminates
from generator.params import (
    Choice,
    Constraint,
    Custom,
    Decimal,
    Index,
    Int,
    Matrix,
    Param,
    SizedMatrix,
    SizedVector,
    Vector,
)
from generator.problem import Mistake, Part, Step

__all__ = [
    "Alternative", "Answer", "Approx", "Choice", "Constraint", "Custom", "Decimal", "Exact", "Index", "Int", "Matrix", "Mistake",
    "Param", "Part", "SizedMatrix", "SizedVector", "Step", "Vector", "central_gradient", "rational", "sqrt_rational", "square_free", "surd",
    "terminates",
]
