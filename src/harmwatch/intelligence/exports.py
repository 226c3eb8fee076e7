"""Write a link chart in the formats investigators' tools import: GraphML, GEXF, i2, CSV, FtM.

Each writer takes a :class:`~harmwatch.intelligence.chart.Chart` — only what the
service already let the caller see — and returns the file's bytes; :func:`export`
picks one by name and says its media type and file suffix.

Handling travels with the data in every format. A report graded with handling code
C may be shared only under the conditions its originator wrote, and a chart lifted
out of harmwatch into another tool no longer has harmwatch beside it to say so. So
every format carries, in the place that format's readers look:

- the chart's title, who generated it and when;
- :data:`HANDLING_STATEMENT` (present even when no report is C: P intelligence is
  still intelligence, and the reader must know the codes govern its sharing);
- every entry of :attr:`Chart.conditions <harmwatch.intelligence.chart.Chart.conditions>`,
  verbatim (``"HC-2025-0002: Not to be disclosed …"``), then the banner of each entity
  recorded with handling code C (:func:`all_conditions`), and no condition line at
  all when there are none (an empty heading would read as conditions withheld);
- the chart's notes (e.g. that some linked entities are not shown);
- on each link, its sources as ``"HC-2025-0001 (1A P); HC-2025-0002 (2B C: conditions)"``,
  its grades, its handling code (C if any source is C) and its own conditions.

Formats (each writer's docstring gives its mapping):

- ``graphml`` — GraphML, provenance and handling as graph-level data (yEd, Gephi,
  Cytoscape, igraph);
- ``gexf`` — GEXF 1.2, provenance and handling in ``<meta><description>`` (Gephi);
- ``i2`` — ZIP of entities.csv, links.csv and HANDLING.txt for i2 Analyst's
  Notebook's delimited-text import;
- ``csv`` — ZIP of nodes.csv, edges.csv and conditions.txt (Gephi's spreadsheet
  import, igraph, pandas, R);
- ``ftm`` — FollowTheMoney entities, one JSON object a line (Aleph, ftm tools).

Output is deterministic: the same chart gives the same bytes (ZIP entry times and the
GEXF date come from ``generated_at``, not the clock), so an export can be checked
against the chart it came from.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from xml.etree.ElementTree import SubElement

import networkx as nx
from followthemoney import model
from followthemoney.proxy import EntityProxy
from networkx.readwrite.gexf import GEXFWriter

from harmwatch.errors import InputError

from .chart import Chart, ChartEdge, ChartNode

#: Stated in every export, whatever its handling codes.
HANDLING_STATEMENT = (
    "This export contains intelligence that may be shared only as its handling codes allow "
    "(3x5x2 handling code P: lawful sharing permitted; C: lawful sharing permitted only "
    "under the conditions the originator set, listed with it)."
)
#: Heads the condition lines; absent when nothing in the chart is C.
CONDITIONS_HEADING = (
    "Handling conditions (verbatim, from the reports and entities with handling code C):"
)
#: The node attribute in which the service puts a C entity's handling banner
#: (linkcharts.VisibleGraph.node); only C entities have it.
NODE_HANDLING_ATTRIBUTE = "handling"
NOTES_HEADING = "Notes:"

#: harmwatch entity kind -> i2 entity type. Plain names rather than one force's
#: template's: templates differ between forces, Analyst's Notebook creates a type it
#: does not know, and the import specification can map these onto local ones.
I2_ENTITY_TYPES: dict[str, str] = {
    "person": "Person",
    "phone": "Telephone Number",
    "handset": "Handset",
    "address": "Address",
    "vehicle": "Vehicle",
    "ocg": "Organised Crime Group",
    "county-line": "County Line",
}
#: harmwatch strength -> i2 line strength of the same name in the standard template.
#: Mapped by name, not by line style: the name is what the analyst reads in i2, and
#: "unconfirmed" must not become "Tentative". The styles differ — i2's template
#: draws Unconfirmed dashed and Tentative dotted, harmwatch's chart the reverse.
I2_STRENGTHS: dict[str, str] = {
    "confirmed": "Confirmed",
    "tentative": "Tentative",
    "unconfirmed": "Unconfirmed",
}

#: harmwatch entity kind -> FollowTheMoney schema.
FTM_SCHEMATA: dict[str, str] = {
    "person": "Person",
    # FtM has no telephone schema (a number is only a property, e.g. LegalEntity.phone);
    # a phone here is a node many people may use (a deal line), so it needs an entity.
    "phone": "UserAccount",
    # No device schema either; Asset is "property that can be owned", which a handset is.
    "handset": "Asset",
    "address": "Address",
    "vehicle": "Vehicle",
    "ocg": "Organization",
    "county-line": "Organization",
}
#: Attributes with an FtM property of the same meaning, by entity kind. Every
#: attribute is also kept in ``notes`` as "key: value", so nothing rests on these.
FTM_ATTRIBUTE_PROPERTIES: dict[str, dict[str, str]] = {
    "person": {"date_of_birth": "birthDate", "dob": "birthDate"},
    "phone": {"network": "service"},
    "address": {"postcode": "postalCode"},
    "vehicle": {
        "vrm": "registrationNumber",
        "registration": "registrationNumber",
        "model": "model",
    },
}
#: Link kinds with an FtM interval schema: (schema, source property, target property,
#: property naming the kind). Used only when both ends fit the schema's ranges;
#: anything else is an UnknownLink, which claims nothing beyond "linked, as <kind>".
FTM_LINK_SCHEMATA: dict[str, tuple[str, str, str, str]] = {
    "associate-of": ("Associate", "person", "associate", "relationship"),
    "family-of": ("Family", "person", "relative", "relationship"),
    "member-of": ("Membership", "member", "organization", "role"),
}
_FTM_UNKNOWN_LINK = ("UnknownLink", "subject", "object", "role")
#: Namespaces the FtM ids are hashed in, so the same harmwatch record always gets the
#: same FtM id and two exports of overlapping charts merge in Aleph.
_FTM_ID_PREFIX = "harmwatch"

I2_ENTITY_COLUMNS = ("Entity ID", "Entity Type", "Label")
I2_LINK_COLUMNS = (
    "Link ID",
    "From Entity ID",
    "From Entity Type",
    "From Label",
    "To Entity ID",
    "To Entity Type",
    "To Label",
    "Link Type",
    "Strength",
    "Date From",
    "Date To",
    "Sources",
    "Grades",
    "Handling",
    "Conditions",
)
CSV_NODE_COLUMNS = ("Id", "Label", "Kind")
CSV_EDGE_COLUMNS = (
    "Source",
    "Target",
    "Type",
    "Id",
    "Kind",
    "Strength",
    "Start",
    "End",
    "Sources",
    "Grades",
    "Handling",
    "Conditions",
)


# --- what every format shares ------------------------------------------------------


def source_text(edge: ChartEdge) -> str:
    """The edge's sources, readable: ``"HC-1 (1A P); HC-2 (2B C: conditions)"``."""
    parts = []
    for source in edge.sources:
        if source.conditions:
            parts.append(f"{source.reference} ({source.grade}: {source.conditions})")
        else:
            parts.append(f"{source.reference} ({source.grade})")
    return "; ".join(parts)


