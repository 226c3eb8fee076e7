"""The weighted displacement difference test (Wheeler & Ratcliffe 2018).

Wheeler, A. P. and Ratcliffe, J. H. (2018) "A simple weighted displacement
difference test to evaluate place based crime interventions", *Crime Science*
7:11 (doi:10.1186/s40163-018-0085-5). The WDQ (:mod:`harmwatch.evaluation.wdq`)
has no test of chance; the WDD is a difference in differences of counts with a
standard error under the Poisson assumption:

    local        = (T1 − T0) − (C1 − C0)              (target against its control)
    displacement = (D1 − D0) − (E1 − E0)              (buffer against its control)
    WDD          = local + displacement               (the total net effect)
    Var(WDD)     = T0 + T1 + C0 + C1 + D0 + D1 + E0 + E1

with ``0`` before and ``1`` after, T the target, C its control, D the
displacement (buffer) area and E its control. A negative WDD is crimes
prevented, net of any displacement into the buffer; z = WDD / SE, and the
interval is WDD ± z₁₋α/₂ · SE.

**Weights.** The test assumes each area's control is about as big as it and
that the periods are equally long; where not, the counts are divided by weights
(Wheeler's ``ptools::wdd``: ``time_weights`` for the periods, ``area_weights``
for the areas), each count ``x`` with weight ``w`` contributing ``x / w`` to the
estimate and ``x / w²`` to the variance. ``evaluate`` scales the pre-period to the
length of the post-period (time weight ``months_before / months_after``), so the
figures are crimes over the post-period, and scales the controls (every other
LSOA of the force) to the target's and the buffer's pre-period counts (area
weight ``C0 / T0`` and ``C0 / D0``), treating those weights as fixed.

**One control for both.** When the buffer's control is the same set of areas as
the target's (as in ``evaluate``), its counts enter the total twice and the two
terms are not independent: :func:`weighted_displacement_difference` then
adds their coefficients before squaring, which is the exact Poisson variance of
the linear combination and reduces to the formula above when the controls are
separate areas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class WDDResult:
    """The WDD's local, displacement and total (net) estimates, with standard errors."""

    local: float  # target against its control, crimes over the post-period
    local_se: float
    displacement: float  # buffer against its control (0 when there is no buffer)
    displacement_se: float
    total: float  # local + displacement: the net effect
    total_se: float
    z: float
    ci_low: float
    ci_high: float
    p_value: float
    conf_level: float
    weights: dict[str, float]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        def num(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {
            "local": num(self.local),
            "local_se": num(self.local_se),
            "displacement": num(self.displacement),
            "displacement_se": num(self.displacement_se),
            "total_net_effect": num(self.total),
            "se": num(self.total_se),
            "z": num(self.z),
            "ci_low": num(self.ci_low),
            "ci_high": num(self.ci_high),
            "p_value": num(self.p_value),
            "conf_level": self.conf_level,
            "weights": self.weights,
            "notes": list(self.notes),
            "method": "weighted displacement difference (Wheeler & Ratcliffe 2018), Poisson SE",
        }


def _check(name: str, pair: tuple[float, float]) -> tuple[float, float]:
    before, after = float(pair[0]), float(pair[1])
    if not (math.isfinite(before) and math.isfinite(after)) or before < 0 or after < 0:
        raise ValueError(f"{name} counts must be finite and not negative, got {pair!r}")
    return before, after


def weighted_displacement_difference(
    control: tuple[float, float],
    treated: tuple[float, float],
    disp_control: tuple[float, float] = (0.0, 0.0),
    disp_treated: tuple[float, float] = (0.0, 0.0),
    time_weights: tuple[float, float] = (1.0, 1.0),
    area_weights: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0),
    conf_level: float = 0.95,
    shared_control: bool = False,
) -> WDDResult:
    """The WDD test; arguments in the order of Wheeler's ``ptools::wdd``.

    Each pair is (before, after). ``area_weights`` are for (control, treated,
    displacement control, displacement area); ``time_weights`` for (before,
    after). ``shared_control``: the displacement control is the same areas (and
    counts) as the target's control, so its coefficients are added, not its
    variances (see the module docstring).
    """
    c0, c1 = _check("control", control)
    t0, t1 = _check("target", treated)
    e0, e1 = _check("displacement control", disp_control)
    d0, d1 = _check("displacement area", disp_treated)
    if shared_control and (e0, e1) != (c0, c1):
        raise ValueError("a shared control must have the control's own counts")
    for w in (*time_weights, *area_weights):
        if not (w > 0 and math.isfinite(w)):
            raise ValueError(f"weights must be positive and finite, got {w!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must lie between 0 and 1, got {conf_level!r}")
    pre, post = time_weights
    a_c, a_t, a_e, a_d = area_weights
    # Each count's coefficient in the estimate: the WDD is linear in the counts.
    coef_t = (-1 / (pre * a_t), 1 / (post * a_t))
    coef_c = (1 / (pre * a_c), -1 / (post * a_c))
    coef_d = (-1 / (pre * a_d), 1 / (post * a_d))
    coef_e = (1 / (pre * a_e), -1 / (post * a_e))
    local = coef_t[0] * t0 + coef_t[1] * t1 + coef_c[0] * c0 + coef_c[1] * c1
    displacement = coef_d[0] * d0 + coef_d[1] * d1 + coef_e[0] * e0 + coef_e[1] * e1
    var_local = (
        coef_t[0] ** 2 * t0 + coef_t[1] ** 2 * t1 + coef_c[0] ** 2 * c0 + coef_c[1] ** 2 * c1
    )
    var_disp = coef_d[0] ** 2 * d0 + coef_d[1] ** 2 * d1 + coef_e[0] ** 2 * e0 + coef_e[1] ** 2 * e1
    if shared_control:
        # One set of control counts carries both control terms: (a + b)² x, not (a² + b²) x.
        both = (coef_c[0] + coef_e[0], coef_c[1] + coef_e[1])
        var_total = (
            coef_t[0] ** 2 * t0 + coef_t[1] ** 2 * t1 + coef_d[0] ** 2 * d0 + coef_d[1] ** 2 * d1
            + both[0] ** 2 * c0 + both[1] ** 2 * c1
        )  # fmt: skip
    else:
        var_total = var_local + var_disp
    total = local + displacement
    se = math.sqrt(var_total)
    crit = float(norm.ppf(0.5 + conf_level / 2))
    z = total / se if se > 0 else math.nan
    p = float(2 * norm.sf(abs(z))) if se > 0 else math.nan
    return WDDResult(
        local=local,
        local_se=math.sqrt(var_local),
        displacement=displacement,
        displacement_se=math.sqrt(var_disp),
        total=total,
        total_se=se,
        z=z,
        ci_low=total - crit * se if se > 0 else math.nan,
        ci_high=total + crit * se if se > 0 else math.nan,
        p_value=p,
        conf_level=conf_level,
        weights={
            "time_before": pre,
            "time_after": post,
            "control": a_c,
            "target": a_t,
            "displacement_control": a_e,
            "displacement": a_d,
        },
    )


