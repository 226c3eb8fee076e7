"""harmwatch: drug-harm analytics for UK policing.

Rooms: ``sources`` (loading open and force data), ``storage`` (the analytics and
records databases), ``spatial`` and ``timeline`` (grid, projection, boundaries,
months), ``where`` (hotspots, patrol plans, forecasts), ``evaluation`` (did it
work), ``intelligence``, ``operations``, ``forensics``, ``oversight``,
``security``, ``web`` and ``cli``.
"""

__version__ = "0.1.0"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(data.police.uk). Boundaries: Source: Office for National Statistics licensed under "
    "the Open Government Licence v3.0. Contains OS data © Crown copyright and database right."
)
