"""What the admin room holds about a member of staff, for a subject access request.

Staff are data subjects too: their account (name, role, force, units, when it was
created and last used) and the access log's record of what they did. The log is
described by count and span, not copied: the entries themselves are exported with
``harmwatch audit export --actor NAME`` once the request is approved.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from harmwatch.kernel.principal import Principal, parse_units
from harmwatch.kernel.records import SubjectTerms
from harmwatch.kernel.subjects import HeldItem
from harmwatch.storage.models import AuditEntry, LoginSession, OperatorKey, User


def _usernames(terms: SubjectTerms) -> list[str]:
    names = [i.strip().lower() for i in terms.identifiers if i.strip()]
    if terms.name.strip():
        names.append(terms.name.strip().lower())
    return sorted(set(names))


def staff_accounts(db: Session, principal: Principal, terms: SubjectTerms) -> list[HeldItem]:
    """staff accounts (by username)"""
    items = []
    for user in db.scalars(select(User).where(User.username.in_(_usernames(terms)))):
        if principal.force and user.force and user.force != principal.force:
            continue  # another force's account: that force answers for it
        sessions = db.scalar(
            select(func.count()).select_from(LoginSession).where(LoginSession.user_id == user.id)
        )
        keys = db.scalar(
            select(func.count()).select_from(OperatorKey).where(OperatorKey.user_id == user.id)
        )
        units = ", ".join(sorted(parse_units(user.units_json))) or "none"
        items.append(
            HeldItem(
                room="admin",
                kind="user",
                ref=f"user:{user.username}",
                summary=(
                    f"account {user.username!r}: role {user.role}, force {user.force or 'none'}, "
                    f"units {units}, {'disabled' if user.disabled else 'active'}; "
                    f"{sessions} open session(s), {keys} operator key(s)"
                ),
                owner=user.force,
                created_at=user.created_at.isoformat(),
            )
        )
    return items


def staff_activity(db: Session, principal: Principal, terms: SubjectTerms) -> list[HeldItem]:
    """access-log entries of their acts (by username)"""
    items = []
    for name in _usernames(terms):
        n, first, last = db.execute(
            select(func.count(), func.min(AuditEntry.at), func.max(AuditEntry.at)).where(
                AuditEntry.actor == name
            )
        ).one()
        if n:
            items.append(
                HeldItem(
                    room="admin",
                    kind="audit-log",
                    summary=(
                        f"{n} access-log entries of acts by {name!r}, {first:%Y-%m-%d} to "
                        f"{last:%Y-%m-%d} (export: harmwatch audit export --actor {name})"
                    ),
                    ref=None,
                    created_at=first.isoformat(),
                )
            )
    return items
