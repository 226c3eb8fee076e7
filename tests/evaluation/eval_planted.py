"""The planted effect shared by the evaluation fixtures and tests (not a test module)."""

from __future__ import annotations

# Twenty moderately busy Bedfordshire LSOAs: ranks 13–32 by Drugs offences over
# 2021-05…2024-04 (30–61 each). The twelve busiest are left out on purpose: they
# rose about 30 % relative to the rest of the force during 2023, a real trend that
# would be mixed into any effect planted there.
PLANTED_LSOAS = (
    "E01015729", "E01017522", "E01015738", "E01015730", "E01015699",
    "E01033802", "E01033807", "E01015735", "E01015728", "E01015739",
    "E01015787", "E01017568", "E01017474", "E01015713", "E01015724",
    "E01015725", "E01015715", "E01017520", "E01033801", "E01017385",
)  # fmt: skip
PLANTED_MONTHS = ("2023-01", "2023-06")
PLANTED_KEEP = 0.6  # 40 % of the Drugs rows deleted
PLANT_SEED = 2024
