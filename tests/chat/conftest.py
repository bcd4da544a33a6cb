"""Two people for the chat's in-process tests."""
from __future__ import annotations

import pytest

from tests.factories import make_user


@pytest.fixture
def alice():
    return make_user("Alice", last_name="Smith")


@pytest.fixture
def bob():
    return make_user("Bob", last_name="Builder")
