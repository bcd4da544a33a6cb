"""`presence.services` in-process: who is told what when a user's presence changes, and when two
people become contacts. The Lua transitions behind them, the sweep and the per-user cap have their
own tests against real Redis (tests/presence/test_scripts.py)."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from presence import selectors, services
from realtime import frames
from tests.factories import make_conversation, make_user
from tests.support.capture import Push

pytestmark = pytest.mark.django_db

NOW = "2030-01-02T03:04:05.678Z"


def hidden_from_carol(user_id: int, viewer_ids: list[int]) -> list[int]:
    """A `PRESENCE_VISIBILITY_POLICY` for the tests: nobody named Carol sees anyone."""
    from django.contrib.auth import get_user_model

    carols = set(get_user_model().objects.filter(first_name="Carol").values_list("pk", flat=True))
    return [viewer_id for viewer_id in viewer_ids if viewer_id not in carols]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Frames carry the time they were made (stamped by the frame catalogue); a fixed one makes them
    comparable as a whole."""
    monkeypatch.setattr(frames, "now_iso", lambda: NOW)


@pytest.fixture
def people():
    """Alice, and her contacts Bob and Carol; Dave shares no conversation with anyone."""
    alice, bob, carol, dave = (make_user(name) for name in ("Alice", "Bob", "Carol", "Dave"))
    make_conversation(alice, bob)
    make_conversation(carol, alice)
    return alice, bob, carol, dave


def go_online(user) -> None:
    async_to_sync(services.touch_connection)(user_id=user.pk, connection=f"chat-{user.pk}")


def go_offline(user) -> None:
    async_to_sync(services.close_connection)(user_id=user.pk, connection=f"chat-{user.pk}")


def announce(user) -> services.Announcement:
    return services.announce_if_changed(user_id=user.pk)


def introduce(one, other) -> None:
    make_conversation(one, other)
    services.introduce_contacts((one.pk, other.pk))


def status(user, viewer, is_online: bool, **fields) -> Push:
    """What `viewer` is told about `user`."""
    return Push(frame={"type": "online_status_changed", "user_id": user.pk, "is_online": is_online, "timestamp": NOW,
                       **fields}, user_id=viewer.pk)


# Announcements ---------------------------------------------------------------------------------

def test_coming_online_is_told_to_each_contact_once(people, published):
    alice, bob, carol, _ = people
    go_online(alice)

    assert announce(alice) == services.Announcement(sent=True)
    assert announce(alice) == services.Announcement(sent=False)

    assert published == [status(alice, bob, True), status(alice, carol, True)]


def test_going_offline_is_told_with_last_seen_once_the_grace_is_over(people, published, settings):
    alice, bob, carol, _ = people
    go_online(alice)
    announce(alice)
    published.clear()
    go_offline(alice)

    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 30
    waiting = announce(alice)
    assert not waiting.sent and 0 < waiting.retry_in <= 30 and published == []

    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 0
    assert announce(alice) == services.Announcement(sent=True)
    assert announce(alice) == services.Announcement(sent=False, retry_in=None)
    last_seen = selectors.last_seen(alice.pk)
    assert last_seen is not None
    assert published == [status(alice, bob, False, last_seen=last_seen),
                         status(alice, carol, False, last_seen=last_seen)]


def test_nothing_is_told_about_a_user_who_never_changed_or_to_strangers(people, published):
    alice, _, _, dave = people
    assert announce(alice) == services.Announcement(sent=False, retry_in=None)
    go_online(dave)
    assert announce(dave) == services.Announcement(sent=True)
    assert published == []


def test_a_narrowing_policy_keeps_the_viewers_it_hides_out_of_the_announcement(people, published, settings):
    settings.PRESENCE_VISIBILITY_POLICY = f"{__name__}.hidden_from_carol"
    alice, bob, _, _ = people
    go_online(alice)

    announce(alice)

    assert published == [status(alice, bob, True)]


# New contacts ----------------------------------------------------------------------------------

def online_and_announced(*users) -> None:
    for user in users:
        go_online(user)
        announce(user)


def test_new_contacts_who_are_online_learn_it_of_each_other(people, published):
    _, bob, carol, _ = people
    online_and_announced(bob, carol)
    published.clear()

    introduce(bob, carol)

    assert published == [status(bob, carol, True), status(carol, bob, True)]


def test_a_coming_online_still_to_be_announced_is_left_to_its_announcement(people, published):
    alice, bob, carol, _ = people
    online_and_announced(bob)
    go_online(carol)
    published.clear()

    introduce(bob, carol)
    assert published == [status(bob, carol, True)]

    announce(carol)
    assert published[1:] == [status(carol, alice, True), status(carol, bob, True)]


@pytest.mark.parametrize("offline_announced", [True, False])
def test_a_new_contact_who_went_offline_is_not_introduced(offline_announced, people, published, settings):
    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 0
    _, bob, carol, _ = people
    online_and_announced(bob, carol)
    go_offline(carol)
    if offline_announced:
        announce(carol)
    published.clear()

    introduce(bob, carol)

    assert published == [status(bob, carol, True)]


def test_a_new_contact_the_policy_hides_from_is_not_told(people, published, settings):
    settings.PRESENCE_VISIBILITY_POLICY = f"{__name__}.hidden_from_carol"
    _, bob, carol, _ = people
    online_and_announced(bob, carol)
    published.clear()

    introduce(bob, carol)

    assert published == [status(carol, bob, True)]
