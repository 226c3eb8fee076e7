"""A SYNTHETIC force crime-records (RMS) export built from real police.uk street files.

A force's records management system (RMS) holds each crime's offence classification,
the exact place and the time it was committed; police.uk publishes the same crimes
anonymised (a nearby map "snap point", the month only, 14 broad types). harmwatch
needs a force export for its demo and its tests without real force data, so this
module makes one *from* the bundled police.uk street files: one synthetic record for
every published crime, with made-up detail (classification, time, place, flags) drawn
so that the whole looks like a real export, plus **planted differences** from
police.uk that a reconciliation of the two must recover. Everything it writes is
labelled SYNTHETIC; no value in it describes a real crime, place or person beyond what
police.uk already publishes (type, month, snap point, location text, LSOA, outcome).

Every rate and profile below is a field of :class:`RmsParams` with its default. They
are **plausible illustrations, not fitted to any force's data**: shaped by what is
widely described about when and how crimes happen and are recorded, so that
analyses (time-of-day charts, hot spots, flags) show familiar patterns.

Rows
    Each police.uk row of type T published for month M becomes one record (per copy,
    see ``copies``). police.uk's month is taken to be the month of *recording*.
    "Anti-social behaviour" rows are skipped: ASB incidents are not recorded crime and
    a force's crime system does not hold them.

Offence classification (``HO Class``)
    Drawn among :func:`~harmwatch.crimes.offences.classes_for_type` for T with
    within-type proportions (``class_mix``): e.g. Drugs — possession of cannabis 92D
    most common (55 %), then other possession 92E (25 %), trafficking 92A (17 %),
    other drug offences 92C (3 %); Violence and sexual offences — assault without
    injury 105A, assault with injury 8N, harassment 8L and malicious communications 8R
    the bulk, rapes about 3 % and other sexual offences about 5 %; Burglary —
    residential 28E/28F about two thirds, business and community the rest.

Committed time (``Committed From`` / ``Committed To``, Europe/London wall clock)
    Crimes whose time is known exactly get one time, drawn from a weekly profile per
    type (``hour_profile`` × ``day_profile``, Monday first):

    - violence and public order peak in the evening and on Friday and Saturday nights
      22:00–03:00 (``night_economy_boost``): the night-time economy, drink, crowds;
    - shoplifting in shop hours, most on Saturdays, little before 08:00 or after 21:00
      and less outside 10:00–17:00 on Sundays (Sunday trading hours);
    - drugs and possession of weapons in the afternoon and evening, weekdays a little
      more: they are found by police stops and searches, so they follow when police are
      out and patrolling, not when drugs are used;
    - burglary, vehicle crime and criminal damage in the evening and night; residential
      burglary shifts to dusk (16:00–20:00) in the dark months November–February
      (``dark_evening_boost``), when an unlit house shows it is empty;
    - other theft, bicycle theft, theft from the person in the day (commuting, shops,
      town centres), theft from the person also in the night-time economy;
    - other crime (bail, handling, going equipped) in office and patrol hours.

    Where the victim cannot know the time, the record holds a range (``range_share``
    per type; ``range_kinds``): *overnight* (from 17:00–23:30 to 06:00–09:45 the next
    day, e.g. "between 18:00 and 07:30"), *working day* (a weekday from 07:00–09:30 to
    16:00–19:00), *short* (a 1–4 hour window in the day) or *away* (1–10 days, a
    holiday). Residential burglary is often a range (60 %), vehicle crime mostly an
    overnight range (75 %), criminal damage, other theft and bicycle theft sometimes
    (30–40 %); violence, robbery, drugs, shoplifting and theft from the person almost
    never (0–5 %). ``Committed To`` is blank when the time is exact. A share of exact
    times is floored to the quarter hour (``exact_time_rounded_share``): people say
    "about quarter past ten".

    A wall time the clocks skip (01:00–01:59 on the last Sunday of March) is never
    written: it is moved forward an hour (01:30 → 02:30, as the import spec's
    ``nonexistent = "shift-forward"`` reads it). Times in the repeated autumn hour are
    written as they are; the spec reads them as the earlier (BST) instant.

Recorded time (``Recorded``)
    The end of the committed time (or the exact time) plus a log-normal delay with a
    median per type (``recording_delay_median_hours``: police-found drugs and weapons
    within the hour, violence and burglary in hours, thefts and other crime within a
    day or two), always in month M and never before ``Committed From`` or
    ``Committed To``. A committed time whose recording would fall after M is drawn
    again (so crimes committed in M's last days are a little rarer, as in real data,
    where they are recorded, and published, in M+1).

Place (``Easting``, ``Northing``: integer metres, EPSG:27700)
    police.uk moves each crime to a nearby anonymised map point, so the true places lie
    around it: the snap point plus an isotropic normal displacement (sd
    ``scatter_sd_m`` = 60 m per axis), drawn again when more than ``scatter_max_m`` =
    150 m away (after rounding to the metre). Blank where police.uk has no location.
    ``Location`` is police.uk's text ("On or near Parking Area"), the only address there
    is; ``LSOA Code`` is police.uk's.

Flags (``Flags``: ``;``-separated force codes, in the order DRUG;CL;DA;HC-…;KNIFE;ALC;CSE)
    On the current classification. ``DRUG`` on every Drugs record (current or original
    type), and a share of possession of weapons, robbery, violence, other crime
    (``flag_type_shares``); ``CL`` (county lines) on 30 % of trafficking 92A and a few
    possession of weapons, robbery and violence records, always with ``DRUG``; ``DA``
    (domestic abuse) on about a third of violence (every controlling or coercive
    behaviour 8S, none of assaults on constables 104), 12 % of criminal damage, 5 % of
    public order; hate crime on 2.5 % of violence and 6 % of public order, and on every
    racially or religiously aggravated offence (8P, 105B, 9B: race, or religion for
    ``aggravated_religion_share``), by strand ``HC-RACE``, ``HC-SO``, ``HC-REL``,
    ``HC-DIS``, ``HC-TG`` in the approximate proportions 70/13/7/7/3 % (rounded from
    the Home Office's *Hate crime, England and Wales* bulletins of recent years: race
    by far the most, then sexual orientation, religion and disability about equal,
    transgender least; one strand per record here, where real records may carry
    several); hate flags only ever on violence and public order; ``KNIFE`` on every
    possession of an article with a blade or point (10D, 90), some other weapons,
    robberies and serious assaults; ``ALC`` on violence, public order and criminal
    damage, more often at night (20:00–04:00, ``alcohol_night_factor``); ``CSE``
    (child exploitation) rarely: some sexual offences against children, modern
    slavery, and a tenth of county-lines records (children exploited as runners).

Personal columns (``Victim Name``, ``Suspect DOB``, ``MO Notes``)
    Obviously fake (``SYNTHETIC PERSON 000123``, a date, ``SYNTHETIC FREE TEXT
    000123``): columns an importer must never store. No victim name for victimless
    types (drugs, possession of weapons, non-notifiable); no suspect date of birth when
    police.uk's outcome says no suspect was identified.

Planted differences from police.uk (counted from the generated rows into
:class:`Planted` and ``planted.json``, the truth a reconciliation is tested against)

1. **Late reporting** (``late_share`` per type; about 5–6 % overall for these forces'
   mix): committed in the month *before* the month recorded. Victims find a burglary
   on return from holiday, a theft or a fraud-like handling offence comes to light
   weeks later, a retailer reports a batch of shoplifting after reviewing CCTV, a
   victim of violence decides later to report; police-found drugs are recorded at once
   (2 %). Counting the force's records by committed month moves them to M−1.
2. **Reclassified after publication** (``reclassified_share``, about 2 %; 1 % for
   drugs): the current ``HO Class`` belongs to another police.uk type than T, while
   ``Original HO Class`` is a class of T (what police.uk published), along realistic
   class pairs (``reclassified_pairs``): assault without injury or harassment 105A/8L
   → public fear, alarm or distress 9A and back; theft → burglary (49/40 → 28E/30C, a
   shed or garage was broken into), damage to a dwelling → attempted burglary 58A →
   28F, damage to a vehicle → interfering with a vehicle 58C → 126 and back, theft
   from a vehicle → other theft 45 → 49, theft from the person → robbery 39 → 34B and
   back, shoplifting → business robbery 46 → 34A, possession of drugs → possession of
   a bladed article 92D/92E → 10D (the principal offence of a search). Under the
   Home Office Counting Rules a crime is reclassified when investigation shows a
   different offence (a damaged door was an attempted burglary; a "theft" from a
   shed was a burglary; force was used, making a theft a robbery); police.uk shows
   the classification of its monthly snapshot. Another ``within_type_reclassified_share``
   (2 % of the classes in ``within_type_pairs``) move to another class of the same
   type (8N → 5D as an injury proves serious, 92D → 92A as supply is shown): they
   change no police.uk count.
3. **Cancelled after publication** (``cancelled_share``, 1 %): ``Status`` =
   ``Cancelled`` — cancelled under the counting rules after police.uk's snapshot
   (additional verifiable information that no crime occurred, a duplicate, a crime
   transferred to another force); police.uk still shows them. Never also reclassified.
4. **Non-notifiable records police.uk leaves out** (``non_notifiable_share``, about
   1 % of each month's count): extra records with ``HO Class`` ``NN`` (drug driving,
   failing to provide a specimen, drunk and disorderly …; ``non_notifiable_offences``)
   that are not recorded crime, so police.uk never lists them; times and places drawn
   like the Drugs records of the same month (a police-found offence at a Drugs snap
   point).

References (``Crime Reference``, e.g. ``73/01234/25``)
    A made-up two-digit prefix per force (``force_prefixes``: Bedfordshire 71,
    Cambridgeshire 72, Hertfordshire 73; *not* the forces' real codes), a running
    number per prefix and recording year in order of recording, the recording year's
    two digits.

``copies`` repeats the whole export (every row drawn afresh, references continuing) so
that a benchmark can reach a million rows; each copy carries its own planted
differences.

All randomness comes from one ``numpy.random.default_rng(params.seed)``: the same
street rows and parameters give the same rows, and :func:`write_export` the same bytes
(except the optional ``.xlsx``, whose zip container holds timestamps).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harmwatch.errors import InputError
from harmwatch.spatial.projection import to_bng

from .offences import NON_NOTIFIABLE, POLICE_UK_CRIME_TYPES, offence_classes

#: The generator's version; a change to what any seed generates must change it.
GENERATOR_VERSION = "force-records-1"
SPEC_NAME = "harmwatch-synthetic-rms-v1"
ASB = "Anti-social behaviour"
TIME_FORMAT = "%d/%m/%Y %H:%M"
ZONE = "Europe/London"

#: The export's header, in order.
COLUMNS: tuple[str, ...] = (
    "Crime Reference",
    "HO Class",
    "Offence",
    "Original HO Class",
    "Committed From",
    "Committed To",
    "Recorded",
    "Easting",
    "Northing",
    "Location",
    "LSOA Code",
    "Flags",
    "Status",
    "Outcome",
    "Victim Name",
    "Suspect DOB",
    "MO Notes",
)
#: Columns an importer must never store (data minimisation).
PERSONAL_COLUMNS: tuple[str, ...] = ("Victim Name", "Suspect DOB", "MO Notes")

#: Import-spec field → export column (the personal columns are deliberately absent).
SPEC_COLUMNS: dict[str, str] = {
    "reference": "Crime Reference",
    "offence_code": "HO Class",
    "offence_description": "Offence",
    "original_offence_code": "Original HO Class",
    "committed_from": "Committed From",
    "committed_to": "Committed To",
    "recorded": "Recorded",
    "easting": "Easting",
    "northing": "Northing",
    "address": "Location",
    "lsoa_code": "LSOA Code",
    "flags": "Flags",
    "status": "Status",
    "outcome": "Outcome",
}

#: Canonical flag (harmwatch.crimes.flags) → the export's code, in the order written.
FLAG_CODES: dict[str, str] = {
    "drug-related": "DRUG",
    "county-lines": "CL",
    "domestic-abuse": "DA",
    "hate-race": "HC-RACE",
    "hate-religion": "HC-REL",
    "hate-sexual-orientation": "HC-SO",
    "hate-disability": "HC-DIS",
    "hate-transgender": "HC-TG",
    "knife-crime": "KNIFE",
    "alcohol-related": "ALC",
    "child-exploitation": "CSE",
}
HATE_CODES: tuple[str, ...] = ("HC-RACE", "HC-REL", "HC-SO", "HC-DIS", "HC-TG")
_FLAG_ORDER: tuple[str, ...] = tuple(FLAG_CODES.values())
_BIT = {code: 1 << i for i, code in enumerate(_FLAG_ORDER)}

#: Types whose crimes have no individual victim (no ``Victim Name``).
VICTIMLESS_TYPES: tuple[str, ...] = ("Drugs", "Possession of weapons")
#: police.uk's outcome meaning nobody was identified (no ``Suspect DOB``).
NO_SUSPECT = "Investigation complete; no suspect identified"

#: Flags and outcome each default non-notifiable offence carries.
NN_OFFENCE_DETAIL: dict[str, tuple[tuple[str, ...], str]] = {
    "Drug driving (non-notifiable)": (("DRUG",), "Awaiting court outcome"),
    "Failing to provide a specimen for analysis (non-notifiable)": ((), "Awaiting court outcome"),
    "Drunk and disorderly (non-notifiable)": (("ALC",), "Offender given a penalty notice"),
    "Being drunk in charge of a motor vehicle (non-notifiable)": (
        ("ALC",),
        "Awaiting court outcome",
    ),
}

_V, _PO, _DR, _W = "Violence and sexual offences", "Public order", "Drugs", "Possession of weapons"
_BU, _VE, _CD, _OT = "Burglary", "Vehicle crime", "Criminal damage and arson", "Other theft"
_SH, _RO, _TP, _BI, _OC = (
    "Shoplifting",
    "Robbery",
    "Theft from the person",
    "Bicycle theft",
    "Other crime",
)

_CLASS_MIX: dict[str, dict[str, float]] = {
    _V: {"105A": 27, "8N": 18, "8L": 12, "8R": 12, "8S": 5, "8Q": 5, "104": 3, "105B": 1.5,
         "8P": 0.5, "5D": 1.2, "5E": 0.3, "1": 0.03, "2": 0.05, "3A": 0.01, "4.1": 0.02,
         "106": 0.3, "17A": 0.4, "17B": 0.1, "19C": 2.0, "19D": 0.5, "19E": 0.3, "19G": 0.1,
         "20A": 3.0, "20B": 0.4, "21": 0.3, "22B": 0.4, "88A": 0.2},
    _RO: {"34B": 88, "34A": 12},
    _BU: {"28E": 55, "28F": 10, "29": 1, "30C": 28, "30D": 5.5, "31": 0.5},
    _VE: {"45": 55, "48": 28, "126": 15, "37.2": 2},
    _TP: {"39": 1},
    _BI: {"44": 1},
    _SH: {"46": 1},
    _OT: {"49": 70, "40": 10, "41": 4, "42": 1, "43": 2, "47": 1},
    _CD: {"58A": 28, "58C": 30, "58B": 10, "58D": 20, "59": 4, "56B": 7, "56A": 1},
    _DR: {"92D": 55, "92E": 25, "92A": 17, "92C": 3},
    _W: {"10D": 55, "90": 8, "10C": 25, "81": 8, "10A": 4},
    _PO: {"9A": 82, "9B": 10, "62A": 2, "66": 6},
    _OC: {"99": 45, "83": 15, "54": 12, "33": 8, "35": 6, "86": 14},
}  # fmt: skip

_HOURS: dict[str, tuple[float, ...]] = {
    _V: (3.0, 2.6, 2.0, 1.3, 0.8, 0.5, 0.5, 0.8, 1.2, 1.6, 1.9, 2.2,
         2.4, 2.5, 2.7, 3.0, 3.3, 3.5, 3.6, 3.7, 3.8, 3.9, 3.8, 3.4),
    _PO: (2.6, 2.2, 1.6, 1.0, 0.6, 0.4, 0.4, 0.7, 1.1, 1.5, 1.8, 2.1,
          2.4, 2.6, 2.9, 3.3, 3.6, 3.8, 3.8, 3.8, 3.7, 3.6, 3.4, 3.0),
    _SH: (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.2, 1.0, 2.5, 3.2, 3.6,
          3.8, 3.8, 3.9, 4.0, 4.0, 3.6, 2.8, 2.0, 1.4, 0.8, 0.4, 0.1),
    _DR: (1.2, 1.0, 0.7, 0.4, 0.2, 0.2, 0.3, 0.6, 1.0, 1.4, 1.8, 2.2,
          2.5, 2.8, 3.2, 3.6, 3.8, 3.9, 3.8, 3.6, 3.4, 3.0, 2.4, 1.8),
    _W: (1.6, 1.3, 0.9, 0.5, 0.3, 0.2, 0.3, 0.5, 0.9, 1.2, 1.5, 1.9,
         2.2, 2.5, 2.9, 3.3, 3.6, 3.8, 3.8, 3.7, 3.5, 3.2, 2.7, 2.1),
    _BU: (1.6, 1.4, 1.2, 1.0, 0.7, 0.5, 0.5, 0.7, 1.0, 1.3, 1.5, 1.6,
          1.6, 1.6, 1.7, 1.9, 2.2, 2.6, 2.9, 2.8, 2.5, 2.2, 2.0, 1.8),
    _VE: (2.6, 2.6, 2.4, 2.0, 1.4, 0.9, 0.6, 0.6, 0.8, 1.0, 1.1, 1.2,
          1.2, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.0, 2.2, 2.4, 2.5),
    _CD: (2.2, 1.8, 1.4, 1.0, 0.7, 0.5, 0.6, 0.9, 1.2, 1.4, 1.5, 1.6,
          1.7, 1.8, 2.0, 2.3, 2.6, 2.8, 2.9, 2.9, 2.8, 2.7, 2.6, 2.4),
    _OT: (0.6, 0.5, 0.4, 0.3, 0.2, 0.2, 0.4, 0.8, 1.5, 2.2, 2.6, 2.9,
          3.1, 3.1, 3.0, 3.0, 2.9, 2.7, 2.4, 2.0, 1.6, 1.3, 1.0, 0.8),
    _BI: (0.5, 0.4, 0.3, 0.2, 0.2, 0.3, 0.6, 1.5, 2.5, 2.5, 2.2, 2.2,
          2.4, 2.4, 2.3, 2.4, 2.7, 2.9, 2.8, 2.4, 1.9, 1.4, 1.0, 0.7),
    _RO: (2.0, 1.7, 1.3, 0.9, 0.5, 0.3, 0.3, 0.5, 0.8, 1.0, 1.2, 1.4,
          1.6, 1.8, 2.1, 2.5, 2.8, 3.0, 3.1, 3.2, 3.2, 3.0, 2.7, 2.3),
    _TP: (1.6, 1.4, 1.0, 0.5, 0.3, 0.2, 0.3, 0.6, 1.2, 1.6, 2.0, 2.4,
          2.8, 2.9, 2.9, 2.9, 2.9, 2.8, 2.5, 2.2, 2.0, 2.0, 2.0, 1.8),
    _OC: (0.6, 0.5, 0.4, 0.3, 0.2, 0.2, 0.4, 0.8, 1.6, 2.2, 2.4, 2.5,
          2.4, 2.4, 2.4, 2.3, 2.2, 2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8),
}  # fmt: skip

_DAYS: dict[str, tuple[float, ...]] = {  # Monday .. Sunday
    _V: (0.95, 0.9, 0.9, 0.95, 1.1, 1.25, 1.1),
    _PO: (0.95, 0.95, 0.95, 1.0, 1.1, 1.2, 1.0),
    _SH: (1.0, 1.0, 1.0, 1.05, 1.1, 1.2, 0.7),
    _DR: (0.95, 1.0, 1.0, 1.05, 1.1, 1.0, 0.85),
    _W: (0.95, 1.0, 1.0, 1.05, 1.1, 1.05, 0.9),
    _BU: (1.0, 1.0, 1.0, 1.0, 1.05, 1.0, 0.95),
    _VE: (1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 0.95),
    _CD: (0.95, 0.95, 0.95, 1.0, 1.1, 1.15, 1.0),
    _OT: (1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 0.9),
    _BI: (1.05, 1.05, 1.05, 1.05, 1.0, 0.95, 0.85),
    _RO: (0.95, 0.95, 0.95, 1.0, 1.1, 1.15, 1.0),
    _TP: (0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 0.95),
    _OC: (1.1, 1.1, 1.1, 1.1, 1.0, 0.85, 0.75),
}

_RANGE_SHARE: dict[str, float] = {
    _BU: 0.60, _VE: 0.75, _CD: 0.30, _OT: 0.30, _BI: 0.40, _OC: 0.10, _TP: 0.05,
    _V: 0.03, _PO: 0.02, _RO: 0.02, _SH: 0.02, _DR: 0.0, _W: 0.0,
}  # fmt: skip
#: The kinds of range and their windows (see the module docstring).
RANGE_KINDS: tuple[str, ...] = ("overnight", "working-day", "short", "away")
_RANGE_KIND_MIX: dict[str, dict[str, float]] = {
    _BU: {"overnight": 0.45, "working-day": 0.35, "away": 0.20},
    _VE: {"overnight": 0.80, "working-day": 0.15, "away": 0.05},
    _CD: {"overnight": 0.70, "working-day": 0.20, "away": 0.10},
    _OT: {"overnight": 0.30, "working-day": 0.30, "short": 0.25, "away": 0.15},
    _BI: {"overnight": 0.40, "working-day": 0.45, "short": 0.10, "away": 0.05},
    _OC: {"working-day": 0.5, "short": 0.3, "away": 0.2},
    _TP: {"short": 1.0},
    _V: {"short": 0.7, "working-day": 0.3},
    _PO: {"short": 1.0},
    _RO: {"short": 1.0},
    _SH: {"short": 1.0},
    _DR: {"short": 1.0},
    _W: {"short": 1.0},
}

_DELAY_H: dict[str, float] = {
    _V: 2.0, _PO: 3.0, _SH: 6.0, _DR: 0.5, _W: 0.5, _BU: 2.0, _VE: 3.0, _CD: 6.0,
    _OT: 12.0, _BI: 12.0, _RO: 1.0, _TP: 6.0, _OC: 24.0,
}  # fmt: skip

_LATE: dict[str, float] = {
    _V: 0.02, _PO: 0.03, _SH: 0.10, _DR: 0.02, _W: 0.02, _BU: 0.12, _VE: 0.08, _CD: 0.07,
    _OT: 0.10, _BI: 0.10, _RO: 0.02, _TP: 0.06, _OC: 0.20,
}  # fmt: skip

_RECLASS: dict[str, float] = {t: 0.02 for t in POLICE_UK_CRIME_TYPES} | {_DR: 0.01}
#: "ORIGINAL>CURRENT" HO class pairs of reclassifications across police.uk types.
_RECLASS_PAIRS: dict[str, dict[str, float]] = {
    _V: {"105A>9A": 0.45, "8L>9A": 0.2, "8R>9A": 0.15, "105B>9B": 0.05, "105A>58D": 0.15},
    _PO: {"9A>105A": 0.5, "9A>8L": 0.3, "9B>105B": 0.1, "62A>8N": 0.1},
    _OT: {"49>28E": 0.2, "49>30C": 0.25, "40>28E": 0.15, "49>46": 0.2, "49>39": 0.2},
    _CD: {"58A>28F": 0.4, "58B>30D": 0.2, "58C>126": 0.4},
    _VE: {"45>49": 0.35, "126>58C": 0.45, "48>49": 0.2},
    _BU: {"28F>58A": 0.3, "30D>58B": 0.2, "28E>40": 0.3, "30C>49": 0.2},
    _TP: {"39>34B": 0.7, "39>49": 0.3},
    _RO: {"34B>39": 0.6, "34B>105A": 0.25, "34A>46": 0.15},
    _SH: {"46>34A": 0.5, "46>49": 0.5},
    _BI: {"44>49": 0.6, "44>28E": 0.4},
    _DR: {"92D>10D": 0.5, "92E>10D": 0.5},
    _W: {"10C>9A": 0.5, "10D>105A": 0.5},
    _OC: {"33>28F": 0.4, "54>49": 0.6},
}
#: "ORIGINAL>CURRENT" pairs of reclassifications within a type.
_WITHIN_PAIRS: dict[str, float] = {
    "105A>8N": 1.0, "8N>5D": 1.0, "8L>8Q": 1.0, "8R>8L": 1.0, "8L>8S": 0.5, "20A>19C": 0.3,
    "34B>34A": 1.0, "28F>28E": 1.0, "30D>30C": 1.0, "28E>29": 0.2, "45>126": 1.0,
    "126>45": 1.0, "48>37.2": 0.3, "49>40": 1.0, "58D>58A": 1.0, "58D>58C": 1.0,
    "56B>56A": 0.3, "92D>92E": 1.0, "92E>92A": 1.0, "92D>92A": 0.5, "10C>10D": 1.0,
    "9A>62A": 0.2, "99>54": 1.0,
}  # fmt: skip

_FLAG_TYPE: dict[str, dict[str, float]] = {
    "DRUG": {_W: 0.10, _V: 0.02, _RO: 0.05, _OC: 0.03},
    "CL": {_W: 0.04, _V: 0.005, _RO: 0.02},
    "DA": {_V: 0.33, _CD: 0.12, _PO: 0.05},
    "HATE": {_V: 0.025, _PO: 0.06},
    "KNIFE": {_RO: 0.08},
    "ALC": {_V: 0.15, _PO: 0.20, _CD: 0.08},
    "CSE": {_V: 0.001},
}
_FLAG_CLASS: dict[str, dict[str, float]] = {
    "CL": {"92A": 0.30},
    "DA": {"8S": 1.0, "104": 0.0},
    "HATE": {"8P": 1.0, "105B": 1.0, "9B": 1.0},
    "KNIFE": {"10D": 1.0, "90": 1.0, "10C": 0.15, "1": 0.3, "2": 0.3, "5D": 0.15, "5E": 0.1,
              "8N": 0.02, "105A": 0.01},
    "CSE": {"17B": 0.15, "19D": 0.15, "19E": 0.15, "20B": 0.15, "21": 0.15, "22B": 0.15,
            "88A": 0.15, "106": 0.2},
}  # fmt: skip


def _frozen(value: Any) -> Any:
    """Dicts become read-only mappings, lists tuples, all the way down."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: _frozen(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _default(table: Any) -> Any:
    return field(default_factory=lambda: _frozen(table))


