"""One rule for crime types: Drugs by default everywhere, every type only when asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from harmwatch.errors import InputError
from harmwatch.query.filter import DEFAULT_CRIME_TYPES, Filter
from harmwatch.sources.policeuk.status import store_status
from harmwatch.storage.analytics import AnalyticsStore
from harmwatch.where.selection import select_points


def test_the_default_is_drugs_however_the_filter_is_made() -> None:
    assert DEFAULT_CRIME_TYPES == ("Drugs",)
    assert Filter().crime_types == ("Drugs",)
    assert Filter(forces=("hertfordshire",)).crime_types == ("Drugs",)
    # Before, these two meant every crime type while Filter() meant Drugs.
    assert Filter.from_options(["hertfordshire"], None, None).crime_types == ("Drugs",)
    assert Filter.from_options(None, [], "2025-01").crime_types == ("Drugs",)
    assert Filter.from_options(None, ["Burglary"], None).crime_types == ("Burglary",)


def test_every_crime_type_is_asked_for_explicitly() -> None:
    every = Filter(("hertfordshire",), all_crime_types=True)
    assert every.all_crime_types and every.crime_types == ()
    with pytest.raises(InputError, match="no crime type chosen"):
        Filter(crime_types=())  # an empty list built by accident never widens to every type
    with pytest.raises(InputError, match="not both"):
        Filter(crime_types=("Burglary",), all_crime_types=True)


def test_selections_follow_the_rule(sample_db: Path) -> None:
    status = store_status(sample_db)
    located = status.rows["street"] - status.rows_without_location["street"]
    with AnalyticsStore.open(sample_db) as store:
        drugs = select_points(store, Filter())
        every = select_points(store, Filter(all_crime_types=True))
    assert drugs.filter.crime_types == ("Drugs",) and not drugs.filter.all_crime_types
    assert len(drugs) + drugs.n_without_location == status.drugs_rows["street"]
    assert every.filter.all_crime_types and every.filter.crime_types == ()
    assert (
        len(every) == located
        and every.n_without_location == (status.rows_without_location["street"])
    )
