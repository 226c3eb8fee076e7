"""The police forces that publish on data.police.uk, by the slug their file names use.

Slugs are identifiers (file names, ``--force`` values, URLs); a reader is shown
the force's own name (:func:`force_name`, :func:`forces_text`) on pages, in
summaries and in map and chart titles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# slug -> name as it appears in the files' "Falls within" column.
FORCES: dict[str, str] = {
    "avon-and-somerset": "Avon and Somerset Constabulary",
    "bedfordshire": "Bedfordshire Police",
    "btp": "British Transport Police",
    "cambridgeshire": "Cambridgeshire Constabulary",
    "cheshire": "Cheshire Constabulary",
    "city-of-london": "City of London Police",
    "cleveland": "Cleveland Police",
    "cumbria": "Cumbria Constabulary",
    "derbyshire": "Derbyshire Constabulary",
    "devon-and-cornwall": "Devon & Cornwall Police",
    "dorset": "Dorset Police",
    "durham": "Durham Constabulary",
    "dyfed-powys": "Dyfed-Powys Police",
    "essex": "Essex Police",
    "gloucestershire": "Gloucestershire Constabulary",
    "greater-manchester": "Greater Manchester Police",
    "gwent": "Gwent Police",
    "hampshire": "Hampshire Constabulary",
    "hertfordshire": "Hertfordshire Constabulary",
    "humberside": "Humberside Police",
    "kent": "Kent Police",
    "lancashire": "Lancashire Constabulary",
    "leicestershire": "Leicestershire Police",
    "lincolnshire": "Lincolnshire Police",
    "merseyside": "Merseyside Police",
    "metropolitan": "Metropolitan Police Service",
    "norfolk": "Norfolk Constabulary",
    "north-wales": "North Wales Police",
    "north-yorkshire": "North Yorkshire Police",
    "northamptonshire": "Northamptonshire Police",
    "northern-ireland": "Police Service of Northern Ireland",
    "northumbria": "Northumbria Police",
    "nottinghamshire": "Nottinghamshire Police",
    "south-wales": "South Wales Police",
    "south-yorkshire": "South Yorkshire Police",
    "staffordshire": "Staffordshire Police",
    "suffolk": "Suffolk Constabulary",
    "surrey": "Surrey Police",
    "sussex": "Sussex Police",
    "thames-valley": "Thames Valley Police",
    "warwickshire": "Warwickshire Police",
    "west-mercia": "West Mercia Police",
    "west-midlands": "West Midlands Police",
    "west-yorkshire": "West Yorkshire Police",
    "wiltshire": "Wiltshire Police",
}

_BY_NAME = {name.lower(): slug for slug, name in FORCES.items()}


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("&", "and")).strip("-")


def force_slug(name_or_slug: str) -> str:
    """The slug for a force given as slug, published name or a loose spelling.

    Unknown forces are slugified rather than refused: a force's own extract may
    use a name data.police.uk does not, and its rows must still load.
    """
    text = name_or_slug.strip()
    if text.lower() in FORCES:
        return text.lower()
    if text.lower() in _BY_NAME:
        return _BY_NAME[text.lower()]
    slug = slugify(text)
    if slug in FORCES:
        return slug
    for suffix in ("-constabulary", "-police-service", "-police"):
        if slug.endswith(suffix) and slug[: -len(suffix)] in FORCES:
            return slug[: -len(suffix)]
    return slug


def force_name(slug: str) -> str:
    return FORCES.get(slug, slug.replace("-", " ").title())


def forces_text(slugs: Iterable[str], most: int = 5) -> str:
    """Forces for a reader, as they write their names: 'Bedfordshire Police, Hertfordshire
    Constabulary'; more than ``most`` as a count ('7 forces'), as a title has room for."""
    names = [force_name(s) for s in dict.fromkeys(slugs)]
    if len(names) > most:
        return f"{len(names)} forces"
    return ", ".join(names)
