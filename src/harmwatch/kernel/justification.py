"""Why someone consulted or disclosed personal records (DPA 2018 Part 3 s.62(2)(a)).

A justification is either typed for the act ("Op Scorpion: briefing on line
'Deano'") or the case or operation the user declared for their session, used for
every consultation they make until they change it — so an officer working one case
all morning is not asked forty times, and the log still says why, every time.
"""

from __future__ import annotations

from dataclasses import dataclass

from harmwatch.errors import InputError
from harmwatch.kernel.principal import Principal

MIN_LENGTH = 10
MAX_LENGTH = 500


class JustificationRequired(InputError):
    """Personal records were asked for without a reason; the message says how to give one."""

    def __init__(self, what: str = "this") -> None:
        super().__init__(
            f"{what} needs a justification: say in at least {MIN_LENGTH} characters why "
            "(the case or operation), or declare one for your session; it is kept in the "
            "access log"
        )


@dataclass(frozen=True)
class Justification:
    text: str
    declared: bool = False  # True: the session's declared case or operation

    @classmethod
    def typed(cls, text: str) -> Justification:
        cleaned = " ".join(text.split())
        if len(cleaned) < MIN_LENGTH:
            raise InputError(
                f"justification too short: at least {MIN_LENGTH} characters (got {len(cleaned)})"
            )
        return cls(cleaned[:MAX_LENGTH])

    def logged(self) -> str:
        """As the access log keeps it: a declared purpose says so."""
        return f"declared for the session: {self.text}" if self.declared else self.text


def check_purpose(text: str) -> str:
    """A case or operation declared for a session: the same length rules as a justification."""
    return Justification.typed(text).text


def resolve(principal: Principal, typed: str | None, *, what: str = "this") -> Justification:
    """The typed reason, else the session's declared purpose, else :class:`JustificationRequired`."""
    if typed and typed.strip():
        return Justification.typed(typed)
    if principal.purpose:
        return Justification(principal.purpose, declared=True)
    raise JustificationRequired(what)
