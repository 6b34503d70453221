"""Text a person typed holds no control characters but tabs and line breaks (pure).

One rule for every such field (comments, reasons, text answers): NUL and the other C0
controls are never typed, and PostgreSQL refuses NUL in text outright, so without the rule
SQLite would keep what PostgreSQL refuses.
"""

import re
from typing import Annotated

from pydantic import AfterValidator

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def control_character(text: str) -> str | None:
    """The first control character in ``text`` as ``U+XXXX``, or None."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def no_control_characters(text: str) -> str:
    """``text`` itself, or ValueError naming the control character it holds."""
    found = control_character(text)
    if found is not None:
        raise ValueError(f"the text holds a control character ({found}); remove it")
    return text


# A model's field of such text: ``Annotated[TypedText, Field(max_length=...)]``.
TypedText = Annotated[str, AfterValidator(no_control_characters)]
