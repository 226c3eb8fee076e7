"""The library's expected failures, and how an unexpected one is reported.

Two kinds of failure, told apart by type, never by message:

- :class:`UserError` — bad input, data that cannot answer, a refused account or
  record. Each room's expected errors subclass it. The command line prints one as
  ``error: …`` (exit status :attr:`UserError.exit_code`, 2) and the web app shows it
  beside the form, or answers :attr:`UserError.http_status` from the API: never a
  traceback, never a 500.
- anything else is a defect (a numpy or SQLAlchemy bug, a broken invariant). It is
  logged with a reference (:func:`internal_error_reference`) and the user sees only
  "internal error, reference …" — never its text, which may hold internal detail —
  so that a defect is reported, not mistaken for "your input was wrong".

This module imports nothing from harmwatch, so every package can subclass these.
"""

from __future__ import annotations

import logging
import secrets
from typing import ClassVar

#: The logger every internal error is written to, with its reference and traceback.
INTERNAL_LOG = logging.getLogger("harmwatch.internal")


class UserError(Exception):
    """An expected failure the user can act on; ``str(exc)`` says what and where."""

    #: The API's status for it: 422 (the request cannot be used), unless a subclass says.
    http_status: ClassVar[int] = 422
    #: The command line's exit status for it.
    exit_code: ClassVar[int] = 2


class InputError(UserError, ValueError):
    """A value given cannot be used; the message names the field (and file and line)."""


class NotFoundError(UserError, LookupError):
    """Nothing with that name or id exists (or the caller may not know that it does)."""

    http_status = 404


class InternalError(Exception):
    """Shown instead of a defect: only the reference, which the server log holds in full."""

    def __init__(self, reference: str) -> None:
        super().__init__(f"internal error, reference {reference}")
        self.reference = reference


def internal_error_reference(exc: BaseException, where: str) -> str:
    """Log ``exc`` with its traceback under a fresh reference, and return the reference.

    The reference is short enough to read out over the phone and random, so it
    tells nothing about the error; the log line joins it to the traceback.
    """
    reference = secrets.token_hex(4)
    INTERNAL_LOG.error(
        "internal error %s in %s: %s: %s",
        reference,
        where,
        type(exc).__name__,
        exc,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return reference


# Transitional: the front ends still catch bare ValueError and FileNotFoundError while
# the library's raise sites move to UserError subclasses. Removed when they have.
USER_ERRORS: tuple[type[Exception], ...] = (UserError, FileNotFoundError, ValueError)
