"""Names shown to other people (usernames, submission methods, teams): one validation place.

A name is NFKC-normalised (full-width letters, ligatures and odd spaces become plain ones),
must not hide characters (control, format, bidi overrides, zero-width, BOM, fillers), must not
mix scripts with look-alike letters (`Bаseline` with a Cyrillic `а`), and, unless it comes
from an organizer or admin, must not contain a reserved word (`baseline`, `official`,
`organizers`, `SHREC`, ...) even when spelled with look-alikes.

Look-alikes are compared through a skeleton: every non-ASCII character that Unicode's
confusables table (UTS #39, via `confusable_homoglyphs`) says looks like ASCII is replaced by
that ASCII text, then `ASCII_LOOK_ALIKES` folds the few ASCII pairs the table does not, and
the result is case-folded. Usernames are unique under this skeleton (`users.username_key`).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs import confusables

from app.services.errors import InvalidInput

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,63}")
USERNAME_RULE = (
    "3 to 64 characters, letters, digits, '_', '.' or '-', starting with a letter or digit"
)

# categories that draw nothing or reorder text: control, format (bidi overrides, zero-width
# characters, BOM), surrogates, private use, unassigned, line and paragraph separators
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# letters and marks that render as blank although their category says otherwise
BLANK_CHARACTERS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u2800\u3164\uffa0"
    + "".join(chr(code) for code in range(0xFE00, 0xFE10))  # variation selectors
)
# ASCII look-alikes folded after case-folding, as UTS #39 folds them (it maps `m` to `rn`;
# here the pair goes the other way, so a skeleton is never longer than its name). `i` joins
# `l` because `I` looks like `l` and case does not count: sameness must be transitive.
ASCII_LOOK_ALIKES = (("rn", "m"), ("vv", "w"), ("0", "o"), ("1", "l"), ("|", "l"), ("i", "l"))

# words only the organizers' own entries and accounts may carry (compared by skeleton);
# words of six letters or more are refused anywhere in a name, shorter ones as whole words
RESERVED_WORDS = frozenset(
    {
        "admin",
        "administrator",
        "baseline",
        "official",
        "organiser",
        "organizer",
        "moderator",
        "root",
        "shrec",
        "staff",
        "tomobench",
    }
)
_WORD_BOUNDARY = re.compile(r"[^a-z]+")


@functools.cache
def _ascii_look_alike(char: str) -> str:
    """The ASCII text `char` is confusable with, or `char` itself."""
    if char.isascii():
        return char
    found = confusables.is_confusable(char, greedy=True, preferred_aliases=[])
    for entry in found or ():
        for homoglyph in entry["homoglyphs"]:
            if homoglyph["c"].isascii() and homoglyph["c"].strip():
                return str(homoglyph["c"])
    return char


def skeleton(text: str) -> str:
    """`text` as it looks: look-alikes replaced by their ASCII twin, case-folded."""
    folded = "".join(_ascii_look_alike(char) for char in unicodedata.normalize("NFKC", text))
    folded = folded.casefold()
    for look_alike, plain in ASCII_LOOK_ALIKES:
        folded = folded.replace(look_alike, plain)
    return folded


def username_key(username: str) -> str:
    """What makes two usernames the same account name: their skeleton."""
    return skeleton(username)


def reserved_word_in(text: str) -> str | None:
    """The first reserved word that `text` spells (with look-alikes or not), or None."""
    shape = skeleton(text)
    words = set(_WORD_BOUNDARY.split(shape))
    for reserved in sorted(RESERVED_WORDS):
        reserved_shape = skeleton(reserved)
        if reserved_shape in words or (len(reserved) >= 6 and reserved_shape in shape):
            return reserved
    return None


def _visible(field: str, text: str) -> None:
    """Refuse characters that draw nothing or reorder the text around them."""
    for char in text:
        if char in "\t\n":
            continue
        if unicodedata.category(char) in INVISIBLE_CATEGORIES or char in BLANK_CHARACTERS:
            name = unicodedata.name(char, "")  # control characters have none
            code = f"U+{ord(char):04X}" + (f" {name}" if name else "")
            raise InvalidInput(
                f"{field}: contains an invisible or control character ({code}); "
                "use visible characters only"
            )


def _single_script(field: str, text: str) -> None:
    """Refuse a name that mixes scripts where a letter looks like one of the other script."""
    if confusables.is_dangerous(text):
        found = confusables.is_confusable(text, preferred_aliases=["latin", "common"]) or []
        detail = ""
        if found:
            char = found[0]["character"]
            detail = f" ({unicodedata.name(char, 'a character')} looks like '{skeleton(char)}')"
        raise InvalidInput(
            f"{field}: mixes scripts with look-alike letters{detail}; write it in one script"
        )


def clean_display_name(
    field: str, value: str | None, max_length: int, *, required: bool, privileged: bool
) -> str:
    """A method or team name as it will be shown: NFKC, single spaces, visible, one script,
    and (unless `privileged`, i.e. from an organizer or admin) free of reserved words.

    Raises:
        InvalidInput: naming the field and the problem.
    """
    text = unicodedata.normalize("NFKC", value or "")
    _visible(field, text.replace("\n", " "))
    text = " ".join(text.split())
    if required and not text:
        raise InvalidInput(f"{field}: required")
    if len(text) > max_length:
        raise InvalidInput(f"{field}: at most {max_length} characters, got {len(text)}")
    if not text:
        return text
    _single_script(field, text)
    reserved = None if privileged else reserved_word_in(text)
    if reserved is not None:
        raise InvalidInput(
            f"{field}: '{reserved}' (in any spelling or look-alike letters) is reserved for the "
            "organizers' entries; choose another name"
        )
    return text


def clean_username(value: str, *, privileged: bool = False) -> str:
    """A username: NFKC, the ASCII pattern, and no reserved word unless `privileged` (an
    account made by an admin on the command line or at first start).

    Raises:
        InvalidInput: naming the field and the problem.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    _visible("username", text)
    if not USERNAME_PATTERN.fullmatch(text):
        raise InvalidInput(f"username: {USERNAME_RULE}")
    reserved = None if privileged else reserved_word_in(text)
    if reserved is not None:
        raise InvalidInput(f"username: '{reserved}' is reserved for the organizers; choose another")
    return text
