"""95% confidence intervals for the reported rates and means."""

from __future__ import annotations

import math
from statistics import fmean, stdev

from scipy.stats import t as student_t

Z95 = 1.959963984540054


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
    half = float(student_t.ppf(0.975, len(values) - 1)) * stdev(values) / math.sqrt(len(values))
    return (round(mean - half, 2), round(mean + half, 2))