@dataclass(frozen=True)
class RmsParams:
    """The synthetic export's settings (see the module docstring for each behaviour).

    Every default is a plausible illustration, not a figure fitted to any force. Tables
    are keyed by police.uk crime type (``POLICE_UK_CRIME_TYPES``); passing a dict is fine
    (it is frozen). The constructor checks every value and raises
    :class:`~harmwatch.errors.InputError` naming the field.
    """

    #: The seed of the one ``numpy.random.default_rng`` everything is drawn from.
    seed: int = 0
    #: Repeat the whole export this many times (every row drawn afresh, references
    #: continuing), e.g. so that a benchmark reaches a million rows.
    copies: int = 1
    #: police.uk's "Falls within" → the made-up two-digit reference prefix.
    force_prefixes: Mapping[str, int] = _default(
        {
            "Bedfordshire Police": 71,
            "Cambridgeshire Constabulary": 72,
            "Hertfordshire Constabulary": 73,
        }
    )
    #: The prefix of a force not in ``force_prefixes``.
    other_force_prefix: int = 70
    #: Within-type class proportions (HO class → weight; normalised per type).
    class_mix: Mapping[str, Mapping[str, float]] = _default(_CLASS_MIX)
    #: Relative frequency of exact committed times by local hour 00..23, per type.
    hour_profile: Mapping[str, Sequence[float]] = _default(_HOURS)
    #: Relative frequency by day of week, Monday first, per type.
    day_profile: Mapping[str, Sequence[float]] = _default(_DAYS)
    #: Factor on Friday and Saturday 22:00–24:00 and Saturday and Sunday 00:00–03:00.
    night_economy_boost: Mapping[str, float] = _default(
        {_V: 2.0, _PO: 1.8, _TP: 1.5, _RO: 1.3, _CD: 1.4}
    )
    #: Factor on 16:00–20:00 in ``dark_months`` (dusk falls before people get home).
    dark_evening_boost: Mapping[str, float] = _default({_BU: 1.8, _VE: 1.3})
    #: The months (1–12) of ``dark_evening_boost``.
    dark_months: Sequence[int] = (1, 2, 11, 12)
    #: Factor on Sunday hours outside 10:00–17:00 (Sunday trading hours).
    sunday_closed_factor: Mapping[str, float] = _default({_SH: 0.3})
    #: Share of exact committed times floored to the quarter hour.
    exact_time_rounded_share: float = 0.3
    #: Share of records whose committed time is a range, per type.
    range_share: Mapping[str, float] = _default(_RANGE_SHARE)
    #: The kinds of those ranges (overnight, working-day, short, away), per type.
    range_kinds: Mapping[str, Mapping[str, float]] = _default(_RANGE_KIND_MIX)
    #: Median hours from the end of the committed time to recording, per type.
    recording_delay_median_hours: Mapping[str, float] = _default(_DELAY_H)
    #: Sigma of the log-normal recording delay.
    recording_delay_sigma: float = 1.0
    #: Mean days into the recording month at which a late-reported crime is recorded
    #: (an exponential truncated at the month's end).
    late_recording_mean_days: float = 6.0
    #: Planted 1: share committed in the month before the recording month, per type.
    late_share: Mapping[str, float] = _default(_LATE)
    #: Planted 2: share now classified under another police.uk type, per original type.
    reclassified_share: Mapping[str, float] = _default(_RECLASS)
    #: ... and how (``"ORIGINAL>CURRENT"`` HO class pairs, weights), per original type.
    reclassified_pairs: Mapping[str, Mapping[str, float]] = _default(_RECLASS_PAIRS)
    #: Share of the records whose class starts a ``within_type_pairs`` pair moved along
    #: one (another class of the same type: changes no police.uk count).
    within_type_reclassified_share: float = 0.02
    #: ``"ORIGINAL>CURRENT"`` pairs within a type (weights among the same original).
    within_type_pairs: Mapping[str, float] = _default(_WITHIN_PAIRS)
    #: Planted 3: share cancelled after police.uk's snapshot (never also reclassified).
    cancelled_share: float = 0.01
    #: Planted 4: extra non-notifiable records, as a share of each month's rows.
    non_notifiable_share: float = 0.01
    #: Their offence texts (weights).
    non_notifiable_offences: Mapping[str, float] = _default(
        {
            "Drug driving (non-notifiable)": 0.55,
            "Failing to provide a specimen for analysis (non-notifiable)": 0.15,
            "Drunk and disorderly (non-notifiable)": 0.2,
            "Being drunk in charge of a motor vehicle (non-notifiable)": 0.1,
        }
    )
    #: Per flag code (DRUG, CL, DA, HATE for any strand, KNIFE, ALC, CSE): share by type.
    flag_type_shares: Mapping[str, Mapping[str, float]] = _default(_FLAG_TYPE)
    #: Per flag code: share by HO class, overriding the type's share for that class.
    flag_class_shares: Mapping[str, Mapping[str, float]] = _default(_FLAG_CLASS)
    #: Hate strand proportions (approximate, after the Home Office bulletins).
    hate_strand_shares: Mapping[str, float] = _default(
        {"HC-RACE": 0.70, "HC-SO": 0.13, "HC-REL": 0.07, "HC-DIS": 0.07, "HC-TG": 0.03}
    )
    #: Share of racially or religiously aggravated offences whose strand is religion.
    aggravated_religion_share: float = 0.15
    #: Share of county-lines records also flagged child exploitation (children as runners).
    county_lines_child_exploitation_share: float = 0.10
    #: Factors on the ALC share for committed times 20:00–04:00 and at other times.
    alcohol_night_factor: float = 1.8
    alcohol_day_factor: float = 0.6
    #: Isotropic normal scatter around police.uk's snap point: sd per axis, and the
    #: distance beyond which a point is drawn again (metres).
    scatter_sd_m: float = 60.0
    scatter_max_m: float = 150.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping | list | tuple):
                object.__setattr__(self, f.name, _frozen(value))
        self._check()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True))

    def _check(self) -> None:
        def need(ok: bool, name: str, reason: str) -> None:
            if not ok:
                raise InputError(f"force-records parameter {name}: {reason}")

        def share(name: str, value: Any) -> None:
            ok = isinstance(value, int | float) and 0.0 <= float(value) <= 1.0
            need(ok, name, f"must be between 0 and 1, got {value!r}")

        def types(name: str, table: Mapping[str, Any], every: bool) -> None:
            unknown = sorted(set(table) - set(POLICE_UK_CRIME_TYPES))
            need(not unknown, name, f"unknown police.uk type(s) {unknown}")
            missing = [t for t in POLICE_UK_CRIME_TYPES if t not in table]
            need(not (every and missing), name, f"needs every police.uk type; missing {missing}")

        def weights(name: str, values: Any, length: int | None = None) -> None:
            vals = list(values.values()) if isinstance(values, Mapping) else list(values)
            ok = all(isinstance(v, int | float) and v >= 0 for v in vals) and sum(vals) > 0
            need(ok, name, "weights must be non-negative numbers, not all zero")
            if length is not None:
                need(len(vals) == length, name, f"needs {length} values, got {len(vals)}")

        need(isinstance(self.seed, int) and self.seed >= 0, "seed", "must be an integer >= 0")
        need(isinstance(self.copies, int) and self.copies >= 1, "copies", "must be at least 1")
        for force, prefix in {**self.force_prefixes, "other": self.other_force_prefix}.items():
            need(
                isinstance(prefix, int) and 1 <= prefix <= 99,
                "force_prefixes",
                f"{force}: a prefix is 1..99, got {prefix!r}",
            )
        classes = offence_classes()
        types("class_mix", self.class_mix, True)
        for kind, mix in self.class_mix.items():
            weights(f"class_mix[{kind}]", mix)
            for code in mix:
                c = classes.get(code)
                need(
                    c is not None and c.police_uk_type == kind,
                    "class_mix",
                    f"{kind}: {code!r} is not an HO class of that type",
                )
        for name, length in (("hour_profile", 24), ("day_profile", 7)):
            table = getattr(self, name)
            types(name, table, True)
            for kind, values in table.items():
                weights(f"{name}[{kind}]", values, length)
        for name in ("night_economy_boost", "dark_evening_boost", "sunday_closed_factor"):
            table = getattr(self, name)
            types(name, table, False)
            for kind, value in table.items():
                need(value >= 0, f"{name}[{kind}]", "must not be negative")
        need(all(1 <= m <= 12 for m in self.dark_months), "dark_months", "months are 1..12")
        types("range_share", self.range_share, True)
        types("range_kinds", self.range_kinds, True)
        for kind in POLICE_UK_CRIME_TYPES:
            share(f"range_share[{kind}]", self.range_share[kind])
            mix = self.range_kinds[kind]
            bad = sorted(set(mix) - set(RANGE_KINDS))
            need(not bad, f"range_kinds[{kind}]", f"unknown kind(s) {bad}; kinds: {RANGE_KINDS}")
            weights(f"range_kinds[{kind}]", mix)
        types("recording_delay_median_hours", self.recording_delay_median_hours, True)
        for kind, hours in self.recording_delay_median_hours.items():
            need(hours > 0, f"recording_delay_median_hours[{kind}]", "must be positive")
        need(self.recording_delay_sigma >= 0, "recording_delay_sigma", "must not be negative")
        need(self.late_recording_mean_days > 0, "late_recording_mean_days", "must be positive")
        for name in ("late_share", "reclassified_share"):
            table = getattr(self, name)
            types(name, table, True)
            for kind, value in table.items():
                share(f"{name}[{kind}]", value)

        def pair(name: str, text: str) -> tuple[str, str]:
            a, sep, b = text.partition(">")
            ok = bool(sep) and a in classes and b in classes and b != NON_NOTIFIABLE
            need(ok, name, f"{text!r} is not a pair of HO classes ORIGINAL>CURRENT")
            return a, b

        types("reclassified_pairs", self.reclassified_pairs, False)
        for kind, pairs in self.reclassified_pairs.items():
            weights(f"reclassified_pairs[{kind}]", pairs)
            for text in pairs:
                a, b = pair(f"reclassified_pairs[{kind}]", text)
                need(
                    classes[a].police_uk_type == kind and classes[b].police_uk_type != kind,
                    f"reclassified_pairs[{kind}]",
                    f"{text!r}: the original must be of {kind}, the current of another type",
                )
        for kind in POLICE_UK_CRIME_TYPES:
            need(
                self.reclassified_share[kind] == 0 or kind in self.reclassified_pairs,
                "reclassified_pairs",
                f"{kind} has a reclassified_share but no pairs",
            )
        for text in self.within_type_pairs:
            a, b = pair("within_type_pairs", text)
            need(
                a != b and classes[a].police_uk_type == classes[b].police_uk_type,
                "within_type_pairs",
                f"{text!r}: two different classes of the same type",
            )
        if self.within_type_pairs:
            weights("within_type_pairs", self.within_type_pairs)
        for name in (
            "within_type_reclassified_share",
            "cancelled_share",
            "non_notifiable_share",
            "exact_time_rounded_share",
            "aggravated_religion_share",
            "county_lines_child_exploitation_share",
        ):
            share(name, getattr(self, name))
        need(
            max(self.reclassified_share.values()) + self.cancelled_share <= 1,
            "cancelled_share",
            "cancelled_share + reclassified_share must be at most 1 (never both)",
        )
        weights("non_notifiable_offences", self.non_notifiable_offences)
        flag_keys = {"DRUG", "CL", "DA", "HATE", "KNIFE", "ALC", "CSE"}
        for name in ("flag_type_shares", "flag_class_shares"):
            table = getattr(self, name)
            bad = sorted(set(table) - flag_keys)
            need(not bad, name, f"unknown flag code(s) {bad}; codes: {sorted(flag_keys)}")
        for flag, by_type in self.flag_type_shares.items():
            types(f"flag_type_shares[{flag}]", by_type, False)
            for kind, value in by_type.items():
                share(f"flag_type_shares[{flag}][{kind}]", value)
        for flag, by_class in self.flag_class_shares.items():
            for code, value in by_class.items():
                need(code in classes, f"flag_class_shares[{flag}]", f"no HO class {code!r}")
                share(f"flag_class_shares[{flag}][{code}]", value)
        strands = self.hate_strand_shares
        bad = sorted(set(strands) - set(HATE_CODES))
        need(not bad, "hate_strand_shares", f"unknown strand(s) {bad}; strands: {HATE_CODES}")
        weights("hate_strand_shares", strands)
        need(self.alcohol_night_factor >= 0, "alcohol_night_factor", "must not be negative")
        need(self.alcohol_day_factor >= 0, "alcohol_day_factor", "must not be negative")
        need(self.scatter_sd_m >= 0, "scatter_sd_m", "must not be negative")
        need(
            self.scatter_max_m >= max(1.0, self.scatter_sd_m * 0.5),
            "scatter_max_m",
            "must be at least 1 m and half of scatter_sd_m",
        )

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class PlantedCounts:
    """The planted differences for one (police.uk type, recording month).

    All count rows of the export whose *original* classification is of the type and
    that were recorded in the month. ``published``: police.uk's rows × ``copies``
    (the export's rows that stand for them). ``committed_earlier``: of those, committed
    in the month before (difference 1). ``reclassified_out``: now of another type
    (difference 2), by the new type in ``reclassified_to``. ``cancelled``: difference 3.
    ``reclassified_within``: moved to another class of the same type (no count change).
    """

    published: int
    committed_earlier: int
    reclassified_out: int
    reclassified_to: Mapping[str, int]
    cancelled: int
    reclassified_within: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "committed_earlier": self.committed_earlier,
            "reclassified_out": self.reclassified_out,
            "reclassified_to": dict(self.reclassified_to),
            "cancelled": self.cancelled,
            "reclassified_within": self.reclassified_within,
        }


