"""Random chain-rule exercises that a student can work out with a pencil.

An exercise is a formula from a fixed list of *kinds* (one list per level) and a value for each
of its names. The values are drawn at random and kept only if the exercise is well posed:

- every name gets a small integer or a half (-4 ... 4, such as 2 or -1.5). Sums and products of
  halves are exact in binary floating point, so the checks below are exact too, and the numbers
  a student writes down are the very numbers the engine computes;
- the argument of every tanh, sigmoid, exp and log lands on the grid of a small table printed
  with the sheet (`TABLES`: z = -2, -1.5, ..., 2, the value and the derivative to 4
  decimals, at the head of each sheet), so no function value has to be computed
  by hand; relu needs no table;
- no domain error (a log of a number <= 0, a division by 0);
- no zero anywhere: no forward value, local derivative, contribution or gradient is 0, so no
  step of the backward pass is trivial (a relu is never "off", no product vanishes);
- every one of those numbers has a magnitude within [MIN_MAGNITUDE, MAX_MAGNITUDE];
- what comes before any table look-up is short to write: forward values with at most 2
  decimals; and in an exercise with no table at all, every number (values, local
  derivatives, contributions, gradients) is exact with at most 4 decimals.

`generate(seed, count, level, students)` draws the sheets: the same kinds in the same order on
every student's sheet, each exercise with numbers no other sheet has (until a kind runs out of
them: then no other exercise on its sheet, and no two sheets alike). The same arguments give
the same sheets: a `random.Random(seed)` is the only source of chance.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from autograd.explanation import Explanation, explain
from autograd.formula import Formula, FormulaError, parse
from autograd.value import Value

LEVELS = (1, 2, 3)
MIN_MAGNITUDE = 0.01  # smaller numbers show fewer than 3 digits at the sheets' 4 decimals
MAX_MAGNITUDE = 10.0
FORWARD_DECIMALS = 2  # forward values computed without a table: at most 2 decimals (0.25)
EXACT_DECIMALS = 4  # an exercise without a table: every number exact at 4 decimals (0.0625)
ATTEMPTS = 20_000  # draws of values per exercise before giving up (a bug: see the tests)


@dataclass(frozen=True)
class Kind:
    """One kind of exercise: a formula whose names get random values."""

    formula: str
    what: str  # a few words for the sheet: "a neuron", "a reused input"


@dataclass(frozen=True)
class Table:
    """A function's values on a grid, printed with each exercise that uses the function."""

    op: str  # the Value op: "tanh", "sigmoid", "exp", "log"
    grid: tuple[float, ...]

    def apply(self, z: float) -> Value:
        """The engine's own node for op(z): its data is the value, its local grad the slope."""
        return getattr(Value(z), self.op)()

    def value(self, z: float) -> float:
        return self.apply(z).data

    def derivative(self, z: float) -> float:
        return self.apply(z).local_grads[0]


def _halves(low: float, high: float) -> tuple[float, ...]:
    return tuple(k / 2 for k in range(int(low * 2), int(high * 2) + 1))


TABLES: dict[str, Table] = {
    "tanh": Table("tanh", _halves(-2, 2)),
    "sigmoid": Table("sigmoid", _halves(-2, 2)),
    "exp": Table("exp", _halves(-2, 2)),
    "log": Table("log", _halves(0.5, 4)),
}

# The values a name may get, per level: nonzero integers and halves (a 0 makes steps vanish).
_SMALL = tuple(v for v in _halves(-4, 4) if v and (v.is_integer() or abs(v) < 3))
_SMALLER = tuple(v for v in _halves(-3, 3) if v and (v.is_integer() or abs(v) < 2))
POOLS: dict[int, tuple[float, ...]] = {1: _SMALL, 2: _SMALL, 3: _SMALLER}

