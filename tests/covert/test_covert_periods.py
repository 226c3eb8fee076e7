"""The periods table and rule: each kind's expiry by the corresponding-date rule, renewals."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from covert_helpers import utc

from harmwatch.covert import periods
from harmwatch.errors import InputError


def test_the_table_is_dated_and_sourced_for_every_kind() -> None:
    table = periods.periods()
    assert set(table) == {
        "directed-surveillance",
        "intrusive-surveillance",
        "chis",
        "juvenile-chis",
        "property-interference",
        "communications-data",
    }
    for row in table.values():
        assert row.statute and row.section and row.source_title and row.renewal_section
        assert row.checked_on <= date.today()
    assert {k: r.months for k, r in table.items()} == {
        "directed-surveillance": 3,
        "intrusive-surveillance": 3,
        "chis": 12,
        "juvenile-chis": 4,
        "property-interference": 3,
        "communications-data": 1,
    }
    assert table["communications-data"].statute.startswith("Investigatory Powers Act 2016")
    assert table["communications-data"].urgent_oral_hours is None
    assert table["chis"].section == "s.43(3)(b)"
    assert table["juvenile-chis"].statute.endswith("SI 2018/715")
    assert table["property-interference"].statute == "Police Act 1997"
    assert {r.urgent_oral_hours for k, r in table.items() if k != "communications-data"} == {72}


@pytest.mark.parametrize(
    ("kind", "took_effect", "last_day"),
    [
        ("directed-surveillance", date(2025, 4, 1), date(2025, 6, 30)),
        ("directed-surveillance", date(2025, 1, 1), date(2025, 3, 31)),
        ("directed-surveillance", date(2025, 11, 30), date(2026, 2, 28)),
        ("directed-surveillance", date(2027, 11, 30), date(2028, 2, 29)),
        ("directed-surveillance", date(2025, 5, 15), date(2025, 8, 14)),
        ("intrusive-surveillance", date(2025, 4, 1), date(2025, 6, 30)),
        ("property-interference", date(2025, 12, 1), date(2026, 2, 28)),
        ("chis", date(2025, 4, 1), date(2026, 3, 31)),
        ("chis", date(2024, 3, 1), date(2025, 2, 28)),
        ("juvenile-chis", date(2025, 4, 1), date(2025, 7, 31)),
        ("juvenile-chis", date(2025, 10, 31), date(2026, 2, 28)),
        # 1 month beginning with 31 January: no 31 February, so February's last day
        ("communications-data", date(2025, 1, 31), date(2025, 2, 28)),
        ("communications-data", date(2025, 1, 28), date(2025, 2, 27)),
        ("communications-data", date(2024, 1, 31), date(2024, 2, 29)),
        # beginning with 1 March: the day before 1 April, and before 1 June
        ("communications-data", date(2025, 3, 1), date(2025, 3, 31)),
        ("directed-surveillance", date(2025, 3, 1), date(2025, 5, 31)),
        ("directed-surveillance", date(2025, 3, 31), date(2025, 6, 30)),
    ],
)
def test_each_kind_ceases_at_the_end_of_its_last_day_uk_time(
    kind: str, took_effect: date, last_day: date
) -> None:
    granted = periods.local_instant(took_effect, datetime.min.time().replace(hour=9))
    ceases = periods.expiry(kind, granted, urgent_oral=False)
    local = ceases.astimezone(periods.LONDON)
    assert (local.date(), local.hour, local.minute, local.second) == (last_day, 23, 59, 59)


def test_the_end_of_day_is_uk_local_time_in_summer_and_winter() -> None:
    # granted 1 January: ceases 31 March 23:59:59 BST, which is 22:59:59 UTC
    granted = periods.local_instant(date(2025, 1, 1), datetime.min.time())
    assert periods.expiry("directed-surveillance", granted, urgent_oral=False) == utc(
        2025, 3, 31, 22, 59, 59
    )
    # granted 1 November: ceases 31 January 23:59:59 GMT, which is UTC
    granted = periods.local_instant(date(2025, 11, 1), datetime.min.time())
    assert periods.expiry("directed-surveillance", granted, urgent_oral=False) == utc(
        2026, 1, 31, 23, 59, 59
    )


def test_an_urgent_oral_authorisation_lasts_72_hours_exactly_across_a_clock_change() -> None:
    granted = utc(2025, 3, 29, 14, 17, 3)  # the clocks go forward in the next 72 hours
    assert periods.expiry("chis", granted, urgent_oral=True) == granted + timedelta(hours=72)
    with pytest.raises(InputError, match="urgent_oral"):
        periods.expiry("communications-data", granted, urgent_oral=True)


def test_a_renewal_begins_with_the_day_it_would_have_ceased() -> None:
    ceasing = periods.end_of(date(2025, 6, 30))
    renewed = periods.renewal("directed-surveillance", ceasing, urgent_oral=False)
    assert renewed.begins_on == date(2025, 6, 30)
    assert renewed.expires_at == periods.end_of(date(2025, 9, 29))
    chis = periods.renewal("chis", periods.end_of(date(2026, 3, 31)), urgent_oral=False)
    assert chis.expires_at == periods.end_of(date(2027, 3, 30))
    oral = periods.renewal("directed-surveillance", ceasing, urgent_oral=True)
    assert oral.expires_at == ceasing + timedelta(hours=72)


def test_a_communications_data_renewal_begins_after_the_current_month_ends() -> None:
    # IPA 2016 s.65(3): the renewed month does not begin until the current one ends
    renewed = periods.renewal(
        "communications-data", periods.end_of(date(2025, 2, 28)), urgent_oral=False
    )
    assert renewed.begins_on == date(2025, 3, 1)
    assert renewed.expires_at == periods.end_of(date(2025, 3, 31))
    renewed = periods.renewal(
        "communications-data", periods.end_of(date(2025, 3, 31)), urgent_oral=False
    )
    assert (renewed.begins_on, renewed.expires_at) == (
        date(2025, 4, 1),
        periods.end_of(date(2025, 4, 30)),
    )


def test_an_unknown_kind_names_the_field_and_the_choices() -> None:
    with pytest.raises(InputError, match="authorisation_kind: 'warrant' is not one of directed"):
        periods.period_for("warrant")
