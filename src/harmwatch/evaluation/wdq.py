"""The weighted displacement quotient (Bowers & Johnson 2003).

Bowers, K. J. and Johnson, S. D. (2003) "Measuring the geographical displacement
and diffusion of benefit effects of crime prevention activity", Journal of
Quantitative Criminology 19(3): 275–301. Formulas and reading rules as set out in
Guerette, R. T. (2009) *Analyzing Crime Displacement and Diffusion*, Problem-
Oriented Guides for Police, Tool Guide No. 10, appendices B and C
(popcenter.org/tools/displacement/10 and /11):

- success measure   = Ra/Ca − Rb/Cb  (negative: the target fell relative to control)
- buffer measure    = Da/Ca − Db/Cb  (positive: possible displacement into the buffer;
  negative: possible diffusion of benefit)
- WDQ               = buffer measure / success measure

with R the target ("response") area, D the buffer, C the control, ``b`` before and
``a`` after. Each area is divided by the control of the same period, so periods of
different lengths need no further weighting.

The quotient only means something when the intervention "worked" (success measure
< 0): otherwise there is no effect for the buffer to be displaced from, and the
sign rules invert. Then this module says so instead of returning a number.
"""

from __future__ import annotations

from dataclasses import dataclass

_ZERO = 1e-12


@dataclass(frozen=True)
class WDQResult:
    target_before: float
    target_after: float
    buffer_before: float
    buffer_after: float
    control_before: float
    control_after: float
    success_measure: float | None
    buffer_measure: float | None
    value: float | None  # None when not interpretable
    reading: str

    @property
    def interpretable(self) -> bool:
        return self.value is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "reading": self.reading,
            "success_measure": self.success_measure,
            "buffer_displacement_measure": self.buffer_measure,
            "counts": {
                "target_before": self.target_before,
                "target_after": self.target_after,
                "buffer_before": self.buffer_before,
                "buffer_after": self.buffer_after,
                "control_before": self.control_before,
                "control_after": self.control_after,
            },
        }


def read_wdq(value: float) -> str:
    """The plain-English reading of a WDQ (Guerette 2009, appendix C)."""
    if abs(value) < _ZERO:
        return "WDQ = 0: neither displacement nor diffusion of benefit into the buffer"
    if value > 1:
        return (
            f"WDQ {value:.2f} > 1: diffusion of benefit, and the buffer improved more than the "
            "target did (relative to the controls)"
        )
    if value > 0:
        return (
            f"WDQ {value:.2f} between 0 and 1: diffusion of benefit; the buffer improved too, "
            "by less than the target"
        )
    if value >= -1:
        return (
            f"WDQ {value:.2f} between -1 and 0: displacement into the buffer, smaller than the "
            "reduction in the target; a net benefit remains"
        )
    return (
        f"WDQ {value:.2f} < -1: displacement into the buffer greater than the reduction in the "
        "target; the gain was erased"
    )


def weighted_displacement_quotient(
    target_before: float,
    target_after: float,
    buffer_before: float,
    buffer_after: float,
    control_before: float,
    control_after: float,
) -> WDQResult:
    """WDQ from crime counts in the target, buffer and control areas before and after."""
    values = (
        target_before,
        target_after,
        buffer_before,
        buffer_after,
        control_before,
        control_after,
    )
    if any(v < 0 for v in values):
        raise ValueError("crime counts for the WDQ must not be negative")
    counts = dict(
        target_before=float(target_before),
        target_after=float(target_after),
        buffer_before=float(buffer_before),
        buffer_after=float(buffer_after),
        control_before=float(control_before),
        control_after=float(control_after),
    )
    if control_before <= 0 or control_after <= 0:
        return WDQResult(
            **counts,
            success_measure=None,
            buffer_measure=None,
            value=None,
            reading=(
                "WDQ not computed: the control area had no crimes in one period, so the "
                "ratios it rests on are undefined"
            ),
        )
    success = target_after / control_after - target_before / control_before
    buffer = buffer_after / control_after - buffer_before / control_before
    if success >= -_ZERO:
        return WDQResult(
            **counts,
            success_measure=success,
            buffer_measure=buffer,
            value=None,
            reading=(
                f"WDQ not interpretable: the success measure is {success:+.3f} (≥ 0), i.e. the "
                "target did not fall relative to the controls, so there is no effect to be "
                "displaced or diffused"
            ),
        )
    value = buffer / success
    return WDQResult(
        **counts,
        success_measure=success,
        buffer_measure=buffer,
        value=value,
        reading=read_wdq(value),
    )
