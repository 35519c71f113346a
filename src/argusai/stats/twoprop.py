"""The two-proportion z-test: is arm B's rate really different from arm A's?

Pure arithmetic. The test statistic uses the pooled rate (the null hypothesis: one rate
for both); the confidence interval of the difference uses each arm's own rate (Wald).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the two-sided 95 % quantile of the standard normal distribution
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Comparison:
    """B's rate minus A's, its 95 % confidence interval, z and the two-sided p-value."""

    diff: float
    low: float
    high: float
    z: float
    p_value: float

    @property
    def significant(self) -> bool:
        """The interval leaves out 0 (p < 0.05)."""
        return self.low > 0 or self.high < 0


def compare(x_a: int, n_a: int, x_b: int, n_b: int) -> Comparison | None:
    """``x`` successes of ``n`` trials in each arm; None when an arm has no trial."""
    if n_a <= 0 or n_b <= 0:
        return None
    p_a, p_b = x_a / n_a, x_b / n_b
    diff = p_b - p_a
    pooled = (x_a + x_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p_value = math.erfc(abs(z) / math.sqrt(2))
    half = Z_95 * math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return Comparison(diff, diff - half, diff + half, z, p_value)
