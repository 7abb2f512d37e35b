"""The Student-t quantile behind the 95% mean intervals, against published table values."""

from __future__ import annotations

import pytest

from warmline.metrics.intervals import mean_interval, student_t_quantile, wilson


@pytest.mark.parametrize(
    ("df", "expected"),
    [(1, 12.706), (2, 4.303), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042), (100, 1.984), (5000, 1.960)],
)
def test_t_975_matches_the_table(df: int, expected: float) -> None:
    assert student_t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(("p", "df", "expected"), [(0.995, 3, 5.841), (0.9, 7, 1.415), (0.999, 20, 3.552)])
def test_other_quantiles(p: float, df: int, expected: float) -> None:
    assert student_t_quantile(p, df) == pytest.approx(expected, abs=5e-4)
    assert student_t_quantile(1 - p, df) == pytest.approx(-expected, abs=5e-4)


def test_series_and_expansion_agree_at_the_switch() -> None:
    assert student_t_quantile(0.975, 1000) == pytest.approx(student_t_quantile(0.975, 1001), abs=1e-5)


def test_mean_interval_and_wilson() -> None:
    assert mean_interval([1.0, 2.0, 3.0]) == (-0.48, 4.48)  # 2 +- 4.303 * 1 / sqrt(3)
    assert mean_interval([5.0]) == (5.0, 5.0)
    assert mean_interval([]) is None
    assert wilson(0, 0) is None
    assert wilson(5, 10) == (0.2366, 0.7634)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        student_t_quantile(1.0, 3)
    with pytest.raises(ValueError):
        student_t_quantile(0.975, 0)