def grade_text(edge: ChartEdge) -> str:
    return "; ".join(source.grade for source in edge.sources)


def handling_text(edge: ChartEdge) -> str:
    """C if any source is C (the strictest governs the link), else the codes there are."""
    codes = list(dict.fromkeys(source.handling_code for source in edge.sources))
    return "C" if "C" in codes else "; ".join(codes)


def edge_conditions(edge: ChartEdge) -> tuple[str, ...]:
    """This edge's conditions, written as :attr:`Chart.conditions` writes them."""
    seen: dict[str, None] = {}
    for source in edge.sources:
        if source.conditions:
            seen.setdefault(f"{source.reference}: {source.conditions}", None)
    return tuple(seen)


def all_conditions(chart: Chart) -> tuple[str, ...]:
    """The reports' conditions (:attr:`Chart.conditions`), then each C entity's banner.

    An entity record can itself be C; its banner reaches the chart only as a node
    attribute, and a list of conditions that left it out would read as complete.
    """
    entities = tuple(
        f"{node.label} ({node.id}): {node.attributes[NODE_HANDLING_ATTRIBUTE]}"
        for node in chart.nodes
        if node.attributes.get(NODE_HANDLING_ATTRIBUTE)
    )
    return chart.conditions + entities


def header_lines(chart: Chart) -> list[str]:
    """The provenance and handling text every format carries, one item a line."""
    lines = [
        "harmwatch link chart export",
        f"Title: {chart.title}",
        f"Generated by: {chart.generated_by}",
        f"Generated at: {chart.generated_at}",
        HANDLING_STATEMENT,
    ]
    conditions = all_conditions(chart)
    if conditions:
        lines.append(CONDITIONS_HEADING)
        lines.extend(f"- {condition}" for condition in conditions)
    if chart.notes:
        lines.append(NOTES_HEADING)
        lines.extend(f"- {note}" for note in chart.notes)
    return lines


