"""Invitations (when `TOMOBENCH_REGISTRATION=invite`): an admin creates a single-use code,
shown once and stored as SHA-256; registering with it uses it up, atomically, so two
registrations can never share one code."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Invite, User, utcnow
from app.security import hash_api_token
from app.services.errors import Conflict, InvalidInput, NotFound

INVITE_PREFIX = "inv_"
MAX_NOTE = 200
UNUSABLE = "invite_code: unknown, already used or expired; ask an organizer for a new one"


def create_invite(db: Session, admin: User, note: str, lifetime_days: int) -> tuple[Invite, str]:
    """A new invitation: the row and its code, which is never stored (committed).

    Raises:
        InvalidInput: if the note is too long.
    """
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"note: at most {MAX_NOTE} characters, got {len(note)}")
    code = INVITE_PREFIX + secrets.token_urlsafe(18)
    invite = Invite(
        code_hash=hash_api_token(code),
        note=note,
        created_by_id=admin.id,
        expires_at=utcnow() + dt.timedelta(days=lifetime_days),
    )
    db.add(invite)
    db.commit()
    return invite, code


def list_invites(db: Session) -> list[Invite]:
    """Every invitation, newest first."""
    return list(db.scalars(select(Invite).order_by(Invite.id.desc())))


def delete_invite(db: Session, invite_id: int) -> None:
    """Withdraw an unused invitation (committed).

    Raises:
        NotFound: if there is none with this id.
        Conflict: if it was already used (the record of who joined with it stays).
    """
    invite = db.get(Invite, invite_id, populate_existing=True)  # as the database has it now
    if invite is None:
        raise NotFound(f"invite {invite_id} not found")
    if invite.used_at is not None:
        raise Conflict(f"invite {invite_id} was already used; it stays as a record")
    db.delete(invite)
    db.commit()


def check_invite(db: Session, code: str) -> None:
    """Refuse early a code that cannot be used (the real claim is `redeem_invite`).

    Raises:
        InvalidInput: if it is unknown, used or expired.
    """
    invite = db.scalar(select(Invite).where(Invite.code_hash == hash_api_token(code.strip())))
    if invite is None or invite.used_at is not None or invite.expires_at <= utcnow():
        raise InvalidInput(UNUSABLE)


def redeem_invite(db: Session, code: str, user: User) -> None:
    """Use the invitation up for `user` (flushed); one conditional UPDATE, so of two
    registrations racing for one code exactly one wins.

    Raises:
        InvalidInput: if it is unknown, used or expired.
    """
    now = utcnow()
    claimed = db.execute(
        update(Invite)
        .where(
            Invite.code_hash == hash_api_token(code.strip()),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by_id=user.id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput(UNUSABLE)
