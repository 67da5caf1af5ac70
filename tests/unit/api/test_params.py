"""api.params: the one boolean, id and routes reading every client API endpoint shares."""

from __future__ import annotations

import pytest

from fediverse.api import params
from fediverse.api.params import BadRequest


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("True", True), (" YES ", True), ("1", True), ("on", True), (True, True), (1, True),
    ("false", False), ("0", False), ("off", False), ("no", False), (False, False), (0, False),
    ("", None), ("maybe", None), (2, None), (None, None), (["true"], None),
])
def test_boolean_takes_mastodons_words_and_nothing_else(value: object, expected: bool | None) -> None:
    assert params.boolean(value) is expected


def test_truthy_is_lenient_and_strict_boolean_names_the_parameter() -> None:
    assert params.truthy("yes") and not params.truthy("maybe") and not params.truthy(None)
    assert params.strict_boolean(None, "locked") is None
    with pytest.raises(BadRequest, match="locked must be true or false") as caught:
        params.strict_boolean("maybe", "locked", status=422)
    assert caught.value.status == 422


@pytest.mark.parametrize("raw", ["12x", "-1", "١٢", str(2**63), "1" * 20, True, 1.5, {"id": 1}])
def test_id_param_refuses_what_cannot_be_an_id(raw: object) -> None:
    with pytest.raises(BadRequest, match="max_id must be an id") as caught:
        params.id_param(raw, "max_id")
    assert caught.value.status == 400


def test_id_param_reads_digits_and_json_numbers_and_skips_absent_ones() -> None:
    assert params.id_param("108", "id") == 108 and params.id_param(108, "id") == 108
    assert params.id_param(str(2**63 - 1), "id") == 2**63 - 1
    assert params.id_param(None, "id") is None and params.id_param("", "id") is None


def test_routes_answer_with_and_without_a_trailing_slash() -> None:
    async def endpoint(request: object) -> None:
        return None

    found = params.routes("/api/v1/x", endpoint, ["POST"])  # type: ignore[arg-type]
    assert [r.path for r in found] == ["/api/v1/x", "/api/v1/x/"]
    assert all(r.methods == {"POST"} for r in found)