def wdd_for_evaluation(
    target: tuple[int, int],
    buffer: tuple[int, int] | None,
    controls: tuple[int, int],
    months_before: int,
    months_after: int,
    conf_level: float = 0.95,
) -> WDDResult:
    """The WDD as ``evaluate`` computes it: one control set scaled to each area.

    The pre-period is scaled to the post-period's length, and the controls (many
    LSOAs) to the target's pre-period count, and to the buffer's for the
    displacement term, so that "C1 − C0" means what the control's change would
    have been at the target's (or the buffer's) size. ``buffer`` None leaves the
    displacement term out (no coherent buffer: see ``evaluate``).
    """
    if months_before < 1 or months_after < 1:
        raise ValueError("the WDD needs at least one month before and one after the start")
    c0, _ = controls
    t0, _ = target
    notes: list[str] = []
    time_weights = (months_before / months_after, 1.0)

    def scale(size: float, name: str) -> float:
        # The time weight divides both pre-period counts alike, so the area weight that
        # makes the scaled control's pre-period count equal the area's is simply C0 / size.
        if c0 <= 0:
            return 1.0
        if size <= 0:
            notes.append(
                f"the {name} had no crimes before the start, so the controls cannot be scaled to "
                "its size; they are scaled to one crime"
            )
            size = 1.0
        return c0 / size

    a_c = scale(float(t0), "target")
    if buffer is None:
        result = weighted_displacement_difference(
            controls, target, time_weights=time_weights, area_weights=(a_c, 1.0, 1.0, 1.0),
            conf_level=conf_level,
        )  # fmt: skip
    else:
        a_e = scale(float(buffer[0]), "buffer")
        result = weighted_displacement_difference(
            controls,
            target,
            disp_control=controls,
            disp_treated=buffer,
            time_weights=time_weights,
            area_weights=(a_c, 1.0, a_e, 1.0),
            conf_level=conf_level,
            shared_control=True,
        )
    if c0 <= 0:
        notes.append("the controls had no crimes before the start: they are not scaled")
    return WDDResult(**{**result.__dict__, "notes": tuple(notes)})


def read_wdd(result: WDDResult, with_buffer: bool) -> str:
    """A sentence: the net effect in crimes over the post-period, and whether chance explains it."""
    total, low, high = result.total, result.ci_low, result.ci_high
    pct = round(100 * result.conf_level)
    what = "net of displacement into the buffer" if with_buffer else "in the target alone"
    if not math.isfinite(result.z):
        return "WDD not computed: there are no crimes to compare"
    if abs(total) < 0.5:
        amount = "about as many crimes as the controls' trend predicts"
    else:
        direction = "fewer" if total < 0 else "more"
        amount = f"{abs(total):.0f} {direction} crimes than the controls' trend predicts"
    text = (
        f"weighted displacement difference (Wheeler & Ratcliffe 2018): {amount}, {what} "
        f"(SE {result.total_se:.1f}, z = {result.z:.2f}, {pct} % CI {low:+.0f} to {high:+.0f})"
    )
    if low > 0 or high < 0:
        text += ": beyond what chance would explain"
    else:
        text += ": within what chance produces"
    return text