def handling_document(chart: Chart) -> str:
    """The text file that goes beside the CSVs: the header, and which links are C."""
    lines = header_lines(chart)
    restricted = [edge.id for edge in chart.edges if edge_conditions(edge)]
    if restricted:
        lines.append(
            "Links resting on a report with handling code C (see the Conditions column): "
            + ", ".join(restricted)
        )
    entities = [node.id for node in chart.nodes if node.attributes.get(NODE_HANDLING_ATTRIBUTE)]
    if entities:
        lines.append(
            f"Entities recorded with handling code C (see their {NODE_HANDLING_ATTRIBUTE} "
            "attribute): " + ", ".join(entities)
        )
    return "\n".join(lines) + "\n"


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _generated_datetime(chart: Chart) -> datetime | None:
    try:
        return datetime.fromisoformat(chart.generated_at)
    except ValueError:
        return None


# --- GraphML and GEXF ------------------------------------------------------------------


def _node_data(node: ChartNode) -> dict[str, str]:
    # Attributes as JSON: one string that any GraphML/GEXF reader keeps, and that
    # comes back exactly (a "k: v; k: v" string would not, if a value held "; ").
    return {
        "kind": node.kind,
        "label": node.label,
        "attributes": json.dumps(node.attributes, ensure_ascii=False, sort_keys=True),
    }


def _edge_data(edge: ChartEdge) -> dict[str, str]:
    data = {
        "kind": edge.kind,
        "strength": edge.strength,
        "sources": source_text(edge),
        "grades": grade_text(edge),
        "handling": handling_text(edge),
    }
    # Absent rather than "": GEXF reads start/end as the link's time interval.
    if edge.start:
        data["start"] = edge.start.isoformat()
    if edge.end:
        data["end"] = edge.end.isoformat()
    conditions = edge_conditions(edge)
    if conditions:
        data["conditions"] = "; ".join(conditions)
    return data


def _graph(chart: Chart) -> nx.MultiDiGraph:
    # Multi: two links of different kinds may join the same pair; directed: a link
    # reads from its source ("person uses-phone phone").
    graph = nx.MultiDiGraph()
    for node in chart.nodes:
        graph.add_node(node.id, **_node_data(node))
    for edge in chart.edges:
        graph.add_edge(edge.source, edge.target, key=edge.id, **_edge_data(edge))
    return graph


def to_graphml(chart: Chart) -> bytes:
    """GraphML, with the chart's provenance and handling as graph-level ``<data>``.

    Graph data: ``title``, ``generated_by``, ``generated_at``, ``handling`` (the
    statement), ``condition_1`` … ``condition_N`` (:func:`all_conditions`, each
    verbatim; absent when there are none) and ``note_1`` … ``note_N``. Node ids are entity refs (``person:3``), with
    ``kind``, ``label`` and ``attributes`` (a JSON object). Edge ids are link refs, with
    ``kind``, ``strength``, ``start``/``end`` (ISO dates, absent when unknown),
    ``sources``, ``grades``, ``handling`` and, on a link resting on a C report,
    ``conditions``.
    """
    graph = _graph(chart)
    graph.graph.update(
        title=chart.title,
        generated_by=chart.generated_by,
        generated_at=chart.generated_at,
        handling=HANDLING_STATEMENT,
    )
    for number, condition in enumerate(all_conditions(chart), start=1):
        graph.graph[f"condition_{number}"] = condition
    for number, note in enumerate(chart.notes, start=1):
        graph.graph[f"note_{number}"] = note
    buffer = io.BytesIO()
    nx.write_graphml(graph, buffer, encoding="utf-8")
    return buffer.getvalue()