@dataclass(frozen=True)
class Planted:
    """The truth of the planted differences, counted from the generated rows.

    ``counts[(police_uk_type, "YYYY-MM")]`` for every type and every month of the
    police.uk input (zeros included); ``non_notifiable["YYYY-MM"]``: the extra ``NN``
    records recorded in that month (difference 4).
    """

    seed: int
    copies: int
    params: Mapping[str, Any]
    counts: Mapping[tuple[str, str], PlantedCounts]
    non_notifiable: Mapping[str, int]

    @property
    def months(self) -> list[str]:
        return sorted(self.non_notifiable)

    def to_dict(self) -> dict[str, Any]:
        months: dict[str, Any] = {}
        for month in self.months:
            months[month] = {
                "non_notifiable": self.non_notifiable[month],
                "types": {
                    kind: self.counts[(kind, month)].to_dict() for kind in POLICE_UK_CRIME_TYPES
                },
            }
        return {
            "synthetic": True,
            "generator": GENERATOR_VERSION,
            "seed": self.seed,
            "copies": self.copies,
            "months": months,
            "params": _plain(self.params),
        }


@dataclass
class SyntheticRms:
    """A generated export in memory.

    ``rows``: the export's columns (:data:`COLUMNS`), every value the text written,
    in reference order. ``source_row[i]``: the position in the street frame of the
    police.uk row that row i stands for, -1 for a planted non-notifiable record;
    ``location_row[i]``: the street row whose snap point row i's place was scattered
    from (its donor Drugs row for a non-notifiable record).
    """

    rows: pd.DataFrame
    planted: Planted
    params: RmsParams
    source_files: list[str]
    source_row: npt.NDArray[np.int64] = field(repr=False)
    location_row: npt.NDArray[np.int64] = field(repr=False)


