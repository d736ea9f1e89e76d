"""The password rules: NFKC-normalised, long enough, visible, not guessable (zxcvbn).

Passwords are normalised with NFKC before they are checked, hashed or verified, so the same
password typed on another keyboard (full-width digits, a composed or decomposed accent)
still matches. Guessability is zxcvbn's estimate, which knows common passwords, names,
dictionary words, keyboard patterns, dates and repeats, and is told the username and e-mail.
"""

from __future__ import annotations

import unicodedata

from zxcvbn import zxcvbn

from app.services.errors import InvalidInput
from app.services.names import BLANK_CHARACTERS, INVISIBLE_CATEGORIES

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's 0-4 scale; 3 means about 10^8 guesses or more ("safely unguessable" online)
MIN_STRENGTH = 3
# zxcvbn's matching grows faster than linearly with length; past this the tail adds no risk
STRENGTH_CHECKED_CHARS = 100
PASSWORD_RULES = (
    f"At least {MIN_PASSWORD_LENGTH} characters; not a common password, a dictionary word, a "
    "keyboard pattern or a repeat; not containing your username; visible characters only. "
    "A few unrelated words make a good one."
)


def normalize_password(password: str) -> str:
    """The form in which a password is hashed and compared."""
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: str, *, username: str, email: str = "") -> str:
    """The normalised password if it follows the rules.

    Raises:
        InvalidInput: naming the field `password` and the rule it breaks.
    """
    text = normalize_password(password)
    if len(text) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters, got {len(text)}")
    if len(text) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    if any(
        unicodedata.category(char) in INVISIBLE_CATEGORIES or char in BLANK_CHARACTERS
        for char in text
    ):
        raise InvalidInput("password: contains invisible or control characters")
    if not text.strip():
        raise InvalidInput("password: must not be only spaces")
    if username and username.casefold() in text.casefold():
        raise InvalidInput("password: must not contain the username")
    hints = [username, email, email.partition("@")[0], "tomobench", "shrec", "cryo", "tomogram"]
    verdict = zxcvbn(text[:STRENGTH_CHECKED_CHARS], user_inputs=[hint for hint in hints if hint])
    if verdict["score"] < MIN_STRENGTH:
        feedback = verdict["feedback"]
        advice = " ".join(filter(None, [feedback.get("warning"), *feedback.get("suggestions", [])]))
        raise InvalidInput(
            "password: too easy to guess" + (f" ({advice.rstrip('.')})" if advice else "")
        )
    return text
