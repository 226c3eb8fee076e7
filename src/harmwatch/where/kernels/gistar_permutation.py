"""Gi* p-values by conditional permutation, as esda's ``p_sim``, fast on large grids.

The normal approximation behind Gi*'s z-score (:mod:`.gistar`) is poor for sparse
counts: on 250 m cells of drug offences most cells hold 0 and a few 1–3, so a
cell with 3 crimes among empty neighbours gets z = 21, a p-value no count of 3
deserves. Conditional permutation (Anselin 1995, "Local indicators of spatial
association — LISA", *Geographical Analysis* 27:93–115; the inference esda
offers for ``G_Local``) asks instead how often the cell's own value, with its
neighbours' values drawn at random without replacement from the *other* cells,
gives a neighbourhood sum as large as the one observed:

    S_i      = x_i + Σ_{j ∈ N(i)} x_j              (binary weights, self included: Gi*)
    S_i^(k)  = x_i + Σ_{m < |N(i)|} x_{o_i(π_k[m])}   for permutations k = 1 … P

where ``π_k`` is the k-th draw of ``max |N|`` distinct positions among the n − 1
cells other than i and ``o_i`` maps a position to a cell skipping i
(``o_i(j) = j`` for ``j < i``, ``j + 1`` otherwise). As in esda (``crand``), one
set of draws ``π`` serves every cell, and a cell with ``c`` neighbours uses the
first ``c`` positions of each draw. esda's ``p_sim`` is the "directed" one-sided
share: with ``L`` the number of draws with ``S^(k) ≥ S``, ``L := P − L`` if
``P − L < L``, and ``p_sim = (L + 1)/(P + 1)``. Since Gi*'s statistic is
``S_i / Σx`` with the same denominator for every draw, comparing sums is
comparing statistics; for counts (whole numbers) the sums are exact, so the
comparisons — ties included — are the ones esda makes, and with esda's own draws
(``esda.crand.vec_permutations``) the p-values are equal (the tests check it).
The two-sided p-value harmwatch reports is ``min(1, 2 (min(L≥, L≤) + 1)/(P + 1))``,
counting ties on both sides.

**Speed.** Done cell by cell, as esda does, this is n × P × |N| work; with the
shared draws it need not be. For a cell ``i``, ``S^(k)`` depends on ``i`` only
through the shift ``o_i``, which moves a drawn position ``j`` to ``j + 1`` when
``j ≥ i``. Writing ``a = x[π]`` and ``d = x[π + 1] − x[π]``,

    S_i^(k) − x_i = Σ_m a_km + Σ_m d_km · [π_km ≥ i]

so over a run of cells ``lo ≤ i ≤ hi`` a draw's sum is the same for every cell
unless one of its positions falls in ``[lo, hi)`` with ``d ≠ 0`` (for counts, a
position next to a change of value). Cells are taken in blocks; the draws whose
sums are constant over the block are sorted once and each cell's counts read by
binary search, and the few draws whose sums change inside the block are summed
exactly for each cell. The results are the same as the cell-by-cell loop, at a
small fraction of its cost.

**Multiple testing.** A permutation p-value is at least ``1/(P + 1)``. Adjusted
over m cells, Benjamini–Hochberg can call any cell significant at level α only
if some k cells have p ≤ kα/m, so with the two-sided floor ``2/(P + 1)`` at least
``2m / (α (P + 1))`` cells must sit at it; Holm needs ``P + 1 ≥ 2m/α`` outright. :func:`permutations_needed` says
how many draws make a rejection possible at all, and the hotspot verb says so
when the draws asked for are too few.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from harmwatch.where.kernels.gistar import _stencil, neighbour_offsets

DEFAULT_PERMUTATIONS = 9999
_BLOCK = 2048  # cells per block: the sorted constant draws are reused across a block
_CHUNK_ELEMENTS = 1 << 22  # draws × cells × neighbours summed at once, to bound memory


@dataclass(frozen=True)
class PermutationResult:
    """Per study cell (in ``mask``'s row-major order): counts and p-values."""

    permutations: int
    at_least: np.ndarray  # draws with a neighbourhood sum >= the cell's
    at_most: np.ndarray  # draws with a neighbourhood sum <= the cell's
    p_sim: np.ndarray  # esda's directed one-sided pseudo p-value
    p_two_sided: np.ndarray  # min(1, 2 (min(at_least, at_most) + 1) / (P + 1))

    @property
    def floor(self) -> float:
        """The smallest p-value the draws can give: 1 / (P + 1)."""
        return 1.0 / (self.permutations + 1)


def permutations_needed(cells: int, alpha: float, method: str) -> int:
    """Fewest draws with which an adjusted two-sided p-value can fall below ``alpha`` at all.

    The two-sided p-value is at least ``2/(P + 1)``. Holm's first step compares the
    smallest p with α/m, and Benjamini–Hochberg's with α/m for a single cell, so
    both need ``2/(P + 1) ≤ α/m``, i.e. ``P ≥ 2m/α − 1`` (with many cells at the
    floor BH can reject with fewer; the verb reports what the run's own p-values
    allow). Unadjusted, ``P ≥ 2/α − 1``.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha!r}")
    m = 1 if method == "none" else cells
    return math.ceil(2 * m / alpha) - 1


def draw_positions(
    n: int, columns: int, permutations: int, seed: int | np.random.Generator
) -> np.ndarray:
    """``permutations`` rows of ``columns`` distinct positions in ``0 … n − 2``, uniformly.

    Each row is a uniform draw without replacement (rows with a repeat are
    redrawn, which is exact rejection sampling), from a seeded generator.
    """
    if columns > n - 1:
        raise ValueError(f"cannot draw {columns} distinct neighbours from {n - 1} other cells")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    out = rng.integers(0, n - 1, size=(permutations, columns))
    if columns > 1:
        while True:
            ordered = np.sort(out, axis=1)
            bad = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if bad.size == 0:
                break
            out[bad] = rng.integers(0, n - 1, size=(bad.size, columns))
    return out


def gistar_permutation(
    values: np.ndarray,
    mask: np.ndarray,
    cell: float,
    distance_band: float | None = None,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | np.random.Generator = 0,
    positions: np.ndarray | None = None,
) -> PermutationResult:
    """Conditional-permutation pseudo p-values of Gi* for every cell in ``mask``.

    Args:
        values: ``(nrows, ncols)`` values per cell (counts); read inside ``mask``.
        mask: boolean study-area cells; only they are observations and neighbours.
        cell, distance_band: the neighbours, as :func:`.gistar.gistar` takes them.
        permutations: number of draws ``P`` (ignored when ``positions`` is given).
        seed: seed (or generator) for the draws.
        positions: the draws themselves, ``(P, ≥ max |N|)`` positions in
            ``0 … n − 2`` (esda's ``vec_permutations`` output, to replay esda).

    Returns:
        :class:`PermutationResult`, arrays over the mask's cells in row-major order.
    """
    values = np.asarray(values)
    mask = np.asarray(mask)
    if values.ndim != 2 or mask.shape != values.shape or mask.dtype != np.bool_:
        raise ValueError("values and mask must be 2-D arrays of one shape, the mask boolean")
    n = int(mask.sum())
    if n < 3:
        raise ValueError(f"Gi* needs at least 3 cells in the study area mask, got {n}")
    x = values[mask].astype(np.float64)
    if not np.isfinite(x).all():
        raise ValueError("values must be finite inside the mask")
    fp = _stencil(neighbour_offsets(cell, distance_band), values.shape)
    filled = np.zeros(values.shape)
    filled[mask] = x
    observed = ndimage.correlate(filled, fp, mode="constant", cval=0.0)[mask] - x
    cards = np.rint(
        ndimage.correlate(mask.astype(np.float64), fp, mode="constant", cval=0.0)[mask] - 1
    ).astype(np.int64)
    max_card = int(cards.max())
    if positions is None:
        if int(permutations) != permutations or permutations < 1:
            raise ValueError(f"permutations must be a whole number >= 1, got {permutations!r}")
        draws = draw_positions(n, max_card, int(permutations), seed)
    else:
        draws = np.asarray(positions, dtype=np.int64)
        if draws.ndim != 2 or draws.shape[1] < max_card:
            raise ValueError(f"positions must be (permutations, >= {max_card}) integers")
        if draws.size and (draws.min() < 0 or draws.max() > n - 2):
            raise ValueError(f"positions must lie in 0..{n - 2}")
    p_count = draws.shape[0]
    at_least = np.zeros(n, dtype=np.int64)
    at_most = np.zeros(n, dtype=np.int64)
    for c in np.unique(cards):
        cells = np.flatnonzero(cards == c)
        if c == 0:
            # No neighbour: every draw's sum is 0, like the observed one.
            at_least[cells] = p_count
            at_most[cells] = p_count
            continue
        pos = draws[:, :c]
        a = x[pos]
        d = x[pos + 1] - a  # positions stop at n − 2, so pos + 1 is a cell
        # Sum of every draw for a cell beyond all its positions (no shift), plus every d:
        # the sum for a cell before all of them (every position shifted).
        shifted_all = a.sum(axis=1) + d.sum(axis=1)
        # Only positions next to a change of value move a sum; taken in position order.
        rk, mk = np.nonzero(d != 0)
        order = np.argsort(pos[rk, mk], kind="stable")
        e_row, e_pos, e_d = rk[order], pos[rk, mk][order], d[rk, mk][order]
        passed = np.zeros(p_count)  # per draw: Σ d over positions below the block's end
        done = 0
        for start in range(0, cells.size, _BLOCK):
            block = cells[start : start + _BLOCK]
            lo, hi = int(block[0]), int(block[-1])
            first = int(np.searchsorted(e_pos, lo, side="left"))
            last = int(np.searchsorted(e_pos, hi, side="left"))
            # Positions below hi no longer shift for any cell of the block.
            np.add.at(passed, e_row[done:last], e_d[done:last])
            done = last
            const = shifted_all - passed
            rows = np.unique(e_row[first:last])
            fixed_mask = np.ones(p_count, dtype=bool)
            fixed_mask[rows] = False
            fixed = np.sort(const[fixed_mask])
            t = observed[block]
            ge = fixed.size - np.searchsorted(fixed, t, side="left")
            le = np.searchsorted(fixed, t, side="right")
            if rows.size:
                # Positions in [lo, hi) shift a draw's sum for the cells at or before them.
                by_row = np.argsort(e_row[first:last], kind="stable") + first
                row_of = e_row[by_row]
                starts = np.flatnonzero(np.r_[True, row_of[1:] != row_of[:-1]])
                sizes = np.diff(np.r_[starts, row_of.size])
                # Most moving draws have one moving position: their sum is const + d for
                # the cells at or before it and const after it.
                one = by_row[starts[sizes == 1]]
                many = [
                    by_row[s0 : s0 + n0] for s0, n0 in zip(starts, sizes, strict=True) if n0 > 1
                ]
                step = max(1, _CHUNK_ELEMENTS // max(1, one.size))
                base = const[e_row[one]]
                for begin in range(0, block.size, step):
                    part = slice(begin, begin + step)
                    early = e_pos[one][:, None] >= block[part][None, :]
                    tp = t[part][None, :]
                    high, low = (base + e_d[one])[:, None], base[:, None]
                    ge[part] += np.where(early, high >= tp, low >= tp).sum(axis=0)
                    le[part] += np.where(early, high <= tp, low <= tp).sum(axis=0)
                for entries in many:
                    sums = const[e_row[entries[0]]] + (
                        e_d[entries][:, None] * (e_pos[entries][:, None] >= block[None, :])
                    ).sum(axis=0)
                    ge += sums >= t
                    le += sums <= t
            at_least[block] = ge
            at_most[block] = le
    larger = at_least.copy()
    flip = (p_count - larger) < larger
    larger[flip] = p_count - larger[flip]
    p_sim = (larger + 1.0) / (p_count + 1.0)
    p_two = np.minimum(1.0, 2.0 * (np.minimum(at_least, at_most) + 1.0) / (p_count + 1.0))
    return PermutationResult(p_count, at_least, at_most, p_sim, p_two)