def to_gexf(chart: Chart) -> bytes:
    """GEXF 1.2, with provenance and handling in ``<meta><description>``.

    GEXF has no graph-level attributes (networkx writes only the graph's name, and
    its reader reads no ``<meta>``), so the header text — title, generated by/at, the
    handling statement, every condition verbatim, the notes — goes in the element the
    GEXF schema gives for describing the whole file, ``<meta><description>``;
    ``<meta><creator>`` is "harmwatch" and ``lastmodifieddate`` the generation date.
    The graph's ``name`` is the title. Nodes and edges carry the same attributes as
    GraphML (each link on a C report keeps its own ``conditions``); an edge's
    ``start``/``end`` are GEXF's own edge interval, so Gephi's timeline shows when a
    link held, its ``label`` is its kind, and ``networkx_key`` repeats its id (networkx
    writes a multigraph's keys).
    """
    graph = _graph(chart)
    graph.graph["name"] = chart.title
    for _source, _target, key, data in graph.edges(keys=True, data=True):
        data["id"] = key
        data["label"] = data["kind"]
    # write_gexf builds this writer and writes it; building it here lets the meta
    # element networkx writes (its own version as creator, today's date) be filled in.
    writer = GEXFWriter(encoding="utf-8", prettyprint=True, version="1.2draft")
    meta = writer.xml.find("meta")
    if meta is None:  # pragma: no cover - networkx always writes one
        raise RuntimeError("networkx's GEXF writer wrote no <meta> element")
    creator = meta.find("creator")
    if creator is not None:
        creator.text = "harmwatch"
    generated = _generated_datetime(chart)
    if generated is not None:
        meta.set("lastmodifieddate", generated.date().isoformat())
    else:
        # The schema makes the date optional; the clock's would make output vary.
        meta.attrib.pop("lastmodifieddate", None)
    SubElement(meta, "description").text = "\n".join(header_lines(chart))
    writer.add_graph(graph)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- delimited text (i2 and plain CSV) ------------------------------------------------------


def _attribute_columns(
    nodes: Sequence[ChartNode], reserved: Iterable[str]
) -> list[tuple[str, str]]:
    """(attribute key, column header) for every attribute any node has, sorted by key."""
    taken = {name.casefold() for name in reserved}
    keys = sorted({key for node in nodes for key in node.attributes})
    columns = []
    for key in keys:
        header = key if key.casefold() not in taken else f"Attribute {key}"
        columns.append((key, header))
    return columns


def _csv_bytes(rows: Iterable[Sequence[str]], *, bom: bool) -> bytes:
    text = io.StringIO(newline="")
    csv.writer(text).writerows(rows)
    # i2 and Excel on Windows read a file without a BOM as the local code page,
    # mangling any name outside ASCII; tools for the plain CSV expect none.
    return text.getvalue().encode("utf-8-sig" if bom else "utf-8")


