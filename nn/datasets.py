"""Small toy datasets for classification, in pure Python.

Every generator returns `(X, y)`: `X` a list of points (each a list of floats), `y` a list of int
labels 0..k-1. Each one draws from its own `random.Random(seed)`, never from the global `random`
state, so the same arguments always give the same points and a different seed gives other ones.

    moons     two interleaving half circles          (like sklearn's make_moons)
    circles   a small circle inside a big one        (like sklearn's make_circles)
    xor       four clusters, the label is the XOR of the signs
    spiral    k spiral arms                          (the CS231n spiral; n per arm or in all)
    blobs     Gaussian blobs around random centers   (like sklearn's make_blobs)
    digits    the 8x8 handwritten digits shipped with scikit-learn (needs `chainrule[digits]`)

plus `train_test_split` and `to_pm1` (labels 0/1 to -1/+1, for `hinge_loss`).

The points of a generator are made class by class and then shuffled (`shuffle=False` keeps them
in that order). The noise is drawn before the shuffle, so both orders hold the same points.
"""

from __future__ import annotations

import math
import operator
import random

__all__ = [
    "moons",
    "circles",
    "xor",
    "spiral",
    "blobs",
    "digits",
    "train_test_split",
    "to_pm1",
]

# blobs: each coordinate of a random center is drawn uniformly from [-BLOB_BOX, BLOB_BOX]
BLOB_BOX = 5.0


# ---------------------------------------------------------------------------------------------
# Argument checks: done once, at the boundary, with a message that says what to pass.


def _int(fn: str, name: str, value, minimum: float, what: str) -> int:
    # NOTE: operator.index accepts ints and int-like scalars (numpy.int64) but not floats;
    # bool is an int to Python, yet `n=True` is always a mistake.
    if isinstance(value, bool):
        index = None
    else:
        try:
            index = operator.index(value)
        except TypeError:
            index = None
    if index is None:
        raise TypeError(
            f"{fn}: {name} must be an int ({what}), got {type(value).__name__} {value!r}"
        )
    if index < minimum:
        raise ValueError(f"{fn}: {name} must be an int >= {minimum} ({what}), got {index}")
    return index


def _float(fn: str, name: str, value, minimum: float, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"{fn}: {name} must be a number ({what}), got {type(value).__name__} {value!r}"
        )
    value = float(value)
    if not math.isfinite(value) or value < minimum:
        bound = "" if minimum == -math.inf else f" >= {minimum:g}"
        raise ValueError(f"{fn}: {name} must be a finite number{bound} ({what}), got {value}")
    return value


def _seed(fn: str, seed) -> random.Random:
    """A private generator: the global `random` state is never read nor changed."""
    return random.Random(_int(fn, "seed", seed, -math.inf, "the same seed gives the same data"))


def _bool(fn: str, name: str, value) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{fn}: {name} must be True or False, got {type(value).__name__} {value!r}")
    return value


# ---------------------------------------------------------------------------------------------
# Helpers shared by the generators.


def _linspace(start: float, stop: float, k: int, endpoint: bool = True) -> list[float]:
    """k evenly spaced numbers from start to stop (numpy.linspace); [start] when k == 1."""
    if k == 0:
        return []
    if k == 1:
        return [float(start)]
    steps = k - 1 if endpoint else k
    return [start + (stop - start) * i / steps for i in range(k)]


