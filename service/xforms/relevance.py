"""A checklist's ``show_if`` rules as XForm ``relevant`` expressions.

Pure. The rule itself is ``ResolvedChecklist.visible``: an item is shown when the item its
rule tests is shown and that answer is one of the rule's values; N/A and hidden answers open
nothing. This module only translates each ``ShowIf`` into XPath. The expression is kept as a
small tree that can also be evaluated in Python, so tests check the translation against
``visible`` itself on many answer sets rather than trusting the XPath text.

The phone clears nothing when an item is hidden or ticked N/A (JavaRosa keeps the value of
a non-relevant question), so each condition restates the target's own visibility and N/A.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from service.checklists.format import ResolvedChecklist
from service.checklists.items import ItemBase
from service.checklists.kinds import kind_of
from service.xforms import names

Tokens = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Selected:
    """The question ``name`` has ``value`` among its chosen tokens."""

    name: str
    value: str

    def xpath(self) -> str:
        return f"selected(${{{self.name}}}, '{self.value}')"

    def holds(self, tokens: Tokens) -> bool:
        return self.value in tokens.get(self.name, frozenset())


@dataclass(frozen=True)
class Not:
    part: "Condition"

    def xpath(self) -> str:
        return f"not({self.part.xpath()})"

    def holds(self, tokens: Tokens) -> bool:
        return not self.part.holds(tokens)


@dataclass(frozen=True)
class All:
    parts: tuple["Condition", ...]

    def xpath(self) -> str:
        return " and ".join(f"({p.xpath()})" for p in self.parts) if self.parts else "true()"

    def holds(self, tokens: Tokens) -> bool:
        return all(p.holds(tokens) for p in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple["Condition", ...]

    def xpath(self) -> str:
        return " or ".join(f"({p.xpath()})" for p in self.parts) if self.parts else "false()"

    def holds(self, tokens: Tokens) -> bool:
        return any(p.holds(tokens) for p in self.parts)


@dataclass(frozen=True)
class Filled:
    """The question ``name`` has an answer (a photo slot holds a file)."""

    name: str

    def xpath(self) -> str:
        return f"${{{self.name}}} != ''"

    def holds(self, tokens: Tokens) -> bool:
        return bool(tokens.get(self.name))


Condition = Selected | Filled | Not | All | AnyOf
ALWAYS = All(())


def na_in_choices(item: ItemBase) -> bool:
    """N/A is one more choice of a single-answer list (``names.NA``)."""
    return item.allow_na and kind_of(item).xform_type == "select_one"


def na_box(item: ItemBase) -> bool:
    """N/A is a box ticked before the question (kinds whose value is not one choice)."""
    return item.allow_na and not na_in_choices(item)


def both(a: Condition, b: Condition) -> Condition:
    """``a and b``, flattened, leaving out a side that always holds."""
    parts = tuple(q for p in (a, b) for q in (p.parts if isinstance(p, All) else (p,)))
    return parts[0] if len(parts) == 1 else All(parts)


def any_of(parts: tuple[Condition, ...]) -> Condition:
    """``a or b or ...``; one part stands alone."""
    return parts[0] if len(parts) == 1 else AnyOf(parts)


def not_na(item: ItemBase) -> Condition:
    """The item's value question is asked: its N/A box (if any) is not ticked."""
    return Not(Selected(names.na(item.code), names.NA)) if na_box(item) else ALWAYS


def asked(item: ItemBase) -> Condition:
    """The item is not answered N/A, whichever way its N/A is offered."""
    if na_in_choices(item):
        return Not(Selected(item.code, names.NA))
    return not_na(item)


def shown(checklist: ResolvedChecklist) -> dict[str, Condition]:
    """For every item code, when the phone shows the item (``ALWAYS`` without a rule)."""
    conditions: dict[str, Condition] = {}
    by_code: dict[str, ItemBase] = {}
    for item in checklist.items():
        rule = item.show_if
        if rule is None:
            conditions[item.code] = ALWAYS
        else:
            target = by_code[rule.item]
            answered = both(conditions[target.code], not_na(target))
            chosen = any_of(tuple(Selected(target.code, v) for v in rule.values()))
            conditions[item.code] = both(answered, chosen)
        by_code[item.code] = item
    return conditions


def xpath(condition: Condition) -> str:
    """The ``relevant`` cell: empty when the condition always holds."""
    return "" if condition == ALWAYS else condition.xpath()