def _zip(chart: Chart, files: Sequence[tuple[str, bytes]]) -> bytes:
    generated = _generated_datetime(chart)
    # ZIP times cannot predate 1980; the clock's would make the bytes differ each run.
    stamp = (
        generated.timetuple()[:6]
        if generated is not None and generated.year >= 1980
        else (1980, 1, 1, 0, 0, 0)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def to_i2(chart: Chart) -> bytes:
    """A ZIP for i2 Analyst's Notebook's delimited-text import (one import specification
    for entities.csv, one for links.csv).

    CSV, comma-delimited, double-quoted, UTF-8 with a BOM, header row, no comment lines
    (an import takes every line as data). Mapping:

    - **entities.csv**: ``Entity ID`` → the entity's Identity (the harmwatch ref, e.g.
      ``person:3``, so a re-import merges rather than duplicates); ``Entity Type`` → the
      type (:data:`I2_ENTITY_TYPES`: Person, Telephone Number, Handset, Address,
      Vehicle, Organised Crime Group, County Line); ``Label`` → the label; then one
      column per attribute key any entity has (``Attribute <key>`` if the key is one
      of the fixed headers), each an i2 attribute.
    - **links.csv**: ``Link ID``; ``From …``/``To …`` the two ends' Identity, Type and
      Label (an i2 link row places or merges both its ends, so each row names them);
      the link runs from the first to the second. ``Link Type`` the harmwatch kind
      (``uses-phone``); ``Strength`` the i2 line strength (:data:`I2_STRENGTHS`:
      Confirmed, Tentative, Unconfirmed, matched by name); ``Date From``/``Date To``
      ISO dates (set the specification's date format to yyyy-MM-dd; ``Date From`` is
      the link's date); ``Sources``, ``Grades`` and ``Handling`` as attributes (or
      cards); ``Conditions`` the verbatim conditions of the link's C reports, empty
      when it rests on none.
    - **HANDLING.txt**: title, generated by/at, the handling statement, every
      condition verbatim, the notes, the links resting on a C report and the entities
      recorded as C.
    """
    attribute_columns = _attribute_columns(chart.nodes, I2_ENTITY_COLUMNS)
    entity_rows: list[Sequence[str]] = [
        [*I2_ENTITY_COLUMNS, *(header for _key, header in attribute_columns)]
    ]
    for node in chart.nodes:
        entity_rows.append(
            [
                node.id,
                _i2_type(node.kind),
                node.label,
                *(node.attributes.get(key, "") for key, _header in attribute_columns),
            ]
        )
    nodes = {node.id: node for node in chart.nodes}
    link_rows: list[Sequence[str]] = [I2_LINK_COLUMNS]
    for edge in chart.edges:
        source, target = nodes.get(edge.source), nodes.get(edge.target)
        link_rows.append(
            [
                edge.id,
                edge.source,
                _i2_type(source.kind) if source else "",
                source.label if source else "",
                edge.target,
                _i2_type(target.kind) if target else "",
                target.label if target else "",
                edge.kind,
                I2_STRENGTHS.get(edge.strength, edge.strength),
                *_provenance(edge),
            ]
        )
    return _zip(
        chart,
        [
            ("entities.csv", _csv_bytes(entity_rows, bom=True)),
            ("links.csv", _csv_bytes(link_rows, bom=True)),
            ("HANDLING.txt", handling_document(chart).encode("utf-8")),
        ],
    )


def _provenance(edge: ChartEdge) -> list[str]:
    """A link's dates, sources, grades, handling and conditions: the columns every table ends with."""
    return [
        _iso(edge.start),
        _iso(edge.end),
        source_text(edge),
        grade_text(edge),
        handling_text(edge),
        "; ".join(edge_conditions(edge)),
    ]


def _i2_type(kind: str) -> str:
    return I2_ENTITY_TYPES.get(kind, kind)


def to_csv(chart: Chart) -> bytes:
    """A ZIP of nodes.csv, edges.csv and conditions.txt for Gephi, igraph, pandas, R.

    UTF-8, no BOM. The headers are the ones Gephi's spreadsheet import recognises
    (``Id``, ``Label``; ``Source``, ``Target``, ``Type``, ``Id``), and the first column
    of each file is what igraph's ``Graph.DataFrame`` takes as vertex name and edge
    ends. nodes.csv: ``Id``, ``Label``, ``Kind``, then one column per attribute key.
    edges.csv: ``Source``, ``Target``, ``Type`` (always ``Directed``), ``Id``, ``Kind``,
    ``Strength``, ``Start``, ``End``, ``Sources``, ``Grades``, ``Handling``,
    ``Conditions``. conditions.txt holds the header text, as HANDLING.txt does for i2.
    """
    attribute_columns = _attribute_columns(chart.nodes, CSV_NODE_COLUMNS)
    node_rows: list[Sequence[str]] = [
        [*CSV_NODE_COLUMNS, *(header for _key, header in attribute_columns)]
    ]
    for node in chart.nodes:
        node_rows.append(
            [
                node.id,
                node.label,
                node.kind,
                *(node.attributes.get(key, "") for key, _header in attribute_columns),
            ]
        )
    edge_rows: list[Sequence[str]] = [CSV_EDGE_COLUMNS]
    for edge in chart.edges:
        edge_rows.append(
            [
                edge.source,
                edge.target,
                "Directed",
                edge.id,
                edge.kind,
                edge.strength,
                *_provenance(edge),
            ]
        )
    return _zip(
        chart,
        [
            ("nodes.csv", _csv_bytes(node_rows, bom=False)),
            ("edges.csv", _csv_bytes(edge_rows, bom=False)),
            ("conditions.txt", handling_document(chart).encode("utf-8")),
        ],
    )


# --- FollowTheMoney ---------------------------------------------------------------------


def _ftm_node(node: ChartNode) -> EntityProxy:
    schema = FTM_SCHEMATA.get(node.kind)
    if schema is None:
        raise ValueError(f"no FollowTheMoney schema for entity kind {node.kind!r}")
    proxy = model.make_entity(schema)
    proxy.make_id(_FTM_ID_PREFIX, node.id)
    if node.kind == "phone":
        # username is UserAccount's required caption and keeps the number as written;
        # phone takes it only if libphonenumber finds it valid (as dialled in the UK
        # when it has no +prefix), since FtM drops a number it cannot put in E.164.
        proxy.add("username", node.label)
        proxy.add("phone", node.label, format="gb")
    elif node.kind == "address":
        proxy.add("full", node.label)
    else:
        proxy.add("name", node.label)
    for key, prop in FTM_ATTRIBUTE_PROPERTIES.get(node.kind, {}).items():
        if key in node.attributes:
            # quiet: a value FtM cannot clean (a partial date) is dropped from the typed
            # property, never from the export — the notes below keep every attribute.
            proxy.add(prop, node.attributes[key], quiet=True)
    proxy.add("keywords", node.kind)
    proxy.add("notes", f"harmwatch ref: {node.id}")
    for key, value in node.attributes.items():
        proxy.add("notes", f"{key}: {value}")
    return proxy


def _ftm_edge(edge: ChartEdge, ends: dict[str, EntityProxy]) -> EntityProxy:
    schema_name, source_prop, target_prop, kind_prop = FTM_LINK_SCHEMATA.get(
        edge.kind, _FTM_UNKNOWN_LINK
    )
    source, target = ends.get(edge.source), ends.get(edge.target)
    if source is None or target is None:
        # An FtM link must name both ends; the service builds charts whose links do.
        raise ValueError(f"link {edge.id} joins an entity that is not in the chart")
    if not (_fits(source, schema_name, source_prop) and _fits(target, schema_name, target_prop)):
        schema_name, source_prop, target_prop, kind_prop = _FTM_UNKNOWN_LINK
    proxy = model.make_entity(schema_name)
    proxy.make_id(_FTM_ID_PREFIX, edge.id)
    proxy.add(source_prop, source.id)
    proxy.add(target_prop, target.id)
    proxy.add(kind_prop, edge.kind)
    proxy.add("recordId", edge.id)
    proxy.add("startDate", _iso(edge.start) or None)
    proxy.add("endDate", _iso(edge.end) or None)
    proxy.add("summary", f"strength: {edge.strength}")
    if edge.sources:
        proxy.add("description", f"Sources: {source_text(edge)}")
        proxy.add("description", f"Handling: {handling_text(edge)}")
    for condition in edge_conditions(edge):
        proxy.add("description", f"Handling condition: {condition}")
    return proxy


def _fits(end: EntityProxy, schema_name: str, prop_name: str) -> bool:
    schema = model.get(schema_name)
    prop = schema.get(prop_name) if schema is not None else None
    return prop is not None and prop.range is not None and end.schema.is_a(prop.range)


def _ftm_note(chart: Chart, entities: Iterable[EntityProxy]) -> EntityProxy:
    note = model.make_entity("Note")
    note.make_id(_FTM_ID_PREFIX, "export", chart.title, chart.generated_by, chart.generated_at)
    note.add("name", f"Handling and provenance: {chart.title}")
    note.add("description", "\n".join(header_lines(chart)))
    note.add("publisher", "harmwatch")
    # Attached to every entity, so Aleph shows the handling beside each one.
    note.add("entity", [entity.id for entity in entities])
    return note


def to_ftm(chart: Chart) -> bytes:
    """FollowTheMoney entities as line-delimited JSON (``proxy.to_dict()`` a line).

    Entities (:data:`FTM_SCHEMATA`): person → Person (``name``); phone → UserAccount
    (``username`` the number as written, ``phone`` its E.164 form when valid,
    ``service`` a ``network`` attribute) — FtM has no telephone schema and a phone must be an
    entity that several people can be linked to; handset → Asset (``name``) — FtM has
    no device schema; address → Address (``full``); vehicle → Vehicle (``name``;
    ``registrationNumber`` from a ``vrm``/``registration`` attribute); OCG and county
    line → Organization (``name``). Every entity has ``keywords`` = its harmwatch kind
    (which tells the two Organizations apart) and ``notes`` = "harmwatch ref: …" and
    each attribute as "key: value"; :data:`FTM_ATTRIBUTE_PROPERTIES` also copies a
    few attributes to typed properties.

    Links (:data:`FTM_LINK_SCHEMATA`): associate-of between people → Associate,
    family-of → Family, member-of to an OCG or line → Membership; every other kind
    (uses-phone, lives-at, runs-line, …) → UnknownLink (``subject`` → ``object``), with
    the kind in ``relationship``/``role``. A phone a person uses is *not* added to the
    Person's ``phone`` property, nor an address to ``address``: an FtM property has no
    strength, dates or sources, so a tentative attribution would become an unqualified
    fact that Aleph cross-references on. Each link has ``startDate``/``endDate``,
    ``recordId`` (the link ref), ``summary`` "strength: …" and ``description`` lines
    "Sources: …", "Handling: …" and "Handling condition: …" for each C condition.

    The first line is a Note (name "Handling and provenance: <title>") whose
    ``description`` is the header text — title, generated by/at, the handling
    statement, every condition verbatim, the notes — and whose ``entity`` is every
    entity. Ids are ``make_id("harmwatch", <ref>)``: the same record, the same id.
    """
    entities = [_ftm_node(node) for node in chart.nodes]
    ends = dict(zip((node.id for node in chart.nodes), entities, strict=True))
    links = [_ftm_edge(edge, ends) for edge in chart.edges]
    proxies = [_ftm_note(chart, entities), *entities, *links]
    lines = (json.dumps(proxy.to_dict(), ensure_ascii=False, sort_keys=True) for proxy in proxies)
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


# --- by name -------------------------------------------------------------------------------

#: name -> (writer, media type, file suffix)
FORMATS: dict[str, tuple[Callable[[Chart], bytes], str, str]] = {
    "graphml": (to_graphml, "application/graphml+xml", ".graphml"),
    "gexf": (to_gexf, "application/gexf+xml", ".gexf"),
    "i2": (to_i2, "application/zip", ".i2.zip"),
    "csv": (to_csv, "application/zip", ".csv.zip"),
    "ftm": (to_ftm, "application/x-ndjson", ".ftm.json"),
}


def export(chart: Chart, fmt: str) -> tuple[bytes, str, str]:
    """The chart written as ``fmt``: (content, media type, file suffix)."""
    try:
        writer, media_type, suffix = FORMATS[fmt]
    except KeyError:
        raise InputError(
            f"format: no export format {fmt!r}; choose one of {', '.join(FORMATS)}"
        ) from None
    return writer(chart), media_type, suffix


__all__ = [
    "FORMATS",
    "HANDLING_STATEMENT",
    "all_conditions",
    "export",
    "header_lines",
    "to_csv",
    "to_ftm",
    "to_gexf",
    "to_graphml",
    "to_i2",
]
