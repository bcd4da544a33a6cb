"""Who sees whose presence: the default policy, a narrowing policy, and the answers built on them."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from chat.models import Conversation
from core.redis import sync_client
from presence import keys, selectors, services

pytestmark = pytest.mark.django_db

NARROWING_POLICY = "tests.presence.test_visibility.hidden_from_user_named_carol"


def hidden_from_user_named_carol(user_id: int, viewer_ids: list[int]) -> list[int]:
    from django.contrib.auth import get_user_model

    carols = set(get_user_model().objects.filter(username="carol").values_list("pk", flat=True))
    return [viewer_id for viewer_id in viewer_ids if viewer_id not in carols]


@pytest.fixture
def people(django_user_model):
    alice, bob, carol, stranger = (django_user_model.objects.create_user(username=name) for name in ("alice", "bob", "carol", "stranger"))
    for one, other in ((alice, bob), (alice, carol)):
        low, high = sorted((one.pk, other.pk))
        Conversation.objects.create(participant1_id=low, participant2_id=high)
    return alice.pk, bob.pk, carol.pk, stranger.pk


def go_online(user_id: int) -> None:
    async_to_sync(services.touch_connection)(user_id=user_id, connection=f"socket-{user_id}")


def go_offline(user_id: int) -> None:
    async_to_sync(services.close_connection)(user_id=user_id, connection=f"socket-{user_id}")


def test_contacts_see_each_other_by_default(people):
    alice, bob, carol, stranger = people
    for user_id in people:
        go_online(user_id)

    assert selectors.online_contacts(bob) == [alice]
    assert selectors.online_contacts(alice) == sorted([bob, carol])
    assert selectors.online_contacts(stranger) == []
    assert selectors.audience(alice) == sorted([bob, carol])
    assert selectors.can_see(bob, alice) and selectors.can_see(alice, alice)
    assert not selectors.can_see(stranger, alice) and not selectors.can_see(bob, carol)


def test_online_status_tells_a_contact_the_truth_with_last_seen(people):
    alice, bob, _, _ = people
    go_online(alice)
    online = selectors.online_status_frame(viewer_id=bob, user_id=alice)
    assert online["is_online"] is True and online["last_seen"].endswith("Z")

    go_offline(alice)
    offline = selectors.online_status_frame(viewer_id=bob, user_id=alice)
    assert offline["is_online"] is False and offline["last_seen"].endswith("Z")
    assert offline["last_seen"] <= offline["timestamp"]


def test_online_status_of_a_stranger_reveals_nothing(people):
    alice, _, _, stranger = people
    go_online(alice)
    frame = selectors.online_status_frame(viewer_id=stranger, user_id=alice)
    assert frame["is_online"] is False and frame["last_seen"] is None


def test_a_narrowing_policy_hides_the_user_from_the_viewers_it_excludes(people, settings):
    settings.PRESENCE_VISIBILITY_POLICY = NARROWING_POLICY
    alice, bob, carol, _ = people
    go_online(alice)

    assert selectors.audience(alice) == [bob]
    assert selectors.online_contacts(carol) == []
    assert selectors.visible_online_among(carol, [alice]) == set()
    assert selectors.visible_online_among(bob, [alice]) == {alice}
    assert selectors.online_status_frame(viewer_id=carol, user_id=alice)["is_online"] is False
    assert selectors.online_status_frame(viewer_id=bob, user_id=alice)["is_online"] is True


def test_announcement_waits_out_the_grace_and_then_goes_out_once(people, settings):
    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 30
    alice = people[0]
    go_online(alice)
    assert services.announce_if_changed(user_id=alice) == services.Announcement(sent=True)
    assert services.announce_if_changed(user_id=alice) == services.Announcement(sent=False)

    go_offline(alice)
    waiting = services.announce_if_changed(user_id=alice)
    assert not waiting.sent and 25 < waiting.retry_in <= 30
    assert sync_client().sismember(keys.ANNOUNCED_ONLINE, alice)

    settings.PRESENCE_OFFLINE_GRACE_SECONDS = 0
    assert services.announce_if_changed(user_id=alice) == services.Announcement(sent=True)
    assert not sync_client().sismember(keys.ANNOUNCED_ONLINE, alice)
