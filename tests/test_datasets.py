"""nn.datasets: shapes, labels, seeds, the ideal curves at noise 0, the noise itself, the split.

scikit-learn is a test dependency: it is the oracle for moons and circles, and the source of
digits(). Nothing here is skipped when it is missing.
"""

import math
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import datasets
from nn.datasets import blobs, circles, digits, moons, spiral, to_pm1, train_test_split, xor

ROOT = Path(__file__).resolve().parents[1]

# Points at noise 0 lie on their curve up to a few roundings of cos/sin.
CURVE_ATOL = 1e-12

seeds = st.integers(0, 2**32)  # NOTE: random.Random(-s) == random.Random(s) in CPython
sizes = st.integers(min_value=1, max_value=200)
noises = st.floats(min_value=0.0, max_value=2.0)

# Each generator with small arguments, called as gen(seed=...).
GENERATORS = {
    "moons": lambda seed, noise=0.1: moons(40, noise, seed=seed),
    "circles": lambda seed, noise=0.1: circles(40, noise, seed=seed),
    "xor": lambda seed, noise=0.1: xor(40, noise, seed=seed),
    "spiral": lambda seed, noise=0.1: spiral(15, 3, noise, seed=seed),
    "blobs": lambda seed, noise=0.1: blobs(40, 3, noise, seed=seed),
}


def check_shape(X, y, n, dim, labels):
    """n rows of dim plain floats, n plain int labels, exactly the given label set."""
    assert isinstance(X, list) and isinstance(y, list)
    assert len(X) == len(y) == n
    for row in X:
        assert isinstance(row, list) and len(row) == dim
        assert all(type(c) is float and math.isfinite(c) for c in row)
    assert all(type(label) is int for label in y)
    assert set(y) == set(labels)