KINDS: dict[int, tuple[Kind, ...]] = {
    1: (  # a single chain of ops
        Kind("L = (x + y) * z", "a sum, then a product"),
        Kind("L = (a*b - c)**2", "a product, a difference, a square"),
        Kind("L = (a + b) / c", "a sum, then a quotient"),
        Kind("L = tanh(a*b + c)", "a product, a sum, a tanh"),
        Kind("L = sigmoid(a*b + c)", "a product, a sum, a sigmoid"),
        Kind("L = relu(x*y + z)", "a product, a sum, a relu"),
        Kind("L = exp(a*b - c)", "a product, a difference, an exp"),
        Kind("L = log(x*y + z)", "a product, a sum, a log"),
    ),
    2: (  # a neuron, or a name used more than once
        Kind("o = tanh(x1*w1 + x2*w2 + b)", "a tanh neuron"),
        Kind("o = sigmoid(x1*w1 + x2*w2 + b)", "a sigmoid neuron"),
        Kind("o = relu(x1*w1 + x2*w2 + b)", "a relu neuron"),
        Kind("L = x*y + x", "x used twice"),
        Kind("L = a*b + b*c", "b used twice"),
        Kind("L = (x + y) * (x - y)", "x and y used twice"),
        Kind("L = (x*x + y) * y", "x twice in one product, y twice"),
        Kind("L = tanh(x*w) * x", "x used twice, once inside a tanh"),
    ),
    3: (  # two layers and a squared loss
        Kind("L = (tanh(w1*x + b1)*w2 + b2 - t)**2", "a tanh hidden unit, a linear output, "
             "a squared error"),
        Kind("L = (sigmoid(w1*x + b1)*w2 + b2 - t)**2", "a sigmoid hidden unit, a linear "
             "output, a squared error"),
        Kind("L = (relu(w1*x + b1)*w2 + b2 - t)**2", "a relu hidden unit, a linear output, "
             "a squared error"),
        Kind("L = (tanh(w1*x1 + w2*x2 + b1)*w3 + b2 - t)**2", "a two-input tanh unit, a "
             "linear output, a squared error"),
        Kind("L = (tanh(w1*x + b1)*u1 + tanh(w2*x + b2)*u2 - t)**2", "two tanh hidden units, "
             "a linear output, a squared error"),
        Kind("L = (relu(w1*x + b1)*u1 + relu(w2*x + b2)*u2 - t)**2", "two relu hidden units, "
             "a linear output, a squared error"),
    ),
}


@dataclass(frozen=True)
class Exercise:
    """One exercise: its kind, the values of its names, and the engine's worked answer."""

    kind: Kind
    values: dict[str, float]
    explanation: Explanation

    @property
    def formula(self) -> str:
        return self.kind.formula

    def tables(self) -> list[Table]:
        """The tables this exercise needs, in the order its functions first appear."""
        ops = dict.fromkeys(node.op for node in self.explanation.run.snapshot.order)
        return [TABLES[op] for op in ops if op in TABLES]


@dataclass(frozen=True)
class Sheet:
    """One student's exercises (`student` 0 when the sheets are not per student)."""

    student: int
    exercises: list[Exercise]


class GenerationError(RuntimeError):
    """No well-posed values were found for a kind (a bug in the kinds or the checks)."""


def _decimals_within(x: float, decimals: int) -> bool:
    """Whether x is exactly a number with at most `decimals` decimals (2.25 has 2)."""
    scaled = x * 10**decimals
    return scaled == round(scaled) and abs(scaled) < 2**52


def _in_range(x: float) -> bool:
    return MIN_MAGNITUDE <= abs(x) <= MAX_MAGNITUDE


def problem(explanation: Explanation) -> str | None:
    """Why this worked exercise would not do for a sheet, or None when it is well posed (see
    the module docstring for the rules)."""
    snap, names = explanation.run.snapshot, explanation.run.snapshot.names
    looked_up = False  # whether some node's value comes through a table
    exact: dict[Value, bool] = {}  # computed without a table look-up
    for node in snap.order:
        name = names[node]
        if not _in_range(node.data):
            return f"{name} = {node.data:g} is 0 or out of range"
        exact[node] = node.op not in TABLES and all(exact[p] for p in node.parents)
        if node.op in TABLES:
            looked_up = True
            if node.parents[0].data not in TABLES[node.op].grid:
                return f"{node.op}({node.parents[0].data:g}) is not in its table"
        if exact[node] and not _decimals_within(node.data, FORWARD_DECIMALS):
            return f"{name} = {node.data:g} has too many decimals"
        for local in node.local_grads:
            if not _in_range(local):
                return f"a local derivative of {name} is {local:g}"
    numbers = [step.contribution for step in explanation.steps]
    numbers += [explanation.grads[node] for node in snap.order]
    for x in numbers:
        if not _in_range(x):
            return f"a contribution or gradient is {x:g}"
    if not looked_up:
        numbers += [g for node in snap.order for g in node.local_grads]
        if not all(_decimals_within(x, EXACT_DECIMALS) for x in numbers):
            return "a number has more than 4 decimals"
    return None


