"""Link chart exports: each format read back by its own reader, handling conditions in all of them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import replace
from datetime import date
from xml.etree import ElementTree

import networkx as nx
import pytest
from followthemoney import model

from harmwatch.errors import InputError
from harmwatch.intelligence.chart import ENTITY_KINDS, Chart, ChartEdge, ChartNode, ChartSource
from harmwatch.intelligence.exports import (
    CONDITIONS_HEADING,
    FORMATS,
    FTM_SCHEMATA,
    HANDLING_STATEMENT,
    I2_ENTITY_TYPES,
    export,
    to_csv,
    to_ftm,
    to_gexf,
    to_graphml,
    to_i2,
)

CONDITION = "Not to be disclosed outside Herts Constabulary without DI approval"
P_REPORT = ChartSource("intelligence-report:1", "HC-2025-0001", "1A P", "P", None, date(2025, 1, 6))
C_REPORT = ChartSource(
    "intelligence-report:2", "HC-2025-0002", "2B C", "C", CONDITION, date(2025, 2, 3)
)
GEXF_NS = "{http://www.gexf.net/1.2draft}"


def make_chart(*, with_c: bool = True, condition: str = CONDITION) -> Chart:
    c_report = replace(C_REPORT, conditions=condition)
    phone_sources = (P_REPORT, c_report) if with_c else (P_REPORT,)
    return Chart(
        title="Operation Lantern: Stevenage line",
        generated_by="analyst.okafor",
        generated_at="2025-06-02T14:05:00Z",
        notes=("2 linked entities are not shown",),
        nodes=(
            ChartNode(
                "person:1",
                "person",
                "Jordan Reece",
                {"dob": "1999-04-01", "nickname": "JR; Smudge"},
            ),
            # A valid UK mobile, so FtM keeps it as E.164 as well as as written.
            ChartNode("phone:2", "phone", "07911 123456", {"network": "EE"}),
            ChartNode(
                "address:3", "address", "12 High Street, Stevenage SG1 1AA", {"postcode": "SG1 1AA"}
            ),
            ChartNode("vehicle:4", "vehicle", "Silver Ford Focus", {"vrm": "AB12 CDE"}),
            ChartNode("ocg:5", "ocg", "Bedwell Boys"),
        ),
        edges=(
            ChartEdge(
                "link:1",
                "person:1",
                "phone:2",
                "uses-phone",
                "tentative",
                date(2025, 1, 1),
                date(2025, 3, 31),
                phone_sources,
            ),
            ChartEdge(
                "link:2",
                "person:1",
                "address:3",
                "lives-at",
                "confirmed",
                date(2024, 6, 1),
                None,
                (P_REPORT,),
            ),
            ChartEdge(
                "link:3",
                "person:1",
                "vehicle:4",
                "uses-vehicle",
                "unconfirmed",
                None,
                None,
                (P_REPORT,),
            ),
            ChartEdge(
                "link:4", "person:1", "ocg:5", "member-of", "confirmed", None, None, (P_REPORT,)
            ),
        ),
    )


def unzip(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def ftm_lines(content: bytes) -> list[dict]:
    return [json.loads(line) for line in content.decode("utf-8").splitlines()]


# --- GraphML --------------------------------------------------------------------------


def test_graphml_reads_back_with_nodes_edges_and_graph_level_handling() -> None:
    chart = make_chart()
    # force_multigraph: otherwise networkx reads edge ids as keys only where a pair has two links.
    graph = nx.read_graphml(io.BytesIO(to_graphml(chart)), force_multigraph=True)

    assert graph.is_directed()
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 4
    for node in chart.nodes:
        data = graph.nodes[node.id]
        assert (data["kind"], data["label"]) == (node.kind, node.label)
        assert json.loads(data["attributes"]) == node.attributes
    phone_link = graph.edges["person:1", "phone:2", "link:1"]
    assert phone_link["kind"] == "uses-phone"
    assert phone_link["strength"] == "tentative"
    assert (phone_link["start"], phone_link["end"]) == ("2025-01-01", "2025-03-31")
    assert phone_link["sources"] == f"HC-2025-0001 (1A P); HC-2025-0002 (2B C: {CONDITION})"
    assert phone_link["grades"] == "1A P; 2B C"
    assert phone_link["handling"] == "C"
    assert phone_link["conditions"] == f"HC-2025-0002: {CONDITION}"
    address_link = graph.edges["person:1", "address:3", "link:2"]
    assert address_link["handling"] == "P" and "conditions" not in address_link
    assert "end" not in address_link  # an unknown end is absent, not ""

    assert graph.graph["title"] == chart.title
    assert graph.graph["generated_by"] == "analyst.okafor"
    assert graph.graph["generated_at"] == "2025-06-02T14:05:00Z"
    assert graph.graph["handling"] == HANDLING_STATEMENT
    assert graph.graph["condition_1"] == chart.conditions[0] == f"HC-2025-0002: {CONDITION}"
    assert "condition_2" not in graph.graph
    assert graph.graph["note_1"] == "2 linked entities are not shown"


# --- GEXF -------------------------------------------------------------------------------


def test_gexf_reads_back_and_carries_handling_in_meta_description() -> None:
    chart = make_chart()
    content = to_gexf(chart)
    graph = nx.read_gexf(io.BytesIO(content))

    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 4
    for node in chart.nodes:
        data = graph.nodes[node.id]
        assert (data["kind"], data["label"]) == (node.kind, node.label)
        assert json.loads(data["attributes"]) == node.attributes
    edges = {data["id"]: data for _u, _v, data in graph.edges(data=True)}
    assert set(edges) == {"link:1", "link:2", "link:3", "link:4"}
    phone_link = edges["link:1"]
    assert phone_link["label"] == phone_link["kind"] == "uses-phone"
    assert (phone_link["start"], phone_link["end"]) == ("2025-01-01", "2025-03-31")
    assert phone_link["conditions"] == f"HC-2025-0002: {CONDITION}"
    assert phone_link["sources"] == f"HC-2025-0001 (1A P); HC-2025-0002 (2B C: {CONDITION})"
    assert "conditions" not in edges["link:4"]

    # networkx reads no <meta>; GEXF's own reader (Gephi) shows it, so read it as XML.
    root = ElementTree.fromstring(content)
    meta = root.find(f"{GEXF_NS}meta")
    assert meta is not None
    assert meta.findtext(f"{GEXF_NS}creator") == "harmwatch"
    assert meta.get("lastmodifieddate") == "2025-06-02"
    description = (meta.findtext(f"{GEXF_NS}description") or "").splitlines()
    assert f"Title: {chart.title}" in description
    assert "Generated by: analyst.okafor" in description
    assert "Generated at: 2025-06-02T14:05:00Z" in description
    assert HANDLING_STATEMENT in description
    assert f"- HC-2025-0002: {CONDITION}" in description
    assert "- 2 linked entities are not shown" in description
    assert graph.graph["name"] == chart.title


# --- i2 ----------------------------------------------------------------------------------


def test_i2_zip_has_entities_links_and_handling_with_i2_strengths() -> None:
    chart = make_chart()
    files = unzip(to_i2(chart))
    assert set(files) == {"entities.csv", "links.csv", "HANDLING.txt"}

    entities = rows(files["entities.csv"])
    assert len(entities) == 5
    by_id = {row["Entity ID"]: row for row in entities}
    assert by_id["person:1"]["Entity Type"] == "Person"
    assert by_id["phone:2"]["Entity Type"] == "Telephone Number"
    assert by_id["ocg:5"]["Entity Type"] == "Organised Crime Group"
    for node in chart.nodes:
        row = by_id[node.id]
        assert row["Label"] == node.label
        assert {
            k: v for k, v in row.items() if k not in ("Entity ID", "Entity Type", "Label") and v
        } == node.attributes
    # No comment or preamble line: the first line is the header an import specification names.
    assert files["entities.csv"].splitlines()[0].startswith("Entity ID,Entity Type,Label")
    assert files["links.csv"].splitlines()[0].startswith("Link ID,From Entity ID")

    links = {row["Link ID"]: row for row in rows(files["links.csv"])}
    assert len(links) == 4
    phone_link = links["link:1"]
    assert (phone_link["From Entity ID"], phone_link["To Entity ID"]) == ("person:1", "phone:2")
    assert (phone_link["From Entity Type"], phone_link["To Entity Type"]) == (
        "Person",
        "Telephone Number",
    )
    assert phone_link["Link Type"] == "uses-phone"
    assert (phone_link["Date From"], phone_link["Date To"]) == ("2025-01-01", "2025-03-31")
    assert phone_link["Sources"] == f"HC-2025-0001 (1A P); HC-2025-0002 (2B C: {CONDITION})"
    assert phone_link["Grades"] == "1A P; 2B C"
    assert phone_link["Handling"] == "C"
    assert phone_link["Conditions"] == f"HC-2025-0002: {CONDITION}"
    assert {row["Strength"] for row in links.values()} == {"Tentative", "Confirmed", "Unconfirmed"}
    assert links["link:3"]["Strength"] == "Unconfirmed"
    assert links["link:2"]["Conditions"] == "" and links["link:2"]["Handling"] == "P"
    assert links["link:2"]["Date To"] == ""

    handling = files["HANDLING.txt"].splitlines()
    assert HANDLING_STATEMENT in handling
    assert f"- HC-2025-0002: {CONDITION}" in handling
    assert f"Title: {chart.title}" in handling
    assert "Generated by: analyst.okafor" in handling
    assert "- 2 linked entities are not shown" in handling
    assert any(line.endswith(": link:1") for line in handling)


def test_i2_csv_has_a_byte_order_mark_so_windows_reads_it_as_utf8() -> None:
    chart = make_chart()
    chart = replace(
        chart, nodes=(replace(chart.nodes[0], label="Zoë Ní Bhriain"), *chart.nodes[1:])
    )
    with zipfile.ZipFile(io.BytesIO(to_i2(chart))) as archive:
        raw = archive.read("entities.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Zoë Ní Bhriain" in raw.decode("utf-8-sig")


# --- plain CSV ----------------------------------------------------------------------------


def test_csv_zip_has_gephi_headers_and_round_trips() -> None:
    chart = make_chart()
    content = to_csv(chart)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert not archive.read("nodes.csv").startswith(b"\xef\xbb\xbf")
    files = unzip(content)
    assert set(files) == {"nodes.csv", "edges.csv", "conditions.txt"}

    nodes = {row["Id"]: row for row in rows(files["nodes.csv"])}
    assert len(nodes) == 5
    for node in chart.nodes:
        row = nodes[node.id]
        assert (row["Label"], row["Kind"]) == (node.label, node.kind)
        assert {
            k: v for k, v in row.items() if k not in ("Id", "Label", "Kind") and v
        } == node.attributes

    edges = rows(files["edges.csv"])
    assert len(edges) == 4
    assert list(edges[0])[:4] == ["Source", "Target", "Type", "Id"]
    by_id = {row["Id"]: row for row in edges}
    phone_link = by_id["link:1"]
    assert (phone_link["Source"], phone_link["Target"], phone_link["Type"]) == (
        "person:1",
        "phone:2",
        "Directed",
    )
    assert (phone_link["Kind"], phone_link["Strength"]) == ("uses-phone", "tentative")
    assert (phone_link["Start"], phone_link["End"]) == ("2025-01-01", "2025-03-31")
    assert phone_link["Conditions"] == f"HC-2025-0002: {CONDITION}"
    assert by_id["link:4"]["Conditions"] == ""

    conditions = files["conditions.txt"].splitlines()
    assert HANDLING_STATEMENT in conditions
    assert f"- HC-2025-0002: {CONDITION}" in conditions
    assert "- 2 linked entities are not shown" in conditions


# --- FollowTheMoney -------------------------------------------------------------------------


def test_ftm_lines_are_valid_entities_with_documented_schemata() -> None:
    chart = make_chart()
    lines = ftm_lines(to_ftm(chart))
    assert len(lines) == 1 + 5 + 4

    proxies = []
    for line in lines:
        # cleaned=False makes FtM clean every value again: a value its type rejects
        # would vanish, so equality means each property is valid for its schema.
        proxy = model.get_proxy(line, cleaned=False)
        assert proxy.to_dict()["properties"] == line["properties"]
        assert proxy.schema.name == line["schema"]
        for name in proxy.schema.required:
            assert proxy.get(name), f"{line['schema']} lacks required {name}"
        proxies.append(proxy)

    note, *rest = proxies
    entities = {
        text.removeprefix("harmwatch ref: "): p
        for p in rest
        if not p.schema.edge
        for text in p.get("notes")
        if text.startswith("harmwatch ref: ")
    }
    links = {p.first("recordId"): p for p in rest if p.schema.edge}
    assert {ref: p.schema.name for ref, p in entities.items()} == {
        "person:1": "Person",
        "phone:2": "UserAccount",
        "address:3": "Address",
        "vehicle:4": "Vehicle",
        "ocg:5": "Organization",
    }
    person = entities["person:1"]
    assert person.get("name") == ["Jordan Reece"]
    assert person.get("birthDate") == ["1999-04-01"]
    assert sorted(person.get("notes")) == sorted(
        ["harmwatch ref: person:1", "dob: 1999-04-01", "nickname: JR; Smudge"]
    )
    phone = entities["phone:2"]
    assert phone.get("username") == ["07911 123456"]
    assert phone.get("phone") == ["+447911123456"]
    assert entities["address:3"].get("full") == ["12 High Street, Stevenage SG1 1AA"]
    assert entities["vehicle:4"].get("registrationNumber") == ["AB12 CDE"]
    for node in chart.nodes:
        assert entities[node.id].get("keywords") == [node.kind]
    # A used phone is a link, not a fact on the person.
    assert person.get("phone") == []

    assert {ref: p.schema.name for ref, p in links.items()} == {
        "link:1": "UnknownLink",
        "link:2": "UnknownLink",
        "link:3": "UnknownLink",
        "link:4": "Membership",
    }
    phone_link = links["link:1"]
    assert phone_link.get("subject") == [person.id]
    assert phone_link.get("object") == [phone.id]
    assert phone_link.get("role") == ["uses-phone"]
    assert phone_link.get("startDate") == ["2025-01-01"]
    assert phone_link.get("endDate") == ["2025-03-31"]
    assert phone_link.get("summary") == ["strength: tentative"]
    assert f"Handling condition: HC-2025-0002: {CONDITION}" in phone_link.get("description")
    assert links["link:4"].get("member") == [person.id]
    assert links["link:4"].get("organization") == [entities["ocg:5"].id]
    assert not any("Handling condition" in d for d in links["link:2"].get("description"))

    assert note.schema.name == "Note"
    description = (note.first("description") or "").splitlines()
    assert HANDLING_STATEMENT in description
    assert f"- HC-2025-0002: {CONDITION}" in description
    assert f"Title: {chart.title}" in description
    assert "Generated by: analyst.okafor" in description
    assert "- 2 linked entities are not shown" in description
    assert sorted(note.get("entity")) == sorted(str(p.id) for p in entities.values())


def test_ftm_ids_are_stable_and_an_associate_link_between_people_is_associate() -> None:
    chart = make_chart()
    second = ChartNode("person:9", "person", "Casey Dunne")
    associate = ChartEdge(
        "link:9", "person:1", "person:9", "associate-of", "confirmed", sources=(P_REPORT,)
    )
    bigger = replace(chart, nodes=(*chart.nodes, second), edges=(*chart.edges, associate))

    first_ids = {line["id"] for line in ftm_lines(to_ftm(chart))[1:]}
    bigger_lines = ftm_lines(to_ftm(bigger))
    # The same records keep their ids in another chart, so Aleph merges the two.
    assert first_ids <= {line["id"] for line in bigger_lines}
    by_record = {
        line["properties"]["recordId"][0]: line
        for line in bigger_lines
        if "recordId" in line["properties"]
    }
    assert by_record["link:9"]["schema"] == "Associate"
    assert by_record["link:9"]["properties"]["relationship"] == ["associate-of"]


def test_ftm_a_phone_libphonenumber_rejects_keeps_the_number_as_written() -> None:
    # 07700 900xxx is Ofcom's drama range: not a valid number, still what was recorded.
    chart = make_chart()
    phone = replace(chart.nodes[1], label="07700 900123")
    chart = replace(chart, nodes=(chart.nodes[0], phone, *chart.nodes[2:]))
    line = next(line for line in ftm_lines(to_ftm(chart)) if line["schema"] == "UserAccount")
    assert line["properties"]["username"] == ["07700 900123"]
    assert "phone" not in line["properties"]


def test_every_entity_kind_has_an_ftm_schema_and_an_i2_type() -> None:
    assert set(FTM_SCHEMATA) == set(ENTITY_KINDS)
    assert set(I2_ENTITY_TYPES) == set(ENTITY_KINDS)
    for schema in FTM_SCHEMATA.values():
        found = model.get(schema)
        assert found is not None and not found.abstract


# --- handling in every format ---------------------------------------------------------------


def _condition_texts(fmt: str, content: bytes) -> list[str]:
    """Every string in which a reader of ``fmt`` would find the chart-level handling text."""
    if fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(content))
        return [str(v) for v in graph.graph.values()]
    if fmt == "gexf":
        meta = ElementTree.fromstring(content).find(f"{GEXF_NS}meta")
        assert meta is not None
        return [meta.findtext(f"{GEXF_NS}description") or ""]
    if fmt in ("i2", "csv"):
        files = unzip(content)
        return [files["HANDLING.txt" if fmt == "i2" else "conditions.txt"]]
    assert fmt == "ftm"
    return ftm_lines(content)[0]["properties"]["description"]


def _link_condition_texts(fmt: str, content: bytes) -> list[str]:
    """The conditions as the phone link (link:1) carries them."""
    if fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(content), force_multigraph=True)
        return [graph.edges["person:1", "phone:2", "link:1"].get("conditions", "")]
    if fmt == "gexf":
        graph = nx.read_gexf(io.BytesIO(content))
        return [
            data.get("conditions", "")
            for _u, _v, data in graph.edges(data=True)
            if data["id"] == "link:1"
        ]
    if fmt in ("i2", "csv"):
        files = unzip(content)
        name, key = ("links.csv", "Link ID") if fmt == "i2" else ("edges.csv", "Id")
        return [row["Conditions"] for row in rows(files[name]) if row[key] == "link:1"]
    return [
        d
        for line in ftm_lines(content)
        if line["properties"].get("recordId") == ["link:1"]
        for d in line["properties"]["description"]
    ]


AWKWARD = (
    'Not to be shared with "Partner A", Partner B; or the CPS\nwithout DI approval — see Éire note'
)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("condition", [CONDITION, AWKWARD])
def test_every_format_carries_each_condition_verbatim(fmt: str, condition: str) -> None:
    chart = make_chart(condition=condition)
    content, _media_type, _suffix = export(chart, fmt)
    entry = f"HC-2025-0002: {condition}"
    assert chart.conditions == (entry,)
    assert any(entry in text for text in _condition_texts(fmt, content))
    assert any(HANDLING_STATEMENT in text for text in _condition_texts(fmt, content))
    assert any(entry in text for text in _link_condition_texts(fmt, content))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_chart_without_c_reports_has_no_condition_line_but_the_handling_statement(
    fmt: str,
) -> None:
    chart = make_chart(with_c=False)
    assert chart.conditions == ()
    content, _media_type, _suffix = export(chart, fmt)
    texts = _condition_texts(fmt, content)
    assert any(HANDLING_STATEMENT in text for text in texts)
    assert not any(CONDITIONS_HEADING in text for text in texts)
    if fmt == "graphml":
        graph = nx.read_graphml(io.BytesIO(content))
        assert not [key for key in graph.graph if key.startswith("condition")]
    raw = "".join(unzip(content).values()).encode() if fmt in ("i2", "csv") else content
    assert CONDITION.encode() not in raw
    assert b"HC-2025-0002" not in raw


def test_an_entity_recorded_as_c_has_its_banner_among_the_conditions_in_every_format() -> None:
    # The service gives a C entity its banner as the "handling" attribute; a header
    # that listed only the reports' conditions would look complete without it.
    banner = "Handling code C: share only on these conditions: Herts Constabulary only"
    chart = make_chart(with_c=False)
    person = replace(chart.nodes[0], attributes={**chart.nodes[0].attributes, "handling": banner})
    chart = replace(chart, nodes=(person, *chart.nodes[1:]))
    entry = f"Jordan Reece (person:1): {banner}"
    for fmt in FORMATS:
        content = export(chart, fmt)[0]
        if fmt == "graphml":  # numbered graph data, not a heading and lines
            assert nx.read_graphml(io.BytesIO(content)).graph["condition_1"] == entry
            continue
        texts = _condition_texts(fmt, content)
        assert any(f"{CONDITIONS_HEADING}\n- {entry}" in text for text in texts), fmt


# --- by name ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "media_type", "suffix"),
    [
        ("graphml", "application/graphml+xml", ".graphml"),
        ("gexf", "application/gexf+xml", ".gexf"),
        ("i2", "application/zip", ".i2.zip"),
        ("csv", "application/zip", ".csv.zip"),
        ("ftm", "application/x-ndjson", ".ftm.json"),
    ],
)
def test_export_names_the_media_type_and_suffix_and_is_deterministic(
    fmt: str, media_type: str, suffix: str
) -> None:
    content, got_media_type, got_suffix = export(make_chart(), fmt)
    assert (got_media_type, got_suffix) == (media_type, suffix)
    assert content == export(make_chart(), fmt)[0]


def test_export_refuses_an_unknown_format_naming_the_field() -> None:
    with pytest.raises(InputError, match="format"):
        export(make_chart(), "xlsx")
