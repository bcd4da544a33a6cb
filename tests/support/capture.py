"""What the code under test would push to sockets, captured where the fan-out module publishes.

The one place where the tests reach into the fan-out module: if it moves, the import below moves
with it and nothing else changes. Every frame leaves through that module's publisher, whichever
service pushed it and whether it pushed at once or after a commit, so recording the publisher's
input is recording exactly what the sockets would have been sent.
"""
from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest

from realtime import fanout
from realtime.fanout import Push

__all__ = ["Published", "Push", "committed", "published"]


class Published(list):
    """Every `Push` published, in order; stands in for the fan-out module's publisher.

    A durable frame's `seq`, which the event stream numbers (tests/realtime/test_stream.py), is
    kept apart in `seqs` (None for an ephemeral frame), so that the apps' tests compare frames as
    their services built them."""

    def __init__(self) -> None:
        super().__init__()
        self.seqs: list[int | None] = []

    def publish(self, pushes: list[Push]) -> None:
        for push in pushes:
            frame = dict(push.frame)
            self.seqs.append(frame.pop("seq", None))
            self.append(replace(push, frame=frame))

    def types(self) -> list[str]:
        return [push.frame["type"] for push in self]


@pytest.fixture
def published(monkeypatch) -> Published:
    """The pushes published during the test. Nothing reaches Redis: a push made after commit is
    recorded when the commit's hooks run (see `committed`), one made at once is recorded at once."""
    published = Published()
    monkeypatch.setattr(fanout, "_pipelined_publisher", lambda: published)
    return published


@pytest.fixture
def committed(django_capture_on_commit_callbacks, published):
    """`with committed(): ...` runs the on-commit hooks that the block registered at its end, as if
    its writes had been committed (under the `db` fixture the test's transaction never commits).
    The frames those hooks push are recorded in `published`, never sent."""
    return partial(django_capture_on_commit_callbacks, execute=True)
