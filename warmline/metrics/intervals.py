"""95% confidence intervals for the reported rates and means."""

from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist, fmean, stdev

Z95 = 1.959963984540054
_SERIES_MAX_DF = 1000  # beyond this the Cornish-Fisher expansion is exact to ~1e-12, and the series gets long


def wilson(successes: int, n: int) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (well-behaved for small n and rates near 0 or 1)."""
    if n == 0:
        return None
    p = successes / n
    denominator = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denominator
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def mean_interval(values: list[float]) -> tuple[float, float] | None:
    """Student-t interval for a mean; a single value gives a zero-width interval."""
    if not values:
        return None
    mean = fmean(values)
    if len(values) < 2:
        return (round(mean, 2), round(mean, 2))
    half = student_t_quantile(0.975, len(values) - 1) * stdev(values) / math.sqrt(len(values))
    return (round(mean - half, 2), round(mean + half, 2))


@lru_cache(maxsize=256)
def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` (integer) degrees of freedom.

    Small ``df``: bisection on the exact closed-form CDF (below). Large ``df``: the Cornish-Fisher
    expansion around the normal quantile (Abramowitz & Stegun 26.7.5), already exact to print precision.
    """
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if df < 1:
        raise ValueError("df must be a positive integer")
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    if p == 0.5:
        return 0.0
    if df > _SERIES_MAX_DF:
        return _cornish_fisher(p, df)
    target = 2 * p - 1  # P(|T| <= t)
    low, high = 0.0, 1.0
    while _central_probability(high, df) < target:
        high *= 2
    for _ in range(100):  # bisection: the central probability is increasing in t
        middle = (low + high) / 2
        if _central_probability(middle, df) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _central_probability(t: float, df: int) -> float:
    """P(|T| <= t) for integer ``df`` (Abramowitz & Stegun 26.7.3-26.7.4, finite sums in cos^2 theta)."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:  # sin(theta) * (1 + 1/2 c + 1*3/(2*4) c^2 + ... up to c^((df-2)/2))
        term = total = 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        return sin * total
    if df == 1:
        return 2 * theta / math.pi
    # odd: 2/pi * (theta + sin cos (1 + 2/3 c + 2*4/(3*5) c^2 + ... up to c^((df-3)/2)))
    term = total = 1.0
    for k in range(1, (df - 1) // 2):
        term *= cos2 * (2 * k) / (2 * k + 1)
        total += term
    return 2 / math.pi * (theta + sin * math.sqrt(cos2) * total)


def _cornish_fisher(p: float, df: int) -> float:
    x = NormalDist().inv_cdf(p)
    g1 = (x**3 + x) / 4
    g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
    g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
    g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4
