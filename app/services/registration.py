"""Registration as the site offers it: the mode (`TOMOBENCH_REGISTRATION`), the per-address
limit and the invitation, around `users.register_user`.

- `open`: anyone may register; the account is active at once.
- `approval`: the account is created inactive; it can log in once an admin activates it
  (`/admin/users` or `PUT /api/v1/admin/users/{id}/active`).
- `invite`: registering needs a single-use code an admin created (`app.services.invites`).

In every mode one address may create at most `registrations_per_address` accounts per
`registration_window_s` (refused registrations do not count).
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import User
from app.services.errors import InvalidInput
from app.services.invites import check_invite, redeem_invite
from app.services.login_throttle import client_address, registration_throttle
from app.services.users import register_user

INVITE_REQUIRED = (
    "invite_code: registration is by invitation only; ask an organizer for an invite code"
)


def register_from_request(
    request: Request,
    db: Session,
    settings: Settings,
    *,
    username: str,
    email: str,
    password: str,
    invite_code: str | None,
) -> User:
    """Create a participant account as the site's registration mode says (committed).

    Raises:
        TooManyRegistrations: if the address has created its share of accounts (429).
        InvalidInput: a malformed field, a weak password, a missing or unusable invitation.
        Conflict: the username (or a look-alike) or the e-mail is taken.
    """
    invite_code = (invite_code or "").strip()
    if settings.registration == "invite":
        if not invite_code:
            raise InvalidInput(INVITE_REQUIRED)
        check_invite(db, invite_code)
    throttle = registration_throttle(request)
    reservation = throttle.acquire(client_address(request))
    try:
        user = register_user(
            db, username, email, password, active=settings.registration != "approval"
        )
        if settings.registration == "invite":
            redeem_invite(db, invite_code, user)
        db.commit()
    except BaseException:
        db.rollback()
        throttle.release(reservation)
        raise
    return user
