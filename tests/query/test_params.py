"""The field-spec machinery: values checked against their spec, every problem collected, names per front."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harmwatch.errors import InputError
from harmwatch.query.fields import MONTHS, split_list
from harmwatch.query.params import (
    CLI,
    WEB,
    Limits,
    Param,
    ParamError,
    Problem,
    Request,
    as_query,
    convert,
    read,
    ref,
)


@dataclass(frozen=True)
class Sample(Request):
    """A request with one field of each kind the verbs use."""

    name: str = Param(help="A word.", choices=("a", "b"), default="a").field()
    size: float | None = Param(
        help="Metres.", type=float, gt=0, server=Limits(ge=50, le=500), label="size"
    ).field()
    count: int = Param(help="How many.", type=int, default=3, ge=1, flag="--how-many").field()
    tags: tuple[str, ...] = Param(help="Repeatable.", many=True, default=(), url="tag").field()
    months: tuple[str, ...] = MONTHS.field()

    def relations(self) -> list[Problem]:
        if self.name == "b" and self.size is None:
            return [Problem(None, f"{ref('name')} 'b' needs {ref('size')}")]
        return []


def test_defaults_and_normalised_values() -> None:
    sample = Sample(tags=["x", "y"], months="2025-01:2025-03")
    assert sample.name == "a" and sample.count == 3 and sample.size is None
    assert sample.tags == ("x", "y")  # lists become tuples: the request is hashable
    assert sample.months == ("2025-01", "2025-02", "2025-03")  # text read as a front reads it
    assert hash(sample) == hash(Sample(tags=("x", "y"), months=("2025-01", "2025-02", "2025-03")))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"size": -5.0}, "size must be positive, got -5"),
        ({"size": float("nan")}, "size must be positive, got nan"),
        ({"count": 0}, "count must be at least 1, got 0"),
        ({"count": 2.5}, "count must be a whole number, got 2.5"),
        ({"name": "c"}, "unknown name 'c'; choose one of a, b"),
        ({"months": "2025-13"}, "months: not a month (YYYY-MM): '2025-13'"),
        ({"name": "b"}, "name 'b' needs size"),
    ],
)
def test_a_bad_value_names_its_field(values: dict[str, object], message: str) -> None:
    with pytest.raises(ParamError) as caught:
        Sample(**values)  # type: ignore[arg-type]
    assert str(caught.value) == message
    assert isinstance(caught.value, InputError) and isinstance(caught.value, ValueError)


def test_every_problem_is_collected_and_each_front_names_it_its_way() -> None:
    with pytest.raises(ParamError) as caught:
        Sample(size=-1.0, count=0, name="z")
    error = caught.value
    assert len(error.problems) == 3
    cli = error.renamed(Sample.names(CLI))
    assert "--size must be positive, got -1" in str(cli)
    assert "--how-many must be at least 1, got 0" in str(cli)
    assert "unknown --name 'z'" in str(cli)
    page = error.messages(Sample.names(WEB))
    assert "size must be positive, got -1" in page


def test_server_limits_apply_on_the_web_only() -> None:
    assert Sample(size=10.0).size == 10.0  # the library and the command line: no limit
    values, problems = convert(Sample, {"size": "10"}, WEB)
    assert values == {} and [p.render(Sample.names(WEB)) for p in problems] == [
        "size must lie between 50 and 500, got 10"
    ]
    values, problems = convert(Sample, {"size": "10"}, CLI)
    assert values == {"size": 10.0} and problems == []


def test_reading_text_collects_every_problem_and_skips_blanks() -> None:
    request, problems = read(
        Sample, {"size": "abc", "count": "2.5", "tags": ["", " t ", ""], "months": ""}, WEB
    )
    assert request is None
    rendered = [p.render(Sample.names(WEB)) for p in problems]
    assert rendered == [
        "size must be a number, got 'abc'",
        "count must be a whole number, got '2.5'",
    ]
    request, problems = read(Sample, {"tags": ["", " t "], "months": " ", "size": ""}, WEB)
    assert problems == [] and request == Sample(tags=("t",))


def test_user_text_cannot_forge_a_field_name() -> None:
    # A marker typed by a user is shown quoted (repr escapes it), never replaced by a name.
    with pytest.raises(ParamError) as caught:
        Sample(name=ref("size"))
    assert str(caught.value).startswith("unknown name '\\x1fsize\\x1f'; choose one of a, b")


def test_links_reproduce_a_request() -> None:
    sample = Sample(size=250.0, tags=("x",), months=("2025-01", "2025-02"))
    assert as_query(sample) == {"size": "250", "tag": ["x"], "months": "2025-01:2025-02"}
    request, problems = read(Sample, {"size": "250", "tags": ["x"], "months": "2025-01:2025-02"})
    assert request == sample and problems == []


def test_split_list_reads_pasted_lists() -> None:
    assert split_list("E01, E02;E03\nE04  ") == ["E01", "E02", "E03", "E04"]
    assert split_list(None) == []
