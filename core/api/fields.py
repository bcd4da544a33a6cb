"""The REST API's inputs, read by the parsers that read socket frames and the task API (`core.validation`).

Each field hands its raw value (None when it is absent) to one parser, and the parser's error
becomes the field's error with the parser's code and message; `core.api.exception_handler` puts
those in the body's `error` and `code` as they are, so that a REST client is told exactly what a
socket client is told about the same input. The DRF base classes are there for the schema (type,
bounds, required, default); their own conversions and checks are not used.
"""
from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

from core.errors import ClientError, ValidationFailed
from core.validation import (
    BOOLEAN_WORDS,
    MAX_ID,
    MAX_IDS_PER_FRAME,
    MAX_TEMP_ID_LENGTH,
    is_ascii_digits,
    parse_bool,
    parse_emoji,
    parse_id,
    parse_id_list,
    parse_int,
    parse_optional_timestamp,
    parse_temp_id,
    parse_text,
)

# A path segment that holds an id: anything there (a dot included) reaches the view and is parsed
# like an id in a frame, so "abc", "²" or "1.5" is a 400 that says why rather than an unknown URL.
PATH_ID = r"[^/]+"


class ParsedField(serializers.Field):
    """An absent optional field takes its default (or None); anything else goes to `parse`, which
    refuses an absent required value in its own words, as on a socket. A parser that reads nothing
    as a value (text as "", a flag as its default) says so with `parser_refuses_absence = False`:
    the field then refuses it as "<name> is required" (an edit without text must not clear a
    caption; a preferences PATCH without the flag must not turn emails back on)."""

    parser_refuses_absence: ClassVar[bool] = True

    def parse(self, value: Any) -> Any:
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The field's name, as the parsers' messages say it (a list's child field has none)."""
        return self.field_name or ""

    def get_value(self, dictionary: Any) -> Any:
        value = dictionary.get(self.field_name, empty)
        if html.is_html_input(dictionary) and value == "":
            return empty  # a form's empty box: no value
        return value

    def run_validation(self, data: Any = empty) -> Any:
        value = None if data is empty else data
        if value is None and not self.required:
            return None if self.default is empty else self.get_default()
        try:
            if value is None and not self.parser_refuses_absence:
                raise ValidationFailed(f"{self.name} is required")
            return self.parse(value)
        except ClientError as error:
            raise serializers.ValidationError(error.error, code=error.code) from None


class IdField(ParsedField, serializers.IntegerField):
    """A positive id within PostgreSQL's bigint (`parse_id`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def parse(self, value: Any) -> int:
        return parse_id(value, self.name)


class IdListField(ParsedField, serializers.ListField):
    """A list of ids, at most MAX_IDS_PER_FRAME of them (`parse_id_list`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=IdField(), max_length=MAX_IDS_PER_FRAME, **kwargs)

    # A form repeats the field (`message_ids=1&message_ids=2`): DRF's list reading collects them.
    get_value = serializers.ListField.get_value

    def parse(self, value: Any) -> list[int]:
        return parse_id_list(value, self.name)


class IntegerRangeField(ParsedField, serializers.IntegerField):
    """A bounded count such as a page size (`parse_int`); give it `min_value` and `max_value`."""

    def parse(self, value: Any) -> int:
        assert self.min_value is not None and self.max_value is not None, "a range needs both bounds"
        return parse_int(value, self.name, minimum=int(self.min_value), maximum=int(self.max_value))


class TextField(ParsedField, serializers.CharField):
    """Text (`parse_text`): over `max_length` is `too_large`; without `allow_blank` it is required."""

    parser_refuses_absence = False

    def parse(self, value: Any) -> str:
        return parse_text(value, self.name, max_length=self.max_length, required=not self.allow_blank)


class TempIdField(ParsedField, serializers.CharField):
    """A send's idempotency key (`parse_temp_id`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_TEMP_ID_LENGTH, **kwargs)

    def parse(self, value: Any) -> str | None:
        return parse_temp_id(value)


class EmojiField(ParsedField, serializers.CharField):
    """One emoji grapheme (`parse_emoji`)."""

    def parse(self, value: Any) -> str:
        return parse_emoji(value, self.name)


class TimestampField(ParsedField, serializers.DateTimeField):
    """An ISO-8601 date and time, or null (`parse_optional_timestamp`)."""

    def parse(self, value: Any) -> Any:
        return parse_optional_timestamp(value, self.name)


class FlagField(ParsedField, serializers.BooleanField):
    """`true` or `false`, or absent for its default (`parse_bool`; required without one); a form's
    text says "true" or "false"."""

    parser_refuses_absence = False

    def __init__(self, *, default: bool | None = None, **kwargs: Any) -> None:
        if default is not None:
            kwargs.update(required=False, default=default)
        super().__init__(**kwargs)
        self.flag_default = bool(default)

    def get_value(self, dictionary: Any) -> Any:
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, str):
            return BOOLEAN_WORDS.get(value.lower(), value)
        return value

    def parse(self, value: Any) -> bool:
        return parse_bool(value, self.name, default=self.flag_default)


class AsciiIntegerFormField(forms.IntegerField):
    """Query-string filters, which django-filter validates with Django form fields: ASCII digits
    only, like every id (`int()` would read "٣" or "３" as 3)."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not is_ascii_digits(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
