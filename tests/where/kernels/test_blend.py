"""The blended forecast surface: the unit-peak kernel by hand, decay, and the score's terms."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harmwatch.where.kernels import blend


def test_unit_peak_stencil_by_hand() -> None:
    # h = 500 m on 250 m cells: offsets 0, ±250, ±500; (1 − d²/h²)² with d < h.
    k = blend.unit_peak_stencil(500.0, 250.0)
    assert k.shape == (5, 5) and k[2, 2] == 1.0
    assert k[2, 3] == pytest.approx((1 - 0.25) ** 2)  # d = 250: 0.5625
    assert k[3, 3] == pytest.approx((1 - 0.5) ** 2)  # d = 353.6: 0.25
    assert k[2, 4] == 0.0 and k[0, 0] == 0.0  # d = 500 is not < h
    assert blend.unit_peak_stencil(100.0, 250.0).tolist() == [[1.0]]
    with pytest.raises(ValueError):
        blend.unit_peak_stencil(0.0, 250.0)


def test_smooth_spreads_each_count_by_the_kernel_exactly_and_by_fft() -> None:
    counts = np.zeros((60, 70))
    counts[30, 35] = 2
    counts[5, 5] = 1
    small = blend.smooth(counts, 500.0, 250.0)  # exact correlation
    assert small[30, 35] == 2.0 and small[30, 36] == pytest.approx(2 * 0.5625)
    assert small.sum() == pytest.approx(3 * blend.unit_peak_stencil(500.0, 250.0).sum())
    wide = blend.smooth(counts, 8000.0, 250.0)  # 65 x 65 stencil: the FFT route
    k = blend.unit_peak_stencil(8000.0, 250.0)
    r = k.shape[0] // 2
    assert wide[30, 35] == pytest.approx(2 + k[r + 25, r + 30], rel=1e-9)
    # Cells no crime reaches stay exactly 0, not FFT round-off.
    far = blend.smooth(np.pad(counts[:10, :10], ((0, 200), (0, 200))), 2000.0, 250.0)
    assert (far[100:, 100:] == 0).all()


def test_decay_halves_every_half_life() -> None:
    np.testing.assert_allclose(blend.decay([0, 3, 6], 3.0), [1.0, 0.5, 0.25])
    assert (blend.decay([0, 10, 100], math.inf) == 1).all()
    with pytest.raises(ValueError, match="leaks"):
        blend.decay([-1], 3.0)


def test_blend_score_adds_its_terms() -> None:
    counts = np.array([[2.0, 0.0, 1.0], [0.0, 1.0, 0.0]])  # 2 months x 3 cells
    near = counts * 1.5
    wide = counts * 0.5
    background = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 1.0]])
    w = np.array([0.5, 1.0])  # month 0 is the older one
    got = blend.blend_score(counts, near, wide, background, w)
    main = w @ counts + blend.NEAR_WEIGHT * (w @ near) + blend.WIDE_WEIGHT * (w @ wide)
    bg = background.sum(axis=0)
    np.testing.assert_allclose(got, main + blend.BACKGROUND_SCALE * bg / bg.max())
    # The background only orders cells with no crime: it never outweighs one crime's weight.
    assert blend.BACKGROUND_SCALE < 1e-3 * blend.WIDE_WEIGHT
