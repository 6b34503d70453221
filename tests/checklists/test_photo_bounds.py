"""Photo bounds of an item: how many it takes and how many a submit needs (one implementation)."""

from typing import Any

import pytest
from pydantic import TypeAdapter

from service.checklists.items import Item, ItemBase

ADAPTER: TypeAdapter[ItemBase] = TypeAdapter(Item)


def item(kind: str, **extra: Any) -> ItemBase:
    data = {"code": "q", "kind": kind, "text_ru": "Вопрос", "text_en": "Question"}
    return ADAPTER.validate_python(data | extra)


@pytest.mark.parametrize(
    ("target", "bounds", "required"),
    [
        pytest.param(item("photo"), (1, 5), 1, id="photo-defaults"),
        pytest.param(item("photo", min_count=2, max_count=4), (2, 4), 2, id="photo-counts"),
        pytest.param(item("photo", min_count=0), (0, 5), 0, id="photo-none-needed"),
        pytest.param(item("photo", min_count=2, required=False), (2, 5), 0, id="photo-optional"),
        pytest.param(item("yes_no"), None, 0, id="no-photo-policy"),
        pytest.param(item("yes_no", photo="required"), (1, 5), 1, id="policy-required"),
        pytest.param(item("yes_no", photo="optional"), (0, 5), 0, id="policy-optional"),
        pytest.param(item("text", photo="required", required=False), (1, 5), 0, id="optional-item"),
    ],
)
def test_photo_bounds(target: ItemBase, bounds: tuple[int, int] | None, required: int) -> None:
    assert target.photo_bounds() == bounds
    assert target.photos_required() == required