@dataclass(frozen=True)
class ExportFiles:
    """The paths :func:`write_export` wrote."""

    csv: Path
    spec: Path
    planted: Path
    readme: Path
    xlsx: Path | None = None


# -- reading police.uk -------------------------------------------------------------------


def sample_root() -> Path:
    """The bundled police.uk street files (``sample_data/police-uk``)."""
    return Path(str(resources.files("harmwatch").joinpath("sample_data", "police-uk")))


def read_street_files(
    force: str, months: Sequence[str] | None = None, root: Path | None = None
) -> pd.DataFrame:
    """police.uk street rows of one force, as text (blank where police.uk is blank).

    ``root`` holds ``YYYY-MM/YYYY-MM-<force>-street.csv[.gz]`` (default: the bundled
    sample); ``months`` (``"2025-01"`` …) defaults to every month there. The file names
    read are in ``frame.attrs["source_files"]`` (relative to ``root``).
    """
    base = Path(root) if root is not None else sample_root()
    slug = force.strip().lower().replace(" ", "-")
    if months is None:
        found = sorted(
            {
                p.name[:7]
                for p in base.glob(f"*/*-{slug}-street.csv*")
                if p.name[:7] == p.parent.name
            }
        )
        if not found:
            raise InputError(f"{base}: no police.uk street files for force {force!r}")
        months = found
    frames, names = [], []
    for month in months:
        path = next(
            (
                p
                for p in (
                    base / month / f"{month}-{slug}-street.csv.gz",
                    base / month / f"{month}-{slug}-street.csv",
                )
                if p.is_file()
            ),
            None,
        )
        if path is None:
            raise InputError(f"{base}: no police.uk street file for {force!r} in {month!r}")
        frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        names.append(str(path.relative_to(base)))
    street = pd.concat(frames, ignore_index=True)
    street.attrs["source_files"] = names
    return street


