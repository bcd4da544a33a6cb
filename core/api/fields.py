"""Integer inputs of the REST API: ASCII digits only, like every id in a frame (`core.validation.parse_id`).

DRF's and Django's integer fields call `int()`, which reads any Unicode decimal digits ("٣" and
"３" are 3), so an id the client never meant could be looked up; these refuse them as invalid.
"""
from __future__ import annotations

from django import forms
from rest_framework import serializers

from core.validation import MAX_ID, is_ascii_digits


class AsciiIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, str) and not is_ascii_digits(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(AsciiIntegerField):
    """A positive id within PostgreSQL's bigint: a larger number is a 400, never a database error."""

    def __init__(self, **kwargs) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class AsciiIntegerFormField(forms.IntegerField):
    """The same for query-string filters, which django-filter validates with Django form fields."""

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not is_ascii_digits(value.strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)