def draw(formula: Formula, pool: tuple[float, ...], rng: random.Random,
         taken: Callable[[tuple[float, ...]], bool]) -> tuple[dict[str, float], Explanation]:
    """Values for `formula`'s names from `pool` until the exercise is well posed and its values
    are not `taken`; raises GenerationError after ATTEMPTS draws."""
    for _ in range(ATTEMPTS):
        numbers = tuple(rng.choice(pool) for _ in formula.names)
        if taken(numbers):
            continue
        values = dict(zip(formula.names, numbers))
        try:
            explanation = explain(formula, values)
        except FormulaError:  # a domain error: log of a negative number, a division by 0
            continue
        if problem(explanation) is None:
            return values, explanation
    raise GenerationError(f"found no well-posed values for {formula.text!r} in {ATTEMPTS:,} "
                          "draws")


def generate(seed: int, count: int, level: int, students: int = 0) -> list[Sheet]:
    """`count` exercises of `level` for each of `students` students (0: one sheet, for no one
    in particular). Each sheet has the same kinds in the same order; no two exercises anywhere
    share their values while the kind has fresh values left (see `_draw_unique`), and no two
    sheets are the same. The kinds go round the level's list in a shuffled order, so ten
    exercises cover every kind before any repeats."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    rng = random.Random(seed)
    kinds = list(KINDS[level])
    rng.shuffle(kinds)
    chosen = [kinds[i % len(kinds)] for i in range(count)]
    formulas = {kind.formula: parse(kind.formula) for kind in kinds}
    used = Used()
    sheets = []
    for student in range(1, max(students, 1) + 1):
        for _ in range(SHEET_ATTEMPTS):
            used.on_sheet = set()
            exercises = []
            for kind in chosen:
                values, explanation = _draw_unique(kind.formula, formulas[kind.formula],
                                                   POOLS[level], rng, used)
                exercises.append(Exercise(kind, values, explanation))
            signature = tuple((ex.kind.formula, tuple(ex.values.values())) for ex in exercises)
            if signature not in used.sheets:
                break
        else:
            raise GenerationError(f"found no sheet of {count} level-{level} exercises that "
                                  f"differs from the {len(used.sheets)} before it")
        used.sheets.add(signature)
        used.seen.update(signature)
        sheets.append(Sheet(student if students else 0, exercises))
    return sheets


SHEET_ATTEMPTS = 100  # draws of a whole sheet before giving up on one no other student has


@dataclass
class Used:
    """The values drawn so far: on any sheet (`seen`), on the sheet being drawn (`on_sheet`),
    the kinds whose fresh values ran out (`exhausted`), and every finished sheet's values."""

    seen: set[tuple[str, tuple[float, ...]]] = field(default_factory=set)
    on_sheet: set[tuple[str, tuple[float, ...]]] = field(default_factory=set)
    exhausted: set[str] = field(default_factory=set)
    sheets: set[tuple[tuple[str, tuple[float, ...]], ...]] = field(default_factory=set)


def _draw_unique(key: str, formula: Formula, pool: tuple[float, ...], rng: random.Random,
                 used: Used) -> tuple[dict[str, float], Explanation]:
    """Values for `formula` (of the kind `key`) that no sheet has yet. A kind has only so many
    well-posed values (tanh(x*w) * x has 52), fewer than a large class needs: once they run
    out, the kind's values are only unique on the sheet being drawn (and `generate` keeps each
    sheet as a whole different from the others)."""
    if key not in used.exhausted:
        try:
            values, explanation = draw(formula, pool, rng,
                                       lambda numbers: (key, numbers) in used.seen
                                       or (key, numbers) in used.on_sheet)
        except GenerationError:
            used.exhausted.add(key)
        else:
            used.on_sheet.add((key, tuple(values.values())))
            return values, explanation
    values, explanation = draw(formula, pool, rng,
                               lambda numbers: (key, numbers) in used.on_sheet)
    used.on_sheet.add((key, tuple(values.values())))
    return values, explanation


def table_rows(table: Table) -> list[tuple[float, float, float]]:
    """(z, f(z), f'(z)) for each z of the table's grid."""
    return [(z, table.value(z), table.derivative(z)) for z in table.grid]


def hand_number(x: float) -> str:
    """A given value as a teacher writes it: 2, -1.5, 0.25 (never 2.0)."""
    if x.is_integer():
        return str(int(x))  # also 0 for -0.0
    return f"{x:g}"