# -- generating ----------------------------------------------------------------------------

_NEEDED = (
    "Month",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "Crime type",
    "Last outcome category",
)
_TYPE_INDEX = {t: i for i, t in enumerate(POLICE_UK_CRIME_TYPES)}
_DR_I = _TYPE_INDEX[_DR]
MINUTE_DAY = 1440


def _text(col: pd.Series) -> npt.NDArray[np.object_]:
    return col.fillna("").astype(str).str.strip().to_numpy(dtype=object)


@dataclass
class _Base:
    """The police.uk rows (ASB dropped) as arrays."""

    position: npt.NDArray[np.int64]  # row position in the street frame
    kind: npt.NDArray[np.int64]  # police.uk type index
    month: npt.NDArray[np.int64]  # months since 1970-01 (datetime64[M] as int)
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    prefix: npt.NDArray[np.int64]
    location: npt.NDArray[np.object_]
    lsoa: npt.NDArray[np.object_]
    outcome: npt.NDArray[np.object_]


def _prepare(street: pd.DataFrame, params: RmsParams) -> _Base:
    missing = [c for c in _NEEDED if c not in street.columns]
    if missing:
        raise InputError(f"police.uk street rows: missing column(s) {', '.join(missing)}")
    kinds = _text(street["Crime type"])
    keep = kinds != ASB
    unknown = sorted(set(kinds[keep]) - set(POLICE_UK_CRIME_TYPES))
    if unknown:
        raise InputError(f"police.uk street rows: unknown crime type(s) {', '.join(unknown)}")
    sub = street.loc[keep]
    months_text = _text(sub["Month"])
    parsed = pd.to_datetime(pd.Series(months_text), format="%Y-%m", errors="coerce")
    if parsed.isna().any():
        bad = months_text[parsed.isna().to_numpy()][0]
        raise InputError(f"police.uk street rows: Month {bad!r} is not YYYY-MM")
    month = parsed.to_numpy().astype("datetime64[M]").astype(np.int64)
    lon = np.array(pd.to_numeric(sub["Longitude"].replace("", np.nan), errors="coerce"), float)
    lat = np.array(pd.to_numeric(sub["Latitude"].replace("", np.nan), errors="coerce"), float)
    absent = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[absent] = np.nan
    lat[absent] = np.nan
    x, y = to_bng(lon, lat)
    # pyproj answers inf, not NaN, for a NaN input: no location is NaN here.
    x[absent] = np.nan
    y[absent] = np.nan
    forces = _text(sub["Falls within"])
    prefix_of = {f: params.force_prefixes.get(f, params.other_force_prefix) for f in set(forces)}
    prefix = np.array([prefix_of[f] for f in forces], dtype=np.int64)
    return _Base(
        position=np.flatnonzero(keep).astype(np.int64),
        kind=np.array([_TYPE_INDEX[k] for k in kinds[keep]], dtype=np.int64),
        month=month,
        x=x,
        y=y,
        prefix=prefix,
        location=_text(sub["Location"]),
        lsoa=_text(sub["LSOA code"]),
        outcome=_text(sub["Last outcome category"]),
    )


