"""The input rules (`core.validation`) and their REST fields (`core.api.fields`), in-process."""
from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework import serializers

from core.api import exception_handler
from core.api.fields import FlagField, IdField, IdListField, TextField
from core.errors import TooLarge, ValidationFailed
from core.validation import parse_id_list, parse_int, parse_text


def test_text_over_its_limit_is_too_large_which_is_a_validation_failure():
    assert parse_text("x" * 5, "title", max_length=5) == "xxxxx"
    with pytest.raises(TooLarge, match=r"^title is longer than 5 characters$") as refused:
        parse_text("x" * 6, "title", max_length=5)
    assert isinstance(refused.value, ValidationFailed) and refused.value.code == "too_large"


def test_text_is_empty_when_missing_unless_it_is_required():
    assert parse_text(None, "message") == ""
    for missing in (None, "", "  \n"):
        with pytest.raises(ValidationFailed, match=r"^title is required$"):
            parse_text(missing, "title", required=True)
    for bad, error in ((5, "title must be a string"), ("a\x00", "title must not contain NUL characters")):
        with pytest.raises(ValidationFailed, match=rf"^{error}$"):
            parse_text(bad, "title", required=True)


def test_a_bounded_count_is_written_like_an_id():
    assert parse_int(" 7 ", "limit", minimum=1, maximum=100) == 7
    assert parse_int(0, "offset", minimum=0, maximum=10) == 0
    for bad in (0, 101, "abc", "³", "1.5", 1.0, True, None, "-1"):
        with pytest.raises(ValidationFailed, match=r"^limit must be an integer from 1 to 100$"):
            parse_int(bad, "limit", minimum=1, maximum=100)


def test_an_id_list_may_be_a_tuple_and_unbounded_where_its_caller_says_so():
    assert parse_id_list((3, "4"), "recipient_ids", max_items=None, items="user ids") == [3, 4]
    assert len(parse_id_list(list(range(1, 1001)), "recipient_ids", max_items=None)) == 1000
    with pytest.raises(ValidationFailed, match=r"^recipient_ids must be a list of user ids$"):
        parse_id_list({1, 2}, "recipient_ids", items="user ids")
    with pytest.raises(ValidationFailed, match=r"^message_ids may hold at most 2 ids$"):
        parse_id_list([1, 2, 3], "message_ids", max_items=2)


class Request(serializers.Serializer):
    receiver_id = IdField()
    message_ids = IdListField(required=False)
    message = TextField(required=False, allow_blank=True, max_length=3, default="")
    is_typing = FlagField(default=True)


def rest_error_body(data) -> dict:
    request = Request(data=data)
    with pytest.raises(serializers.ValidationError) as refused:
        request.is_valid(raise_exception=True)
    return exception_handler(refused.value, {}).data


def test_a_fields_error_reaches_the_body_with_the_parsers_code_and_message():
    assert rest_error_body({"receiver_id": "²"}) == {
        "receiver_id": ["receiver_id must be a positive integer"],
        "error": "receiver_id must be a positive integer", "code": "validation_error",
    }
    assert rest_error_body({"receiver_id": 1, "message": "long"}) == {
        "message": ["message is longer than 3 characters"],
        "error": "message is longer than 3 characters", "code": "too_large",
    }


def test_absent_fields_take_their_defaults_and_a_forms_text_reads_as_the_json_would():
    json_request = Request(data={"receiver_id": 4, "message_ids": None, "is_typing": None})
    form_request = Request(data=QueryDict("receiver_id=4&message_ids=1&message_ids=2&is_typing=false&message="))

    assert json_request.is_valid() and form_request.is_valid()
    assert json_request.validated_data == {"receiver_id": 4, "message_ids": None, "message": "", "is_typing": True}
    assert form_request.validated_data == {"receiver_id": 4, "message_ids": [1, 2], "message": "", "is_typing": False}
    assert rest_error_body(QueryDict("receiver_id=&is_typing=maybe")) == {
        "receiver_id": ["receiver_id is required"], "is_typing": ["is_typing must be true or false"],
        "error": "receiver_id is required", "code": "validation_error",
    }