def two_classes(n):
    """Class sizes of moons and circles: n // 2 points of class 0, the rest of class 1."""
    return {label: k for label, k in ((0, n // 2), (1, n - n // 2)) if k}


# ---------------------------------------------------------------------------------------------
# Shapes and label sets, for any size and seed.


@settings(max_examples=40, deadline=None)
@given(n=sizes, noise=noises, seed=seeds)
def test_moons_shape_and_class_sizes(n, noise, seed):
    X, y = moons(n, noise, seed)
    check_shape(X, y, n, 2, {0, 1} if n >= 2 else {1})
    assert Counter(y) == two_classes(n)


@settings(max_examples=40, deadline=None)
@given(n=sizes, noise=noises, factor=st.floats(0.0, 0.99), seed=seeds)
def test_circles_shape_and_class_sizes(n, noise, factor, seed):
    X, y = circles(n, noise, factor, seed)
    check_shape(X, y, n, 2, {0, 1} if n >= 2 else {1})
    assert Counter(y) == two_classes(n)


@settings(max_examples=40, deadline=None)
@given(n=sizes, noise=noises, seed=seeds)
def test_xor_shape_and_balance(n, noise, seed):
    X, y = xor(n, noise, seed)
    check_shape(X, y, n, 2, {0, 1} if n >= 2 else {0})
    # clusters (1,1) and (-1,-1) are class 0, the other two class 1; they take n//4 or n//4 + 1
    assert abs(y.count(0) - y.count(1)) <= 1


@settings(max_examples=40, deadline=None)
@given(n_per_class=st.integers(1, 60), classes=st.integers(2, 7), noise=noises, seed=seeds)
def test_spiral_has_k_classes_of_n_each(n_per_class, classes, noise, seed):
    X, y = spiral(n_per_class, classes, noise, seed)
    check_shape(X, y, n_per_class * classes, 2, range(classes))
    assert Counter(y) == {j: n_per_class for j in range(classes)}


@settings(max_examples=40, deadline=None)
@given(n=sizes, classes=st.integers(2, 7), noise=noises, seed=seeds)
def test_spiral_with_a_total_gives_exactly_n_points_split_evenly_over_the_arms(
    n, classes, noise, seed
):
    X, y = spiral(n=n, classes=classes, noise=noise, seed=seed)
    check_shape(X, y, n, 2, range(min(n, classes)))
    # the first arms take the remainder, as xor and blobs split theirs
    assert [Counter(y)[j] for j in range(classes)] == [
        n // classes + (1 if j < n % classes else 0) for j in range(classes)]


@settings(max_examples=20, deadline=None)
@given(n_per_class=st.integers(1, 40), classes=st.integers(2, 5), noise=noises, seed=seeds)
def test_spiral_with_a_total_divisible_by_the_arms_is_the_same_data_as_per_arm(
    n_per_class, classes, noise, seed
):
    assert spiral(n=n_per_class * classes, classes=classes, noise=noise, seed=seed) == spiral(
        n_per_class, classes, noise, seed)


def test_spiral_arms_of_unequal_length_each_run_from_the_centre_out():
    X, y = spiral(n=10, classes=3, noise=0.0, shuffle=False)
    assert y == [0] * 4 + [1] * 3 + [2] * 3
    for j, start in ((0, 0), (1, 4), (2, 7)):
        arm = X[start:start + y.count(j)]
        assert math.hypot(*arm[0]) == 0.0 and math.hypot(*arm[-1]) == pytest.approx(1.0)


def test_spiral_takes_points_per_arm_or_a_total_not_both():
    with pytest.raises(TypeError, match="n_per_class .* or n .*, not both"):
        spiral(10, n=30)
    with pytest.raises(ValueError, match="spiral: n must be an int >= 1"):
        spiral(n=0)


@settings(max_examples=40, deadline=None)
@given(n=sizes, centers=st.integers(1, 6), std=noises, dim=st.integers(1, 5), seed=seeds)
def test_blobs_shape_and_class_sizes(n, centers, std, dim, seed):
    X, y = blobs(n, centers, std, seed, dim)
    check_shape(X, y, n, dim, range(min(n, centers)))
    counts = Counter(y)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_defaults():
    assert len(moons()[0]) == len(circles()[0]) == len(xor()[0]) == len(blobs()[0]) == 100
    X, y = spiral()
    assert len(X) == 300 and set(y) == {0, 1, 2}
    X, y = blobs()
    assert len(X[0]) == 2 and set(y) == {0, 1, 2}


def test_int_like_sizes_are_accepted():
    X, y = moons(np.int64(10), seed=np.int64(3))
    assert len(X) == 10


# ---------------------------------------------------------------------------------------------
# Seeds: same seed, same data; another seed, other data; the global random state untouched.


@pytest.mark.parametrize("name", sorted(GENERATORS))
@settings(max_examples=20, deadline=None)
@given(seed=seeds, other=seeds)
def test_same_seed_same_data_other_seed_other_data(name, seed, other):
    gen = GENERATORS[name]
    assert gen(seed) == gen(seed)
    if other != seed:
        assert gen(seed) != gen(other)


def test_blob_centers_depend_on_the_seed_even_without_noise():
    assert blobs(30, 3, 0.0, seed=1)[0] != blobs(30, 3, 0.0, seed=2)[0]


def test_global_random_state_is_neither_used_nor_changed():
    random.seed(1234)
    state = random.getstate()
    first = [gen(7) for gen in GENERATORS.values()]
    split = train_test_split(*moons(30), seed=7)
    assert random.getstate() == state
    # and the output does not depend on it
    random.seed(99)
    assert [gen(7) for gen in GENERATORS.values()] == first
    assert train_test_split(*moons(30), seed=7) == split


def test_module_is_pure_python():
    # importing it pulls in neither numpy nor scikit-learn (digits() imports sklearn lazily)
    code = (
        "import sys, nn.datasets; "
        "print(sorted(m for m in ('numpy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# noise=0: every point on its ideal curve.


@pytest.mark.parametrize("n", [1, 2, 7, 100, 101])
def test_moons_without_noise_lie_on_two_unit_half_circles(n):
    X, y = moons(n, noise=0.0, seed=3)
    for (a, b), label in zip(X, y):
        if label == 0:  # upper moon: centre (0, 0), upper half
            assert abs(a * a + b * b - 1.0) <= CURVE_ATOL and b >= -CURVE_ATOL
        else:  # lower moon: centre (1, 0.5), lower half
            assert abs((a - 1.0) ** 2 + (b - 0.5) ** 2 - 1.0) <= CURVE_ATOL
            assert b <= 0.5 + CURVE_ATOL


@pytest.mark.parametrize("n", [4, 9, 100])
def test_moons_without_noise_span_both_ends_of_each_half_circle(n):
    X, y = moons(n, noise=0.0, shuffle=False)
    outer, inner = X[: n // 2], X[n // 2 :]
    assert outer[0] == [1.0, 0.0] and inner[0] == [0.0, 0.5]
    assert outer[-1] == pytest.approx([-1.0, 0.0], abs=CURVE_ATOL)
    assert inner[-1] == pytest.approx([2.0, 0.5], abs=CURVE_ATOL)


@pytest.mark.parametrize("factor", [0.0, 0.3, 0.5, 0.9])
def test_circles_without_noise_have_radii_one_and_factor(factor):
    X, y = circles(101, noise=0.0, factor=factor, seed=5)
    for (a, b), label in zip(X, y):
        radius = 1.0 if label == 0 else factor
        assert abs(math.hypot(a, b) - radius) <= CURVE_ATOL


def test_circles_without_noise_are_evenly_spaced_without_repeating_the_start():
    X, _ = circles(8, noise=0.0, shuffle=False)
    angles = [math.atan2(b, a) % (2 * math.pi) for a, b in X[:4]]
    assert angles == pytest.approx([0.0, math.pi / 2, math.pi, 3 * math.pi / 2], abs=CURVE_ATOL)


@pytest.mark.parametrize("n", [1, 4, 10, 101])
def test_xor_without_noise_sits_on_the_corners_and_follows_the_sign_rule(n):
    X, y = xor(n, noise=0.0, seed=2)
    for (a, b), label in zip(X, y):
        assert abs(a) == 1.0 and abs(b) == 1.0
        assert label == (1 if a * b < 0 else 0)
    if n >= 4:
        assert {(a, b) for a, b in X} == {(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)}


def test_xor_labels_follow_the_clusters_not_the_noisy_point():
    # with small noise no point leaves its quadrant, so the sign rule holds point by point
    X, y = xor(400, noise=0.1, seed=0)
    assert all(label == (1 if a * b < 0 else 0) for (a, b), label in zip(X, y))


@pytest.mark.parametrize("n_per_class, classes", [(1, 2), (5, 3), (50, 4)])
def test_spiral_without_noise_matches_the_cs231n_formula(n_per_class, classes):
    X, y = spiral(n_per_class, classes, noise=0.0, shuffle=False)
    # the CS231n notebook, in numpy
    expected = []
    for j in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = np.linspace(j * 4, (j + 1) * 4, n_per_class)
        expected.append(np.c_[r * np.sin(t), r * np.cos(t)])
    assert np.allclose(np.array(X), np.concatenate(expected), rtol=0, atol=CURVE_ATOL)
    assert y == [j for j in range(classes) for _ in range(n_per_class)]


def test_spiral_noise_turns_points_but_keeps_their_radius():
    clean, _ = spiral(40, 3, noise=0.0, shuffle=False)
    noisy, _ = spiral(40, 3, noise=0.5, seed=4, shuffle=False)
    for (a, b), (c, d) in zip(clean, noisy):
        assert math.hypot(a, b) == pytest.approx(math.hypot(c, d), abs=CURVE_ATOL)
    assert clean != noisy


def test_blobs_without_spread_put_each_class_on_one_center_in_the_box():
    X, y = blobs(60, centers=4, std=0.0, seed=8, dim=3)
    by_class = {}
    for row, label in zip(X, y):
        by_class.setdefault(label, set()).add(tuple(row))
    assert all(len(points) == 1 for points in by_class.values())
    centers = [next(iter(points)) for points in by_class.values()]
    assert len(set(centers)) == 4
    assert all(-datasets.BLOB_BOX <= c <= datasets.BLOB_BOX for center in centers for c in center)


def test_blobs_with_given_centers():
    centers = [[0.0, 0.0, 0.0], [1.0, -2.0, 3.0]]
    X, y = blobs(5, centers, std=0.0, shuffle=False)
    assert X == [centers[0]] * 3 + [centers[1]] * 2 and y == [0, 0, 0, 1, 1]
    X, y = blobs(2000, [(10, 10), (-10, -10)], std=1.0, seed=1)
    for label, center in ((0, (10, 10)), (1, (-10, -10))):
        rows = np.array([row for row, lab in zip(X, y) if lab == label])
        assert np.allclose(rows.mean(axis=0), center, atol=0.15)
        assert np.allclose(rows.std(axis=0), 1.0, atol=0.1)


# ---------------------------------------------------------------------------------------------
# The noise: Gaussian, of the stated standard deviation, on every coordinate.


@pytest.mark.parametrize(
    "make",
    [
        lambda noise: moons(4000, noise, seed=1, shuffle=False),
        lambda noise: circles(4000, noise, seed=1, shuffle=False),
        lambda noise: xor(4000, noise, seed=1, shuffle=False),
    ],
    ids=["moons", "circles", "xor"],
)
def test_noise_is_gaussian_with_the_given_std(make):
    clean, y_clean = make(0.0)
    noisy, y_noisy = make(0.3)
    assert y_clean == y_noisy
    residuals = np.array(noisy) - np.array(clean)
    # 8000 draws: the sample mean is within 4 standard errors (0.3 / sqrt(8000) = 0.0034)
    assert abs(residuals.mean()) < 0.014
    assert residuals.std() == pytest.approx(0.3, rel=0.05)
    assert abs(np.corrcoef(residuals[:, 0], residuals[:, 1])[0, 1]) < 0.05


def test_spiral_noise_is_a_gaussian_angle_with_the_given_std():
    clean, _ = spiral(1000, 4, noise=0.0, shuffle=False)
    noisy, _ = spiral(1000, 4, noise=0.3, seed=1, shuffle=False)
    turns = np.array(
        [
            math.remainder(math.atan2(c, d) - math.atan2(a, b), 2 * math.pi)
            for (a, b), (c, d) in zip(clean, noisy)
            if math.hypot(a, b) > 0.0  # the first point of each arm sits at the origin
        ]
    )
    assert abs(turns.mean()) < 0.02  # 4 standard errors of 0.3 / sqrt(3996)
    assert turns.std() == pytest.approx(0.3, rel=0.05)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_shuffle_false_keeps_class_order_and_the_same_points(name):
    make = {
        "moons": lambda shuffle: moons(41, 0.2, seed=6, shuffle=shuffle),
        "circles": lambda shuffle: circles(41, 0.2, seed=6, shuffle=shuffle),
        "xor": lambda shuffle: xor(41, 0.2, seed=6, shuffle=shuffle),
        "spiral": lambda shuffle: spiral(14, 3, 0.2, seed=6, shuffle=shuffle),
        "blobs": lambda shuffle: blobs(41, 3, 0.2, seed=6, shuffle=shuffle),
    }[name]
    X, y = make(True)
    X_ordered, y_ordered = make(False)
    assert sorted(zip(map(tuple, X), y)) == sorted(zip(map(tuple, X_ordered), y_ordered))
    if name != "xor":  # xor's clusters alternate 0, 1, 0, 1
        assert y_ordered == sorted(y_ordered)
    assert y != y_ordered  # 41 points are never left in order by a shuffle


# ---------------------------------------------------------------------------------------------
# scikit-learn as the oracle for the shapes it defines.


@pytest.mark.parametrize("n", [1, 2, 15, 100])
def test_moons_match_sklearn_make_moons(n):
    from sklearn.datasets import make_moons

    X, y = moons(n, noise=0.0, shuffle=False)
    X_ref, y_ref = make_moons(n_samples=n, noise=None, shuffle=False)
    assert np.allclose(X, X_ref, rtol=0, atol=CURVE_ATOL) and y == y_ref.tolist()


@pytest.mark.parametrize("n, factor", [(2, 0.5), (15, 0.3), (100, 0.8)])
def test_circles_match_sklearn_make_circles(n, factor):
    from sklearn.datasets import make_circles

    X, y = circles(n, noise=0.0, factor=factor, shuffle=False)
    X_ref, y_ref = make_circles(n_samples=n, noise=None, factor=factor, shuffle=False)
    assert np.allclose(X, X_ref, rtol=0, atol=CURVE_ATOL) and y == y_ref.tolist()


# ---------------------------------------------------------------------------------------------
# digits()


def test_digits_are_1797_rows_of_64_pixels_in_unit_range():
    from sklearn.datasets import load_digits

    X, y = digits()
    check_shape(X, y, 1797, 64, range(10))
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    reference = load_digits()
    assert np.array_equal(np.array(X) * 16.0, reference.data)
    assert y == reference.target.tolist()


def test_digits_without_sklearn_says_how_to_install_it(monkeypatch):
    # a None entry in sys.modules makes `import sklearn...` raise ImportError
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[digits\]'"):
        digits()


# ---------------------------------------------------------------------------------------------
# train_test_split


@settings(max_examples=50, deadline=None)
@given(n=st.integers(2, 300), fraction=st.floats(0.01, 0.99), seed=seeds)
def test_split_partitions_the_samples_and_keeps_rows_with_labels(n, fraction, seed):
    n_test = math.ceil(fraction * n)
    if n_test >= n:
        with pytest.raises(ValueError, match="no training samples"):
            train_test_split([[i] for i in range(n)], list(range(n)), fraction, seed)
        return
    X = [[float(i), -float(i)] for i in range(n)]
    y = list(range(n))
    X_train, X_test, y_train, y_test = train_test_split(X, y, fraction, seed)
    assert len(X_test) == len(y_test) == n_test
    assert len(X_train) == len(y_train) == n - n_test
    assert sorted(y_train + y_test) == y  # a partition: disjoint, nothing lost
    assert set(y_train).isdisjoint(y_test)
    assert all(row == X[label] for row, label in zip(X_train + X_test, y_train + y_test))
    assert train_test_split(X, y, fraction, seed) == (X_train, X_test, y_train, y_test)


def test_split_default_is_a_seeded_shuffle_of_80_20():
    X, y = moons(100, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y)
    assert (len(X_train), len(X_test)) == (80, 20)
    assert train_test_split(X, y, seed=1) != (X_train, X_test, y_train, y_test)
    indices = list(range(100))
    assert train_test_split(indices, indices)[2] != indices[:80]  # shuffled, not cut
    assert train_test_split(tuple(X), tuple(y)) == (X_train, X_test, y_train, y_test)


# ---------------------------------------------------------------------------------------------
# to_pm1


def test_to_pm1_maps_0_to_minus_1_and_1_to_plus_1():
    assert to_pm1([0, 1, 1, 0]) == [-1, 1, 1, -1]
    assert to_pm1(()) == []
    _, y = moons(20)
    assert [2 * label - 1 for label in y] == to_pm1(y)


@pytest.mark.parametrize("bad", [[0, 2], [1, -1], [0, "1"], [0.5], [None]])
def test_to_pm1_rejects_other_labels_naming_the_index(bad):
    with pytest.raises(ValueError, match=f"got {bad[-1]!r} at index {len(bad) - 1}"):
        to_pm1(bad)


def test_to_pm1_wants_a_list():
    with pytest.raises(TypeError, match="list"):
        to_pm1(1)


# ---------------------------------------------------------------------------------------------
# Bad arguments: the right exception, and a message saying what was wrong and what to pass.

BAD = [
    # (function, args, kwargs, exception, message pattern)
    (moons, (0,), {}, ValueError, r"moons: n must be an int >= 1 \(the number of points"),
    (moons, (-5,), {}, ValueError, r"n must be an int >= 1.*got -5"),
    (moons, (10.0,), {}, TypeError, r"moons: n must be an int.*got float 10\.0"),
    (moons, (True,), {}, TypeError, r"n must be an int.*got bool"),
    (moons, ("100",), {}, TypeError, r"n must be an int.*got str"),
    (moons, (10, -0.1), {}, ValueError, r"moons: noise must be a finite number >= 0.*got -0\.1"),
    (moons, (10, math.nan), {}, ValueError, r"noise must be a finite number"),
    (moons, (10, math.inf), {}, ValueError, r"noise must be a finite number"),
    (moons, (10, "0.1"), {}, TypeError, r"noise must be a number.*got str"),
    (moons, (10, None), {}, TypeError, r"noise must be a number.*got NoneType"),
    (moons, (10,), {"seed": 1.5}, TypeError, r"moons: seed must be an int.*got float"),
    (moons, (10,), {"seed": None}, TypeError, r"seed must be an int.*got NoneType"),
    (moons, (10,), {"shuffle": "yes"}, TypeError, r"shuffle must be True or False"),
    (circles, (0,), {}, ValueError, r"circles: n must be an int >= 1"),
    (circles, (10, 0.1, 1.0), {}, ValueError, r"circles: factor must be in \[0, 1\).*got 1\.0"),
    (circles, (10, 0.1, -0.5), {}, ValueError, r"factor must be a finite number >= 0"),
    (circles, (10, -1), {}, ValueError, r"circles: noise must be"),
    (xor, (0,), {}, ValueError, r"xor: n must be an int >= 1"),
    (xor, (10, -1.0), {}, ValueError, r"xor: noise must be"),
    (spiral, (0,), {}, ValueError, r"spiral: n_per_class must be an int >= 1"),
    (spiral, (10, 1), {}, ValueError, r"spiral: classes must be an int >= 2.*got 1"),
    (spiral, (10, 2.0), {}, TypeError, r"classes must be an int.*got float"),
    (spiral, (10, 3, -0.2), {}, ValueError, r"spiral: noise must be"),
    (blobs, (0,), {}, ValueError, r"blobs: n must be an int >= 1"),
    (blobs, (10, 0), {}, ValueError, r"blobs: centers must be an int >= 1"),
    (blobs, (10, "3"), {}, TypeError, r"centers must be an int.*or their centers"),
    (blobs, (10, []), {}, ValueError, r"centers is an empty list"),
    (blobs, (10, [[0, 0], [1]]), {}, ValueError, r"centers\[1\] has 1 coordinates"),
    (blobs, (10, [[0, 0]]), {"dim": 3}, ValueError, r"centers\[0\] has 2 coordinates but dim=3"),
    (blobs, (10, [0, 1]), {}, TypeError, r"centers\[0\] must be a non-empty list"),
    (blobs, (10, [[0, math.nan]]), {}, ValueError, r"centers\[0\]\[1\] must be a finite number"),
    (blobs, (10, 3, -0.5), {}, ValueError, r"blobs: std must be a finite number >= 0"),
    (blobs, (10, 3, 0.5), {"dim": 0}, ValueError, r"blobs: dim must be an int >= 1"),
    (train_test_split, ("ab", [0, 1]), {}, TypeError, r"X must be a list.*got str"),
    (train_test_split, ([[0]], {0: 1}), {}, TypeError, r"y must be a list.*got dict"),
    (train_test_split, ([[0], [1]], [0]), {}, ValueError, r"X has 2 samples but y has 1"),
    (train_test_split, ([[0], [1]], [0, 1], 0.0), {}, ValueError, r"strictly between 0 and 1"),
    (train_test_split, ([[0], [1]], [0, 1], 1.0), {}, ValueError, r"strictly between 0 and 1"),
    (train_test_split, ([[0], [1]], [0, 1], math.nan), {}, ValueError, r"between 0 and 1"),
    (train_test_split, ([[0], [1]], [0, 1], "0.2"), {}, TypeError, r"test_fraction must be"),
    (train_test_split, ([[0]], [0], 0.5), {}, ValueError, r"leaves no training samples"),
    (train_test_split, ([], [], 0.5), {}, ValueError, r"of 0 samples leaves no training"),
    (train_test_split, ([[0], [1]], [0, 1]), {"seed": "a"}, TypeError, r"seed must be an int"),
]


@pytest.mark.parametrize(
    "fn, args, kwargs, error, message",
    BAD,
    ids=[f"{fn.__name__}-{i}" for i, (fn, *_rest) in enumerate(BAD)],
)
def test_bad_arguments_raise_with_a_message(fn, args, kwargs, error, message):
    with pytest.raises(error, match=message):
        fn(*args, **kwargs)
