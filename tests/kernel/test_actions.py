"""The access log's vocabulary: the s.62 categories, and the words logged before them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from harmwatch.kernel.actions import (
    LEGACY_ACTIONS,
    S62_CATEGORIES,
    AuditAction,
    category_of,
    stored_actions,
)
from harmwatch.kernel.refs import RecordRef
from harmwatch.security import audit


def test_the_six_s62_categories_are_there() -> None:
    assert {c.value for c in S62_CATEGORIES} == {
        "collection",
        "alteration",
        "consultation",
        "disclosure",
        "combination",
        "erasure",
    }
    assert AuditAction.CONSULTATION.needs_justification
    assert AuditAction.DISCLOSURE.needs_justification
    assert not AuditAction.COLLECTION.needs_justification


def test_todays_words_map_to_the_categories() -> None:
    assert category_of("view") is AuditAction.CONSULTATION
    assert category_of("search") is AuditAction.CONSULTATION
    assert category_of("export") is AuditAction.DISCLOSURE
    assert category_of("download") is AuditAction.DISCLOSURE
    assert category_of("create") is AuditAction.COLLECTION
    assert category_of("edit") is AuditAction.ALTERATION
    assert category_of("change") is AuditAction.ALTERATION
    assert category_of("delete") is AuditAction.ERASURE
    assert category_of("denied") is None  # now an outcome, not an action
    assert category_of("sign-in") is AuditAction.SIGN_IN
    assert set(stored_actions(AuditAction.CONSULTATION)) == {"consultation", "view", "search"}
    assert set(LEGACY_ACTIONS) >= {"view", "search", "export", "create", "change", "delete"}


def test_new_entries_use_the_vocabulary_only(records_engine: Engine) -> None:
    with Session(records_engine) as db:
        with pytest.raises(audit.AuditError, match="unknown access-log action 'view'"):
            audit.record(db, actor="amy", action="view", target=RecordRef("route", "/"))
        with pytest.raises(audit.AuditError, match="unknown access-log outcome"):
            audit.record(db, actor="amy", action=AuditAction.CONSULTATION, outcome="fine")


def test_a_category_filter_finds_old_and_new_entries(records_engine: Engine) -> None:
    with Session(records_engine) as db:
        # As an earlier release wrote them, then as this one does.
        for word in ("view", "search", "export"):
            audit.append_entry(
                db,
                actor="amy",
                action=word,
                target="/api/hotspots",
                outcome="ok",
                details={},
                justification=None,
                client="",
            )
        audit.record(
            db, actor="amy", action=AuditAction.CONSULTATION, target=RecordRef("route", "/")
        )
        audit.record(
            db, actor="amy", action=AuditAction.DISCLOSURE, target=RecordRef("file", "x.csv")
        )
        db.commit()
        consulted = audit.query(db, action=AuditAction.CONSULTATION)
        disclosed = audit.query(db, action=AuditAction.DISCLOSURE)
        assert sorted(e.action for e in consulted) == ["consultation", "search", "view"]
        assert sorted(e.action for e in disclosed) == ["disclosure", "export"]
        # A disclosure names its recipient: by default the person who downloaded it.
        assert next(e for e in disclosed if e.action == "disclosure").details["recipient"] == "amy"
        assert audit.verify(db).ok


def test_record_refs_are_typed() -> None:
    assert str(RecordRef("user", "olivia")) == "user:olivia"
    assert RecordRef.parse("route:/api/x:y") == RecordRef("route", "/api/x:y")
    with pytest.raises(ValueError, match="kind:id"):
        RecordRef.parse("olivia")
    with pytest.raises(ValueError, match="lower-case word"):
        RecordRef("User", "x")
