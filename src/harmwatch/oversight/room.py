"""The oversight room: measures, claims checked, stop and search, outcomes, reports."""

from __future__ import annotations

from harmwatch.kernel.rooms import Room

ROOM = Room(
    name="oversight",
    title="Oversight: PCC and partnership measures, reports and claims checked",
    cli="harmwatch.cli.oversight",
)
