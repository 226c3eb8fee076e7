"""A share of a count with its exact interval: ``k`` of ``n``, as the oversight room reports it.

A find rate (searches whose outcome was linked to the object of search, of all
searches) or an outcome share (drug crimes charged, of all drug crimes) is a
binomial proportion ``p̂ = k/n``. Its 95 % interval is the exact
Clopper–Pearson interval (Clopper, C. J. & Pearson, E. S., 1934, "The use of
confidence or fiducial limits illustrated in the case of the binomial",
*Biometrika* 26: 404–413), the quantiles of beta distributions:

    low  = B⁻¹(α/2;     k,     n − k + 1)   (0 when k = 0)
    high = B⁻¹(1 − α/2; k + 1, n − k)       (1 when k = n)

It never falls outside 0–1 and covers at least 95 % for every ``n`` and ``p``,
which is what a small group of searches or a few months of one crime type need;
it is ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` and R's
``binom.test``. With ``n = 0`` there is no share and every figure is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy.stats import beta

CONF_LEVEL = 0.95


@dataclass(frozen=True)
class Share:
    """``k`` of ``n``: the share and its exact interval (``None`` when ``n`` is 0)."""

    k: int
    n: int
    value: float | None
    low: float | None
    high: float | None
    conf_level: float = CONF_LEVEL

    def fields(self, name: str) -> dict[str, float | None]:
        """``{name: …, name_low: …, name_high: …}``, the JSON form every room output uses."""
        return {name: self.value, f"{name}_low": self.low, f"{name}_high": self.high}

    def text(self) -> str:
        """'23.4 % (21.9–25.0 %)' for a report; '—' with nothing to divide by."""
        if self.value is None or self.low is None or self.high is None:
            return "—"
        return f"{100 * self.value:.1f} % ({100 * self.low:.1f}–{100 * self.high:.1f} %)"


def share(k: int, n: int, conf_level: float = CONF_LEVEL) -> Share:
    """The share ``k/n`` with its exact (Clopper–Pearson) interval."""
    if int(k) != k or int(n) != n or k < 0 or n < 0:
        raise ValueError(f"a share needs whole counts k, n ≥ 0, got {k!r} of {n!r}")
    if k > n:
        raise ValueError(f"a share's count ({k}) cannot exceed its total ({n})")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie between 0 and 1, got {conf_level}")
    k, n = int(k), int(n)
    if n == 0:
        return Share(0, 0, None, None, None, conf_level)
    alpha = 1 - conf_level
    low = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return Share(k, n, k / n, low, high, conf_level)
