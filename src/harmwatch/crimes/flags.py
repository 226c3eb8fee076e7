"""The flags a force puts on its crime records, as harmwatch names them.

Forces flag records in their own words (``DRUG``, ``DA``, ``HC-RACE`` …); an import
spec's ``[flags]`` section says which of the file's values mean which flag here, so
that ``--flag hate-crime`` means the same on every force's data. Hate crime is
recorded by strand (the five monitored strands of the Home Office's hate crime
statistics); ``hate-crime`` is any of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from harmwatch.errors import InputError

HATE_STRANDS: tuple[str, ...] = (
    "hate-race",
    "hate-religion",
    "hate-sexual-orientation",
    "hate-disability",
    "hate-transgender",
)

FLAGS: tuple[str, ...] = (
    "drug-related",
    "county-lines",
    "domestic-abuse",
    *HATE_STRANDS,
    "knife-crime",
    "alcohol-related",
    "child-exploitation",
)

# Names a user may ask for that stand for several stored flags.
FLAG_GROUPS: dict[str, tuple[str, ...]] = {"hate-crime": HATE_STRANDS}


class FlagError(InputError):
    pass


def expand_flags(asked: Sequence[str]) -> tuple[str, ...]:
    """The stored flags a filter's ``--flag`` values stand for; unknown names refused."""
    out: list[str] = []
    for name in asked:
        key = name.strip().lower()
        if key in FLAG_GROUPS:
            out += FLAG_GROUPS[key]
        elif key in FLAGS:
            out.append(key)
        else:
            raise FlagError(f"no flag {name!r}; flags: {', '.join([*FLAGS, *FLAG_GROUPS])}")
    return tuple(dict.fromkeys(out))