def _split(n: int, parts: int) -> list[int]:
    """n split into `parts` counts as evenly as possible, the first ones taking the remainder."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _finish(
    rng: random.Random, X: list[list[float]], y: list[int], shuffle: bool
) -> tuple[list[list[float]], list[int]]:
    if shuffle:
        order = list(range(len(y)))
        rng.shuffle(order)
        X = [X[i] for i in order]
        y = [y[i] for i in order]
    return X, y


# ---------------------------------------------------------------------------------------------
# The generators.


def moons(
    n: int = 100, noise: float = 0.1, seed: int = 0, *, shuffle: bool = True
) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (sklearn.datasets.make_moons).

    With t running evenly over [0, pi] (both ends included) within each moon:

        label 0, n // 2 points:      (cos t, sin t)              the upper moon, centre (0, 0)
        label 1, n - n // 2 points:  (1 - cos t, 0.5 - sin t)    the lower moon, centre (1, 0.5)

    both of radius 1; then Gaussian noise of standard deviation `noise` is added to every
    coordinate.
    """
    fn = "moons"
    n = _int(fn, "n", n, 1, "the number of points, e.g. n=100")
    noise = _float(fn, "noise", noise, 0.0, "the std of the Gaussian noise, e.g. noise=0.1")
    rng = _seed(fn, seed)
    shuffle = _bool(fn, "shuffle", shuffle)

    n_outer = n // 2
    X: list[list[float]] = []
    y: list[int] = []
    for t in _linspace(0.0, math.pi, n_outer):
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for t in _linspace(0.0, math.pi, n - n_outer):
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1)
    X = [[c + noise * rng.gauss(0.0, 1.0) for c in point] for point in X]
    return _finish(rng, X, y, shuffle)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0, *, shuffle: bool = True
) -> tuple[list[list[float]], list[int]]:
    """A small circle inside a big one (sklearn.datasets.make_circles).

    With t running evenly over [0, 2*pi) (2*pi itself left out) within each circle:

        label 0, n // 2 points:      (cos t, sin t)                  radius 1
        label 1, n - n // 2 points:  (factor cos t, factor sin t)    radius factor (0 <= factor < 1)

    then Gaussian noise of standard deviation `noise` is added to every coordinate.
    """
    fn = "circles"
    n = _int(fn, "n", n, 1, "the number of points, e.g. n=100")
    noise = _float(fn, "noise", noise, 0.0, "the std of the Gaussian noise, e.g. noise=0.05")
    factor = _float(fn, "factor", factor, 0.0, "the inner radius over the outer one, in [0, 1)")
    if factor >= 1.0:
        raise ValueError(
            f"circles: factor must be in [0, 1) (the inner radius over the outer one, "
            f"e.g. factor=0.5), got {factor}"
        )
    rng = _seed(fn, seed)
    shuffle = _bool(fn, "shuffle", shuffle)

    n_outer = n // 2
    X: list[list[float]] = []
    y: list[int] = []
    for label, radius, k in ((0, 1.0, n_outer), (1, factor, n - n_outer)):
        for t in _linspace(0.0, 2.0 * math.pi, k, endpoint=False):
            X.append([radius * math.cos(t), radius * math.sin(t)])
            y.append(label)
    X = [[c + noise * rng.gauss(0.0, 1.0) for c in point] for point in X]
    return _finish(rng, X, y, shuffle)


def xor(
    n: int = 100, noise: float = 0.1, seed: int = 0, *, shuffle: bool = True
) -> tuple[list[list[float]], list[int]]:
    """Four clusters at (1, 1), (-1, 1), (-1, -1), (1, -1): the XOR problem.

    A point of the cluster at (a, b) is (a, b) plus Gaussian noise of standard deviation
    `noise` on each coordinate; its label is 1 when the signs of a and b differ (a * b < 0),
    else 0. The label belongs to the cluster, so a noisy point can stray into the next
    quadrant. The n points are split over the four clusters as evenly as possible.
    """
    fn = "xor"
    n = _int(fn, "n", n, 1, "the number of points, e.g. n=100")
    noise = _float(fn, "noise", noise, 0.0, "the std of the Gaussian noise, e.g. noise=0.1")
    rng = _seed(fn, seed)
    shuffle = _bool(fn, "shuffle", shuffle)

    corners = ((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0))
    X: list[list[float]] = []
    y: list[int] = []
    for (a, b), k in zip(corners, _split(n, 4)):
        for _ in range(k):
            X.append([a + noise * rng.gauss(0.0, 1.0), b + noise * rng.gauss(0.0, 1.0)])
            y.append(1 if a * b < 0 else 0)
    return _finish(rng, X, y, shuffle)


