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

from dataclasses import dataclass, replace
from typing import Any

_ZERO = 1e-12
# A WDQ within this of 0, 1 or −1 is read as the boundary itself: the quotient of two
# differences of ratios carries rounding of about 1e-16 relative, never 1e-9.
_BOUNDARY = 1e-9


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
    # The quotient's figure when no verdict is given on it (the buffer is no catchment).
    unread_value: float | None = None
    withheld: str | None = None  # why no verdict is given, when it is not

    @property
    def interpretable(self) -> bool:
        return self.value is not None

    def withhold(self, reason: str) -> WDQResult:
        """The same counts with no verdict: ``reason`` says why (a buffer that is no catchment)."""
        figure = self.value if self.value is not None else self.unread_value
        shown = f" (the quotient of these counts is {figure:.2f})" if figure is not None else ""
        return replace(
            self,
            value=None,
            unread_value=figure,
            withheld=reason,
            reading=f"no displacement verdict: {reason}{shown}",
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "value": self.value,
            "reading": self.reading,
            "unread_value": self.unread_value,
            "verdict_withheld": self.withheld,
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
    """The plain-English reading of a WDQ (Guerette 2009, appendix C), boundaries included.

    The boundaries are readings of their own: at exactly −1 the displacement into
    the buffer equals the reduction in the target, so nothing is gained overall;
    at exactly 1 the buffer improved as much as the target; at 0 it did neither.
    "Exactly" allows for the rounding of the two ratios (:data:`_BOUNDARY`).
    """
    if abs(value) < _BOUNDARY:
        return "WDQ = 0: neither displacement nor diffusion of benefit into the buffer"
    if abs(value - 1) < _BOUNDARY:
        return (
            "WDQ = 1: diffusion of benefit; the buffer improved exactly as much as the target "
            "(relative to the controls)"
        )
    if abs(value + 1) < _BOUNDARY:
        return (
            "WDQ = -1: displacement into the buffer equal to the reduction in the target; the "
            "gain was cancelled, with no net benefit (and no net harm)"
        )
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
    if value > -1:
        return (
            f"WDQ {value:.2f} between -1 and 0: displacement into the buffer, smaller than the "
            "reduction in the target; a net benefit remains"
        )
    return (
        f"WDQ {value:.2f} < -1: displacement into the buffer greater than the reduction in the "
        "target; the gain was erased and more"
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
    counts: dict[str, Any] = dict(
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
