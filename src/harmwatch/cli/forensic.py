"""`harmwatch forensic …`: cases, exhibits, custody, results, lab incidents, retests, progress;
and `harmwatch synth forensics`.

Thin over :mod:`harmwatch.forensics`: each command signs in as a named user (``--as``
or an operator key) and the library checks, scopes and logs every read and change as
the web app does. The commands are grouped by what they serve, one module each:
casework and custody (``forensic_casework``), the incident review (``forensic_review``)
and imports and the generator (``forensic_data``).
"""

from __future__ import annotations

import typer

from .calls import synth_app

forensic_app = typer.Typer(
    help="Forensic casework: cases, exhibits, chain of custody, lab-incident review, retests.",
    no_args_is_help=True,
    add_completion=False,
)


def register(app: typer.Typer) -> None:
    from . import forensic_casework, forensic_data, forensic_review

    forensic_casework.register(forensic_app)
    forensic_review.register(forensic_app)
    forensic_data.register(forensic_app)
    forensic_data.register_synth(synth_app)
    app.add_typer(forensic_app, name="forensic")