def spiral(
    n_per_class: int | None = None,
    classes: int = 3,
    noise: float = 0.2,
    seed: int = 0,
    *,
    n: int | None = None,
    shuffle: bool = True,
) -> tuple[list[list[float]], list[int]]:
    """k spiral arms winding out of the origin (the CS231n spiral, k = `classes`).

    Give the size as `n_per_class` points per arm (100 by default), or as `n` points in all,
    split over the arms as evenly as possible (the first arms take the remainder: n=100 over 3
    arms is 34, 33, 33). Arm j (label j) of m points: its i-th point, with r running evenly
    over [0, 1] and t evenly over [4j, 4(j + 1)] (both ends included), is

        (r sin t', r cos t')    where t' = t + noise * N(0, 1)

    so here the noise is an angle in radians, and every point stays at its radius r.
    """
    fn = "spiral"
    if n is not None and n_per_class is not None:
        raise TypeError("spiral: give n_per_class (points per arm) or n (points in all), "
                        "not both")
    classes = _int(fn, "classes", classes, 2, "the number of arms, e.g. classes=3")
    if n is None:
        per_arm = 100 if n_per_class is None else n_per_class
        per_arm = _int(fn, "n_per_class", per_arm, 1, "points per arm, e.g. n_per_class=100")
        counts = [per_arm] * classes
    else:
        counts = _split(_int(fn, "n", n, 1, "the number of points in all, e.g. n=300"), classes)
    noise = _float(fn, "noise", noise, 0.0, "the std of the angle's noise in radians, e.g. 0.2")
    rng = _seed(fn, seed)
    shuffle = _bool(fn, "shuffle", shuffle)

    X: list[list[float]] = []
    y: list[int] = []
    for j, k in enumerate(counts):
        radii = _linspace(0.0, 1.0, k)
        angles = _linspace(4.0 * j, 4.0 * (j + 1), k)
        for r, t in zip(radii, angles):
            t += noise * rng.gauss(0.0, 1.0)
            X.append([r * math.sin(t), r * math.cos(t)])
            y.append(j)
    return _finish(rng, X, y, shuffle)


def blobs(
    n: int = 100,
    centers=3,
    std: float = 0.5,
    seed: int = 0,
    dim: int | None = None,
    *,
    shuffle: bool = True,
) -> tuple[list[list[float]], list[int]]:
    """Gaussian blobs (sklearn.datasets.make_blobs).

    `centers` is a count k, or the centers themselves as a list of points. A count draws k
    centers c_0 .. c_{k-1} from the seed, each coordinate uniform in [-BLOB_BOX, BLOB_BOX]
    (BLOB_BOX = 5). A point of class j is

        c_j + std * (N(0, 1), ..., N(0, 1))        (dim independent coordinates)

    and the n points are split over the k classes as evenly as possible. `dim` is the number of
    coordinates: 2 by default with a count of centers, else the length of the given centers.
    """
    fn = "blobs"
    n = _int(fn, "n", n, 1, "the number of points, e.g. n=100")
    std = _float(fn, "std", std, 0.0, "the std of each blob, e.g. std=0.5")
    rng = _seed(fn, seed)
    shuffle = _bool(fn, "shuffle", shuffle)
    if dim is not None:
        dim = _int(fn, "dim", dim, 1, "the number of coordinates per point, e.g. dim=2")

    if isinstance(centers, (list, tuple)):
        points = _centers(centers, dim)
    else:
        k = _int(fn, "centers", centers, 1, "a number of blobs, e.g. centers=3, or their centers")
        dim = 2 if dim is None else dim
        points = [[rng.uniform(-BLOB_BOX, BLOB_BOX) for _ in range(dim)] for _ in range(k)]

    X: list[list[float]] = []
    y: list[int] = []
    for j, (center, count) in enumerate(zip(points, _split(n, len(points)))):
        for _ in range(count):
            X.append([c + std * rng.gauss(0.0, 1.0) for c in center])
            y.append(j)
    return _finish(rng, X, y, shuffle)


