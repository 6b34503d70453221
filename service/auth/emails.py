"""Pure: the one form an e-mail is stored in, and its look-alike skeleton.

``normalise_email`` folds what Unicode says is the same text (NFKC: fullwidth ``ａｄｍｉｎ``
is ``admin``) and the same letters in any case (case folding, stronger than lower-casing:
``ß`` is ``ss``). ``email_skeleton`` goes further and folds what only *looks* the same, the
skeleton of Unicode TR39 (section 4): the Cyrillic ``а`` of ``аdmin`` is the Latin ``a``,
``rn`` is ``m``. Two addresses with one skeleton would be told apart by nobody reading them,
so a second one is refused where accounts are made.

The confusables table is Unicode's ``confusables.txt`` as shipped by the maintained
``confusable-homoglyphs`` package. It stores each source-to-prototype line in both
directions; every line maps a single character to its prototype and prototypes are never
sources, so each connected group is a star around its prototype. A pair of two single
characters (each the other's only neighbour) does not say which is the prototype: the
smaller code point stands for both, which keeps "same skeleton" exactly TR39's relation.
"""

import hashlib
import json
import unicodedata
from functools import cache
from importlib import resources

# The table's RTL examples were copied with left-to-right marks around them.
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def normalise_email(value: str) -> str:
    """The one form an e-mail is stored, looked up, logged in and filtered by.

    NFKC, then case folding, then NFKC again (folding can undo the normal form), then
    surrounding spaces removed.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()


def _clean(text: str) -> str:
    return text.translate(_DIRECTION_MARKS) if len(text) > 1 else text


@cache
def _prototypes() -> dict[str, str]:
    """Each confusable character mapped to its prototype (one or more characters)."""
    table = resources.files("confusable_homoglyphs").joinpath("confusables.json")
    raw: dict[str, list[dict[str, str]]] = json.loads(table.read_text(encoding="utf-8"))
    graph = {_clean(key): [_clean(entry["c"]) for entry in entries] for key, entries in raw.items()}
    found: dict[str, str] = {}
    for char, neighbours in graph.items():
        if len(char) != 1 or len(neighbours) != 1:
            continue  # a prototype with several sources maps to itself
        (other,) = neighbours
        if len(other) > 1 or len(graph.get(other, ())) > 1:
            found[char] = other
        elif other < char:
            found[char] = other
    # A prototype of several characters may hold one of a pair: map those too, so a
    # skeleton is the same however its characters were arrived at.
    return {char: "".join(found.get(c, c) for c in proto) for char, proto in found.items()}


def _ignorable(char: str) -> bool:
    # Format characters (zero-width space and joiners, direction marks, soft hyphen) and
    # variation selectors draw nothing: TR39 drops default-ignorable code points.
    return unicodedata.category(char) == "Cf" or "\ufe00" <= char <= "\ufe0f"


def email_skeleton(value: str) -> str:
    """TR39's skeleton of the normalised e-mail: equal for addresses that look alike."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", normalise_email(value))
    mapped = "".join(prototypes.get(c, c) for c in decomposed if not _ignorable(c))
    return unicodedata.normalize("NFD", mapped)


def skeleton_key(value: str) -> str:
    """SHA-256 (hex) of the e-mail's skeleton: what is stored and indexed.

    A skeleton can be several times the address's length (a Hangul syllable decomposes into
    jamo, ``m`` becomes ``rn``): up to ~1,800 characters of 3-byte UTF-8 for a 254-character
    address, past PostgreSQL's limit for a B-tree entry. Its hash has one size.
    """
    return hashlib.sha256(email_skeleton(value).encode()).hexdigest()