class _Classes:
    """The offence class table as arrays, and the per-type class mixes."""

    def __init__(self, params: RmsParams) -> None:
        table = offence_classes()
        self.codes = np.array(list(table), dtype=object)
        self.descriptions = np.array([c.description for c in table.values()], dtype=object)
        self.kind = np.array(
            [_TYPE_INDEX.get(c.police_uk_type or "", -1) for c in table.values()], dtype=np.int64
        )
        self.index = {code: i for i, code in enumerate(table)}
        self.nn = self.index[NON_NOTIFIABLE]
        self.mix: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]] = []
        for kind in POLICE_UK_CRIME_TYPES:
            mix = params.class_mix[kind]
            codes = np.array([self.index[c] for c in mix], dtype=np.int64)
            w = np.array([float(v) for v in mix.values()])
            self.mix.append((codes, w / w.sum()))

    def draw(self, rng: np.random.Generator, kinds: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = np.empty(len(kinds), dtype=np.int64)
        for k in np.unique(kinds):
            at = np.flatnonzero(kinds == k)
            codes, p = self.mix[k]
            out[at] = codes[rng.choice(len(codes), size=len(at), p=p)]
        return out


def _month_bounds(month: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...]:
    """(first minute, first minute of the next month) of each month index."""
    m = month.astype("datetime64[M]")
    start = m.astype("datetime64[m]").astype(np.int64)
    end = (m + 1).astype("datetime64[m]").astype(np.int64)
    return start, end


def _weekly(params: RmsParams, kind: str) -> npt.NDArray[np.float64]:
    """168 weights (Monday 00:00 first) for exact committed times of one type."""
    hours = np.array(params.hour_profile[kind], dtype=float)
    days = np.array(params.day_profile[kind], dtype=float)
    w = np.outer(days, hours)
    boost = params.night_economy_boost.get(kind, 1.0)
    w[4, 22:] *= boost  # Friday night
    w[5, 22:] *= boost  # Saturday night
    w[5, :3] *= boost  # Friday night after midnight
    w[6, :3] *= boost  # Saturday night after midnight
    closed = params.sunday_closed_factor.get(kind, 1.0)
    w[6, :10] *= closed
    w[6, 17:] *= closed
    return w.reshape(-1)


def _draw_exact(
    rng: np.random.Generator,
    month: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    params: RmsParams,
) -> npt.NDArray[np.int64]:
    """Exact committed wall-clock minutes in each row's month, by each type's profile."""
    out = np.empty(len(month), dtype=np.int64)
    key = month * 64 + kind
    dark = set(params.dark_months)
    for k in np.unique(key):
        at = np.flatnonzero(key == k)
        m, t = int(k // 64), int(k % 64)
        name = POLICE_UK_CRIME_TYPES[t]
        start, end = (int(v[0]) for v in _month_bounds(np.array([m])))
        hours = np.arange(start // 60, end // 60, dtype=np.int64)
        hod = hours % 24
        dow = (hours // 24 + 3) % 7
        w = _weekly(params, name)[dow * 24 + hod]
        if (m % 12) + 1 in dark:
            w = np.where((hod >= 16) & (hod < 20), w * params.dark_evening_boost.get(name, 1.0), w)
        slot = rng.choice(len(hours), size=len(at), p=w / w.sum())
        out[at] = hours[slot] * 60 + rng.integers(0, 60, size=len(at))
    rounded = rng.random(len(out)) < params.exact_time_rounded_share
    out[rounded] -= out[rounded] % 15
    return out


def _draw_ranges(
    rng: np.random.Generator, month: npt.NDArray[np.int64], kind_of_range: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(from, to) wall-clock minutes of ranges starting in each row's month."""
    n = len(month)
    start, end = _month_bounds(month)
    ndays = (end - start) // MINUTE_DAY
    day = start + (rng.random(n) * ndays).astype(np.int64) * MINUTE_DAY
    # Working-day ranges start on a weekday: draw weekend days again.
    for _ in range(64):
        weekend = (kind_of_range == 1) & (((day // MINUTE_DAY) + 3) % 7 >= 5)
        if not weekend.any():
            break
        k = int(weekend.sum())
        day[weekend] = start[weekend] + (rng.random(k) * ndays[weekend]).astype(np.int64) * 1440
    quarter = rng.integers(0, 4, size=(4, n)) * 15
    frm = np.empty(n, dtype=np.int64)
    to = np.empty(n, dtype=np.int64)
    # overnight: 17:00–23:30 (on the hour or half hour) to 06:00–09:45 the next day
    s = day + rng.integers(34, 48, size=n) * 30
    e = day + MINUTE_DAY + rng.integers(6, 10, size=n) * 60 + quarter[0]
    sel = kind_of_range == 0
    frm[sel], to[sel] = s[sel], e[sel]
    # working day: 07:00–09:30 to 16:00–19:00
    s = day + rng.integers(14, 20, size=n) * 30
    e = day + rng.integers(32, 39, size=n) * 30
    sel = kind_of_range == 1
    frm[sel], to[sel] = s[sel], e[sel]
    # short: from 08:00–20:45, one to four hours
    s = day + rng.integers(8, 21, size=n) * 60 + quarter[1]
    e = s + rng.integers(4, 17, size=n) * 15
    sel = kind_of_range == 2
    frm[sel], to[sel] = s[sel], e[sel]
    # away: from 08:00–20:45, one to ten days later, 08:00–20:45
    s = day + rng.integers(8, 21, size=n) * 60 + quarter[2]
    e = day + rng.integers(1, 11, size=n) * MINUTE_DAY + rng.integers(8, 21, size=n) * 60
    e += quarter[3]
    sel = kind_of_range == 3
    frm[sel], to[sel] = s[sel], e[sel]
    return frm, to


def _draw_committed(
    rng: np.random.Generator,
    month: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    params: RmsParams,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(from, to) committed wall-clock minutes; to is -1 for an exact time."""
    n = len(month)
    share = np.array([params.range_share[t] for t in POLICE_UK_CRIME_TYPES])[kind]
    ranged = rng.random(n) < share
    frm = np.empty(n, dtype=np.int64)
    to = np.full(n, -1, dtype=np.int64)
    exact = ~ranged
    frm[exact] = _draw_exact(rng, month[exact], kind[exact], params)
    if ranged.any():
        rk = np.empty(int(ranged.sum()), dtype=np.int64)
        rkind = kind[ranged]
        for t in np.unique(rkind):
            at = np.flatnonzero(rkind == t)
            mix = params.range_kinds[POLICE_UK_CRIME_TYPES[t]]
            idx = np.array([RANGE_KINDS.index(k) for k in mix])
            w = np.array([float(v) for v in mix.values()])
            rk[at] = idx[rng.choice(len(idx), size=len(at), p=w / w.sum())]
        frm[ranged], to[ranged] = _draw_ranges(rng, month[ranged], rk)
    return frm, to


def _delay(
    rng: np.random.Generator, kind: npt.NDArray[np.int64], params: RmsParams
) -> npt.NDArray[np.int64]:
    median = np.array([params.recording_delay_median_hours[t] for t in POLICE_UK_CRIME_TYPES])
    hours = median[kind] * np.exp(params.recording_delay_sigma * rng.standard_normal(len(kind)))
    return np.maximum(1, np.rint(hours * 60)).astype(np.int64)


def _draw_times(
    rng: np.random.Generator,
    rec_month: npt.NDArray[np.int64],
    kind: npt.NDArray[np.int64],
    late: npt.NDArray[np.bool_],
    params: RmsParams,
) -> tuple[npt.NDArray[np.int64], ...]:
    """(committed from, committed to or -1, recorded) wall-clock minutes."""
    n = len(kind)
    frm = np.empty(n, dtype=np.int64)
    to = np.full(n, -1, dtype=np.int64)
    rec = np.empty(n, dtype=np.int64)
    m_start, m_end = _month_bounds(rec_month)
    # Recorded in the month committed: draw again while the recording falls after it.
    todo = np.flatnonzero(~late)
    for _ in range(40):
        if not len(todo):
            break
        f, t = _draw_committed(rng, rec_month[todo], kind[todo], params)
        r = np.where(t >= 0, t, f) + _delay(rng, kind[todo], params)
        ok = r < m_end[todo]
        frm[todo[ok]], to[todo[ok]], rec[todo[ok]] = f[ok], t[ok], r[ok]
        todo = todo[~ok]
    if len(todo):  # practically never: an exact time early in the month, recorded soon after
        span = (m_end[todo] - m_start[todo]) // 2
        frm[todo] = m_start[todo] + (rng.random(len(todo)) * span).astype(np.int64)
        rec[todo] = frm[todo] + rng.integers(1, 60, size=len(todo))
    # Late: committed in the month before, recorded days into the recording month.
    at = np.flatnonzero(late)
    if len(at):
        f, t = _draw_committed(rng, rec_month[at] - 1, kind[at], params)
        length = (m_end[at] - m_start[at]).astype(float)
        mean = params.late_recording_mean_days * MINUTE_DAY
        u = rng.random(len(at))
        offset = -mean * np.log1p(-u * (1 - np.exp(-length / mean)))
        r = m_start[at] + np.minimum(offset.astype(np.int64), length.astype(np.int64) - 1)
        r = np.maximum(r, np.where(t >= 0, t, f) + _delay(rng, kind[at], params))
        r = np.minimum(r, m_end[at] - 1)
        t = np.where((t >= 0) & (t > r), r, t)
        frm[at], to[at], rec[at] = f, t, r
    return frm, to, rec


def _spring_gaps(years: range, zone: str = ZONE) -> list[tuple[int, int]]:
    """The wall-clock minutes [start, end) the clocks skip in ``years``."""
    tz = ZoneInfo(zone)
    gaps = []
    for year in years:
        t = datetime(year, 1, 1, tzinfo=UTC)
        stop = datetime(year + 1, 1, 1, tzinfo=UTC)
        before = t.astimezone(tz).utcoffset()
        while t < stop:
            t += timedelta(hours=1)
            after = t.astimezone(tz).utcoffset()
            if before is not None and after is not None and after > before:
                local = int((t.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds() // 60)
                gaps.append((local + int(before.total_seconds() // 60),
                             local + int(after.total_seconds() // 60)))  # fmt: skip
            before = after
    return gaps


def _shift_gaps(times: npt.NDArray[np.int64], gaps: list[tuple[int, int]]) -> None:
    for start, end in gaps:
        inside = (times >= start) & (times < end)
        times[inside] += end - start


def _years(*arrays: npt.NDArray[np.int64]) -> range:
    valid = np.concatenate([a[a >= 0] for a in arrays])
    years = (valid // MINUTE_DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(int)
    return range(int(years.min()) + 1970, int(years.max()) + 1971)


def _pick(rng: np.random.Generator, n: int, weights: Mapping[str, float]) -> npt.NDArray[np.int64]:
    w = np.array([float(v) for v in weights.values()])
    return rng.choice(len(w), size=n, p=w / w.sum())


def _flags(
    rng: np.random.Generator,
    classes: _Classes,
    cls: npt.NDArray[np.int64],
    orig_kind: npt.NDArray[np.int64],
    committed: npt.NDArray[np.int64],
    forced: npt.NDArray[np.int64],
    params: RmsParams,
) -> npt.NDArray[np.int64]:
    """A bitmask of :data:`_FLAG_ORDER` per row."""
    n = len(cls)
    kind = classes.kind[cls]
    known = kind >= 0

    def share(flag: str) -> npt.NDArray[np.float64]:
        by_type = params.flag_type_shares.get(flag, {})
        p_type = np.array([by_type.get(t, 0.0) for t in POLICE_UK_CRIME_TYPES] + [0.0])
        p = p_type[np.where(known, kind, len(POLICE_UK_CRIME_TYPES))]
        by_class = params.flag_class_shares.get(flag, {})
        for code, value in by_class.items():
            p = np.where(cls == classes.index[code], value, p)
        return p

    def draw(p: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        return rng.random(n) < p

    mask = forced.copy()
    cl = draw(share("CL"))
    drug = draw(share("DRUG")) | cl | (kind == _DR_I) | (orig_kind == _DR_I)
    mask |= np.where(drug, _BIT["DRUG"], 0) | np.where(cl, _BIT["CL"], 0)
    mask |= np.where(draw(share("DA")), _BIT["DA"], 0)
    hate = draw(share("HATE"))
    strand_codes = np.array([_BIT[c] for c in params.hate_strand_shares], dtype=np.int64)
    strand = strand_codes[_pick(rng, n, params.hate_strand_shares)]
    aggravated = np.isin(cls, [classes.index[c] for c in ("8P", "105B", "9B")])
    religion = rng.random(n) < params.aggravated_religion_share
    strand = np.where(aggravated, np.where(religion, _BIT["HC-REL"], _BIT["HC-RACE"]), strand)
    mask |= np.where(hate, strand, 0)
    mask |= np.where(draw(share("KNIFE")), _BIT["KNIFE"], 0)
    hour = (committed // 60) % 24
    night = (hour >= 20) | (hour < 4)
    factor = np.where(night, params.alcohol_night_factor, params.alcohol_day_factor)
    mask |= np.where(draw(np.minimum(1.0, share("ALC") * factor)), _BIT["ALC"], 0)
    cse = draw(share("CSE")) | (cl & draw(np.full(n, params.county_lines_child_exploitation_share)))
    mask |= np.where(cse, _BIT["CSE"], 0)
    return mask


def _flag_text(mask: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    values, inverse = np.unique(mask, return_inverse=True)
    texts = np.array(
        [";".join(c for c in _FLAG_ORDER if int(v) & _BIT[c]) for v in values], dtype=object
    )
    return texts[inverse]


def _format_times(minutes: npt.NDArray[np.int64], *, clock: bool = True) -> npt.NDArray[np.object_]:
    """Wall-clock minutes as ``dd/mm/YYYY HH:MM``, blank where negative (no time).

    Without ``clock``: the date only, and every value written (dates of birth may be
    before 1970). Built from the parts with Arrow's string kernels: five times faster
    than strftime.
    """
    blank = minutes < 0 if clock else np.zeros(len(minutes), dtype=bool)
    t = np.where(blank, 0, minutes).astype("datetime64[m]")
    day = t.astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    text = pc.binary_join_element_wise(
        _padded((day - month).astype(np.int64) + 1, 2),
        _padded((month - year).astype(np.int64) + 1, 2),
        _padded(year.astype(np.int64) + 1970, 4),
        "/",
    )
    if clock:
        of_day = (t - day).astype(np.int64)
        hm = pc.binary_join_element_wise(_padded(of_day // 60, 2), _padded(of_day % 60, 2), ":")
        text = pc.binary_join_element_wise(text, hm, " ")
    out = _objects(text)
    out[blank] = ""
    return out


def _format_ints(values: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    out = np.full(len(values), "", dtype=object)
    ok = np.isfinite(values)
    out[ok] = values[ok].astype(np.int64).astype(str)
    return out


def _padded(values: npt.NDArray[np.int64], width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def _objects(text: pa.Array) -> npt.NDArray[np.object_]:
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def _numbered(label: str, n: int) -> npt.NDArray[np.object_]:
    """``label 000001``, ``label 000002`` … for rows 1..n."""
    numbers = _padded(np.arange(1, n + 1, dtype=np.int64), 6)
    return _objects(pc.binary_join_element_wise(pa.scalar(label), numbers, " "))


def generate(street: pd.DataFrame, params: RmsParams | None = None) -> SyntheticRms:
    """The SYNTHETIC export for police.uk street rows (see the module docstring).

    ``street`` has police.uk's street-file columns (as :func:`read_street_files` gives,
    text or parsed); its ``attrs["source_files"]``, when set, is kept as
    ``source_files``. Pure: the same rows and parameters give the same export.
    """
    params = params if params is not None else RmsParams()
    base = _prepare(street, params)
    if not len(base.kind):
        raise InputError("police.uk street rows: no crimes (only anti-social behaviour)")
    rng = np.random.default_rng(params.seed)
    classes = _Classes(params)
    n0, copies = len(base.kind), params.copies
    n = n0 * copies
    src = np.tile(np.arange(n0, dtype=np.int64), copies)
    orig_kind = base.kind[src]
    months = np.unique(base.month)

    # Classification; planted 2 (reclassified out of the type) and 3 (cancelled).
    orig_cls = classes.draw(rng, orig_kind)
    u = rng.random(n)
    reclass_p = np.array([params.reclassified_share[t] for t in POLICE_UK_CRIME_TYPES])[orig_kind]
    reclassified = u < reclass_p
    cancelled = (u >= reclass_p) & (u < reclass_p + params.cancelled_share)
    cur_cls = orig_cls.copy()
    for t in np.unique(orig_kind[reclassified]):
        at = np.flatnonzero(reclassified & (orig_kind == t))
        pairs = params.reclassified_pairs[POLICE_UK_CRIME_TYPES[t]]
        ends = np.array([[classes.index[c] for c in p.split(">")] for p in pairs])
        chosen = ends[_pick(rng, len(at), pairs)]
        orig_cls[at], cur_cls[at] = chosen[:, 0], chosen[:, 1]
    eligible = ~reclassified & (rng.random(n) < params.within_type_reclassified_share)
    by_start: dict[str, dict[str, float]] = {}
    for text, w in params.within_type_pairs.items():
        a, b = text.split(">")
        by_start.setdefault(a, {})[b] = w
    for a in sorted(by_start, key=classes.index.__getitem__):
        at = np.flatnonzero(eligible & (orig_cls == classes.index[a]))
        ends = np.array([classes.index[b] for b in by_start[a]])
        cur_cls[at] = ends[_pick(rng, len(at), by_start[a])]
    cur_kind = classes.kind[cur_cls]

    # Planted 4: non-notifiable extras, like the Drugs rows of their month.
    nn_loc: list[npt.NDArray[np.int64]] = []
    for _copy in range(copies):
        for m in months:
            in_month = np.flatnonzero(base.month == m)
            donors = in_month[base.kind[in_month] == _DR_I]
            donors = donors if len(donors) else in_month
            k = int(rng.binomial(len(in_month), params.non_notifiable_share))
            nn_loc.append(donors[rng.integers(0, len(donors), size=k)])
    nn_rows = np.concatenate(nn_loc) if nn_loc else np.empty(0, dtype=np.int64)
    n_nn = len(nn_rows)
    nn_offence = _pick(rng, n_nn, params.non_notifiable_offences)
    nn_texts = list(params.non_notifiable_offences)

    loc = np.concatenate([src, nn_rows])
    src_all = np.concatenate([src, np.full(n_nn, -1, dtype=np.int64)])
    time_kind = np.concatenate([cur_kind, np.full(n_nn, _DR_I, dtype=np.int64)])
    cls_all = np.concatenate([cur_cls, np.full(n_nn, classes.nn, dtype=np.int64)])
    orig_cls_all = np.concatenate([orig_cls, np.full(n_nn, classes.nn, dtype=np.int64)])
    orig_kind_all = np.concatenate([orig_kind, np.full(n_nn, -1, dtype=np.int64)])
    late_p = np.array([params.late_share[t] for t in POLICE_UK_CRIME_TYPES])[orig_kind]
    late = np.concatenate([rng.random(n) < late_p, np.zeros(n_nn, dtype=bool)])
    rec_month = base.month[loc]

    # Planted 1 (late reporting) and the times.
    frm, to, rec = _draw_times(rng, rec_month, time_kind, late, params)
    gaps = _spring_gaps(_years(frm, to, rec))
    for times in (frm, to, rec):
        _shift_gaps(times, gaps)
    to = np.where((to >= 0) & (to <= frm), frm + 15, to)
    rec = np.maximum(rec, np.maximum(frm, to))

    # Places: police.uk's snap point scattered.
    x0, y0 = base.x[loc], base.y[loc]
    has = np.isfinite(x0)
    ex = np.full(len(loc), np.nan)
    ny = np.full(len(loc), np.nan)
    todo = np.flatnonzero(has)
    for _ in range(100):
        if not len(todo):
            break
        dx, dy = rng.standard_normal((2, len(todo))) * params.scatter_sd_m
        px, py = np.rint(x0[todo] + dx), np.rint(y0[todo] + dy)
        ok = np.hypot(px - x0[todo], py - y0[todo]) <= params.scatter_max_m
        ex[todo[ok]], ny[todo[ok]] = px[ok], py[ok]
        todo = todo[~ok]
    ex[todo], ny[todo] = np.rint(x0[todo]), np.rint(y0[todo])

    # Flags.
    forced = np.zeros(len(loc), dtype=np.int64)
    nn_outcome = np.empty(n_nn, dtype=object)
    for i, text in enumerate(nn_texts):
        nn_flags, nn_text = NN_OFFENCE_DETAIL.get(text, ((), ""))
        sel = np.flatnonzero(nn_offence == i)
        forced[n + sel] = sum(_BIT[f] for f in nn_flags)
        nn_outcome[sel] = nn_text
    mask = _flags(rng, classes, cls_all, orig_kind_all, frm, forced, params)

    # Order by force prefix and recording time; number per prefix and year.
    prefix = base.prefix[loc]
    order = np.lexsort((np.arange(len(loc)), rec, prefix))
    year = (rec // MINUTE_DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    group = prefix[order] * 10_000 + year[order]
    first = np.r_[True, group[1:] != group[:-1]]
    starts = np.flatnonzero(first)
    number = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)])) + 1
    yy = (year[order] + 1970) % 100
    reference = _objects(
        pc.binary_join_element_wise(
            _padded(prefix[order], 2), _padded(number, 5), _padded(yy, 2), "/"
        )
    )

    def o(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return a[order]

    outcome = np.concatenate([base.outcome[src], nn_outcome])
    offence = classes.descriptions[cls_all].copy()
    offence[n:] = np.array(nn_texts, dtype=object)[nn_offence] if n_nn else offence[n:]
    status = np.where(np.concatenate([cancelled, np.zeros(n_nn, bool)]), "Cancelled", "Recorded")
    rows_n = len(loc)
    victim_kind = np.isin(time_kind, [_TYPE_INDEX[t] for t in VICTIMLESS_TYPES]) | (src_all < 0)
    dob_days = rng.integers(
        np.datetime64("1950-01-01").astype(np.int64),
        np.datetime64("2009-12-31").astype(np.int64),
        size=rows_n,
    )
    dob = _format_times(dob_days * MINUTE_DAY, clock=False)
    victim = _numbered("SYNTHETIC PERSON", rows_n)
    victim[o(victim_kind)] = ""
    suspect = o(dob)
    suspect[o(outcome) == NO_SUSPECT] = ""
    frame = pd.DataFrame(
        {
            "Crime Reference": reference,
            "HO Class": o(classes.codes[cls_all]),
            "Offence": o(offence),
            "Original HO Class": o(classes.codes[orig_cls_all]),
            "Committed From": _format_times(o(frm)),
            "Committed To": _format_times(o(to)),
            "Recorded": _format_times(o(rec)),
            "Easting": _format_ints(o(ex)),
            "Northing": _format_ints(o(ny)),
            "Location": o(base.location[loc]),
            "LSOA Code": o(base.lsoa[loc]),
            "Flags": _flag_text(o(mask)),
            "Status": o(status.astype(object)),
            "Outcome": o(outcome),
            "Victim Name": victim,
            "Suspect DOB": suspect,
            "MO Notes": _numbered("SYNTHETIC FREE TEXT", rows_n),
        },
        columns=list(COLUMNS),
    )

    planted = _count_planted(
        params=params,
        months=months,
        base=base,
        orig_kind=orig_kind_all,
        cur_kind=classes.kind[cls_all],
        orig_cls=orig_cls_all,
        cur_cls=cls_all,
        committed_month=(frm // MINUTE_DAY).astype("datetime64[D]").astype("datetime64[M]"),
        recorded_month=(rec // MINUTE_DAY).astype("datetime64[D]").astype("datetime64[M]"),
        cancelled=np.concatenate([cancelled, np.zeros(n_nn, bool)]),
    )
    return SyntheticRms(
        rows=frame,
        planted=planted,
        params=params,
        source_files=list(street.attrs.get("source_files", [])),
        source_row=o(np.where(src_all >= 0, base.position[np.maximum(src_all, 0)], -1)),
        location_row=o(base.position[loc]),
    )


def _count_planted(
    *,
    params: RmsParams,
    months: npt.NDArray[np.int64],
    base: _Base,
    orig_kind: npt.NDArray[np.int64],
    cur_kind: npt.NDArray[np.int64],
    orig_cls: npt.NDArray[np.int64],
    cur_cls: npt.NDArray[np.int64],
    committed_month: npt.NDArray[Any],
    recorded_month: npt.NDArray[Any],
    cancelled: npt.NDArray[np.bool_],
) -> Planted:
    """Count the planted differences from the generated values (not from the rates)."""
    rec_m = recorded_month.astype(np.int64)
    com_m = committed_month.astype(np.int64)
    ntypes = len(POLICE_UK_CRIME_TYPES)
    counts: dict[tuple[str, str], PlantedCounts] = {}
    nn: dict[str, int] = {}
    for m in months:
        label = str(np.datetime64(int(m), "M"))
        in_m = rec_m == m
        nn[label] = int((in_m & (orig_kind < 0)).sum())
        for t in range(ntypes):
            rows = in_m & (orig_kind == t)
            out = rows & (cur_kind != t)
            to = np.bincount(cur_kind[out], minlength=ntypes)
            counts[(POLICE_UK_CRIME_TYPES[t], label)] = PlantedCounts(
                published=int(((base.month == m) & (base.kind == t)).sum()) * params.copies,
                committed_earlier=int((rows & (com_m == m - 1)).sum()),
                reclassified_out=int(out.sum()),
                reclassified_to=MappingProxyType(
                    {POLICE_UK_CRIME_TYPES[k]: int(to[k]) for k in range(ntypes) if to[k]}
                ),
                cancelled=int((rows & cancelled).sum()),
                reclassified_within=int((rows & (cur_kind == t) & (cur_cls != orig_cls)).sum()),
            )
    return Planted(
        seed=params.seed,
        copies=params.copies,
        params=_frozen(params.to_dict()),
        counts=MappingProxyType(counts),
        non_notifiable=MappingProxyType(nn),
    )


# -- writing -------------------------------------------------------------------------------


def spec_toml(seed: int) -> str:
    """The import spec for the export (``importspec`` format)."""
    lines = [
        "[spec]",
        f'name = "{SPEC_NAME}"',
        f'description = "SYNTHETIC force crime records from harmwatch synth force-records (seed {seed})"',
        'delimiter = ","',
        "header = true",
        'encoding = "utf-8"',
        "",
        "[columns]",
        *(f'{k} = "{v}"' for k, v in SPEC_COLUMNS.items()),
        "",
        "[time]",
        f'format = "{TIME_FORMAT}"',
        f'zone = "{ZONE}"',
        'ambiguous = "earlier"',
        'nonexistent = "shift-forward"',
        "",
        "[flags]",
        *(f'{k} = ["{v}"]' for k, v in FLAG_CODES.items()),
        "",
        "[status]",
        'recorded = ["Recorded"]',
        'cancelled = ["Cancelled"]',
        "",
        "[options]",
        "synthetic = true",
        'flags_separator = ";"',
        'crs = "EPSG:27700"',
        "",
    ]
    return "\n".join(lines)


def _readme(result: SyntheticRms, files: dict[str, str]) -> str:
    planted = result.planted
    cells = planted.counts.values()
    published = sum(c.published for c in cells)
    late = sum(c.committed_earlier for c in cells)
    out = sum(c.reclassified_out for c in cells)
    within = sum(c.reclassified_within for c in cells)
    cancelled = sum(c.cancelled for c in cells)
    nn = sum(planted.non_notifiable.values())
    months = planted.months
    lines = [
        "SYNTHETIC DATA — NOT REAL FORCE CRIME RECORDS",
        "",
        "A made-up force records-management-system (RMS) crime export, generated by",
        "harmwatch (synth force-records) from police.uk street files. Each police.uk crime",
        "(anti-social behaviour skipped: it is not recorded crime) became one record with",
        "an invented offence class, time, exact place and flags; victim names, suspect",
        "dates of birth and MO notes are fake placeholders that an importer must never",
        "store. The rates and time profiles are plausible illustrations, not fitted to any",
        "force's data.",
        "",
        f"generator version: {GENERATOR_VERSION}",
        f"seed: {result.params.seed}",
        f"copies: {result.params.copies}",
        f"months (police.uk month = month recorded): {months[0]} .. {months[-1]}",
        f"rows: {len(result.rows)}",
        "source files:",
        *(f"  {name}" for name in result.source_files or ["(a frame given directly)"]),
        "",
        "files:",
        f"  {files['csv']}  the export (UTF-8, comma, header on line 1)",
        f"  {files['spec']}  its import spec (times Europe/London; BNG metres)",
        "  planted.json  the planted differences, counted per police.uk type and month",
        "  README.txt  this file",
        "",
        "planted differences from police.uk (each counted from the rows):",
        f"  1. committed earlier: {late} of {published} records were committed in the month",
        "     before the month they were recorded (police.uk's month): late reporting, e.g.",
        "     a burglary found on return from holiday, a theft noticed weeks later. Counting",
        "     by committed month moves them back a month.",
        f"  2. reclassified: {out} records now carry an HO class of another police.uk type",
        "     than the one police.uk published (Original HO Class is the published one):",
        "     investigation showed a different offence (damage was an attempted burglary,",
        f"     force made a theft a robbery). {within} more moved to another class of the",
        "     same type, changing no police.uk count.",
        f"  3. cancelled: {cancelled} records have Status Cancelled: cancelled under the",
        "     counting rules after police.uk's snapshot (no crime after additional",
        "     verifiable information, duplicate, transferred); police.uk still shows them.",
        f"  4. non-notifiable: {nn} extra records with HO Class NN (drug driving, drunk and",
        "     disorderly ...) that police.uk never publishes; placed like the month's Drugs",
        "     records.",
        "",
        "other behaviour: committed times follow per-type hour and day profiles; ranges",
        "(Committed To) where the time is unknown; wall times the clocks skip in spring",
        "are moved forward an hour; Easting/Northing are police.uk's snap point scattered",
        f"(normal, sd {result.params.scatter_sd_m:g} m per axis, never more than "
        f"{result.params.scatter_max_m:g} m away),",
        "blank where police.uk has no location. With copies > 1 the whole export is",
        "repeated, drawn afresh each time, with its own planted differences.",
        "",
        "parameters:",
    ]
    for key, value in result.params.to_dict().items():
        lines.append(f"  {key} = {json.dumps(value, ensure_ascii=False)}")
    lines.append("")
    return "\n".join(lines)


def write_export(
    result: SyntheticRms,
    out_dir: Path | str,
    *,
    name: str = "rms-export",
    xlsx: bool = False,
) -> ExportFiles:
    """Write the export: ``<name>.csv``, ``<name>.spec.toml``, ``planted.json``, ``README.txt``.

    ``name`` gets a ``SYNTHETIC-`` prefix unless it already says synthetic, so the
    file names say what they are (default ``SYNTHETIC-rms-export.csv``). ``xlsx``: also
    ``<name>.xlsx`` (openpyxl; at most 1,048,575 rows). ``out_dir`` is created if
    missing; files of those names in it are replaced.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = name if "synthetic" in name.lower() else f"SYNTHETIC-{name}"
    paths = ExportFiles(
        csv=out / f"{stem}.csv",
        spec=out / f"{stem}.spec.toml",
        planted=out / "planted.json",
        readme=out / "README.txt",
        xlsx=out / f"{stem}.xlsx" if xlsx else None,
    )
    result.rows.to_csv(paths.csv, index=False, lineterminator="\n", encoding="utf-8")
    paths.spec.write_text(spec_toml(result.params.seed), encoding="utf-8")
    paths.planted.write_text(
        json.dumps(result.planted.to_dict(), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    paths.readme.write_text(
        _readme(result, {"csv": paths.csv.name, "spec": paths.spec.name}), encoding="utf-8"
    )
    if paths.xlsx is not None:
        _write_xlsx(result.rows, paths.xlsx)
    return paths


def _write_xlsx(rows: pd.DataFrame, path: Path) -> None:
    if len(rows) >= 1_048_576:
        raise InputError(f"{path.name}: {len(rows)} rows do not fit in a worksheet; write CSV")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("SYNTHETIC RMS export")
    sheet.append(list(rows.columns))
    for record in rows.itertuples(index=False, name=None):
        sheet.append(list(record))
    book.properties.creator = "harmwatch (SYNTHETIC)"
    book.properties.created = datetime(2000, 1, 1)
    book.save(path)