def _centers(centers, dim: int | None) -> list[list[float]]:
    """Checks a list of explicit blob centers: at least one, all with the same length."""
    if not centers:
        raise ValueError("blobs: centers is an empty list; pass a count (centers=3) or points")
    points = []
    for i, center in enumerate(centers):
        if not isinstance(center, (list, tuple)) or not center:
            raise TypeError(
                f"blobs: centers[{i}] must be a non-empty list of coordinates, "
                f"got {type(center).__name__} {center!r}"
            )
        want = len(centers[0]) if dim is None else dim
        if len(center) != want:
            raise ValueError(
                f"blobs: centers[{i}] has {len(center)} coordinates but "
                + (f"dim={dim}" if dim is not None else f"centers[0] has {want}")
                + "; give every center the same number of coordinates"
            )
        points.append(
            [
                _float("blobs", f"centers[{i}][{d}]", c, -math.inf, "a coordinate")
                for d, c in enumerate(center)
            ]
        )
    return points


def digits() -> tuple[list[list[float]], list[int]]:
    """The 1,797 handwritten digits of scikit-learn (UCI optdigits test set), 8x8 pixels each.

    Each X row is the 64 pixels, row by row, as floats in [0, 1] (the 0..16 ink counts / 16);
    y is the digit, 0..9. The data is a file inside the installed scikit-learn package, so no
    network is needed; scikit-learn itself comes with `pip install 'chainrule[digits]'`.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError(
            "digits() needs scikit-learn, which ships the 8x8 digits: "
            "pip install 'chainrule[digits]'"
        ) from err
    data = load_digits()
    X = [[float(v) / 16.0 for v in row] for row in data.data.tolist()]
    y = [int(label) for label in data.target.tolist()]
    return X, y


# ---------------------------------------------------------------------------------------------
# Working with a dataset.


def train_test_split(X, y, test_fraction: float = 0.2, seed: int = 0):
    """Shuffles the samples (seeded) and splits them into (X_train, X_test, y_train, y_test).

    The test set gets ceil(test_fraction * n) samples and the training set the rest; both must
    end up non-empty. Rows are passed through as they are (not copied); the classes are not
    stratified.
    """
    fn = "train_test_split"
    for name, value in (("X", X), ("y", y)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(
                f"{fn}: {name} must be a list (one entry per sample), "
                f"got {type(value).__name__}; pass list({name})"
            )
    if len(X) != len(y):
        raise ValueError(
            f"{fn}: X has {len(X)} samples but y has {len(y)}; pass one label per row of X"
        )
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)):
        raise TypeError(
            f"{fn}: test_fraction must be a number in (0, 1), e.g. 0.2, "
            f"got {type(test_fraction).__name__} {test_fraction!r}"
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"{fn}: test_fraction must be strictly between 0 and 1 (the share of samples "
            f"held out), e.g. 0.2, got {test_fraction}"
        )
    rng = _seed(fn, seed)

    n = len(y)
    n_test = math.ceil(test_fraction * n)
    if n_test >= n:
        raise ValueError(
            f"{fn}: test_fraction={test_fraction} of {n} samples leaves no training samples; "
            "pass a smaller test_fraction or more samples"
        )
    order = list(range(n))
    rng.shuffle(order)
    test, train = order[:n_test], order[n_test:]
    return (
        [X[i] for i in train],
        [X[i] for i in test],
        [y[i] for i in train],
        [y[i] for i in test],
    )


def to_pm1(y) -> list[int]:
    """Labels 0/1 to -1/+1 (0 -> -1, 1 -> +1): the targets `hinge_loss` expects."""
    if not isinstance(y, (list, tuple)):
        raise TypeError(f"to_pm1: y must be a list of 0/1 labels, got {type(y).__name__}")
    out = []
    for i, label in enumerate(y):
        if isinstance(label, (int, float)) and label in (0, 1):
            out.append(1 if label == 1 else -1)
        else:
            raise ValueError(f"to_pm1: labels must be 0 or 1, got {label!r} at index {i}")
    return out
