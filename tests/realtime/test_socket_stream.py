"""One socket's place in its stream (realtime.stream.SocketStream): live events in order and once,
holes filled from the table, resumes and their refusals. Real PostgreSQL, a list for a socket."""
from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from realtime import frames, stream
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


class Socket:
    def __init__(self) -> None:
        self.written: list[tuple[frames.Frame, object]] = []
        self.written_already: list[tuple[frames.Frame, object]] = []

    async def write(self, frame: frames.Frame, context: object) -> None:
        self.written.append((frame, context))

    async def repeat(self, frame: frames.Frame, context: object) -> None:
        self.written_already.append((frame, context))

    def seqs(self) -> list[int]:
        return [frame["seq"] for frame, _ in self.written if "seq" in frame]

    def types(self) -> list[str]:
        return [frame["type"] for frame, _ in self.written]


async def record(user_id: int, count: int) -> list[frames.Frame]:
    """`count` events of the user's chat stream, as the live path would push them."""
    events = [{"type": "read_receipt", "message_id": number + 1} for number in range(count)]
    numbered = await sync_to_async(stream.record)([(user_id, "chat", event) for event in events])
    return [frames.with_seq(event, seq) for event, seq in zip(events, numbered, strict=True)]


async def opened(user_id: int) -> tuple[stream.SocketStream, Socket]:
    socket = Socket()
    socket_stream = stream.SocketStream(user_id=user_id, family="chat", write=socket.write,
                                        written_already=socket.repeat)
    await socket_stream.open()
    return socket_stream, socket


async def test_live_events_are_written_in_order_once_whatever_order_they_arrive_in():
    user = await sync_to_async(factories.make_user)()
    await record(user.pk, 2)
    socket_stream, socket = await opened(user.pk)
    assert socket_stream.position == 2
    third, fourth, fifth = await record(user.pk, 3)

    await socket_stream.live(fourth, "reply-4")  # overtook the third on the way
    assert socket.written == []
    await socket_stream.live(third, None)
    await socket_stream.live(third, None)  # the same event twice
    await socket_stream.live(fifth, None)

    assert socket.seqs() == [3, 4, 5]
    assert socket.written[1] == (fourth, "reply-4")
    assert socket_stream.gap_timer is None


async def test_a_hole_that_stays_open_is_filled_from_the_table(monkeypatch):
    monkeypatch.setattr(stream, "GAP_WAIT_SECONDS", 0.05)
    user = await sync_to_async(factories.make_user)()
    socket_stream, socket = await opened(user.pk)
    lost, arrived = await record(user.pk, 2)

    await socket_stream.live(arrived, None)
    await asyncio.sleep(0.3)

    assert socket.written == [(lost, None), (arrived, None)]
    assert socket_stream.position == 2 and not socket_stream.held


async def test_a_resume_replays_what_was_missed_then_says_resumed_and_live_events_go_on():
    user = await sync_to_async(factories.make_user)()
    await record(user.pk, 3)
    socket_stream, socket = await opened(user.pk)

    assert await socket_stream.resume(1)

    assert socket.types() == ["read_receipt", "read_receipt", "resumed"]
    assert socket.seqs() == [2, 3] and all(frame["replayed"] for frame, _ in socket.written[:2])
    assert socket.written[-1][0] == frames.resumed(since=1, last_seq=3)
    (fourth,) = await record(user.pk, 1)
    await socket_stream.live(fourth, None)
    assert socket.seqs() == [2, 3, 4]


async def test_a_resume_pages_through_a_long_absence(monkeypatch):
    monkeypatch.setattr(stream, "REPLAY_PAGE", 3)
    user = await sync_to_async(factories.make_user)()
    await record(user.pk, 8)
    socket_stream, socket = await opened(user.pk)
    assert await socket_stream.resume(0)
    assert socket.seqs() == list(range(1, 9))


@pytest.mark.parametrize("since", [7, 0])
async def test_a_resume_the_stream_cannot_serve_is_resync_required(since):
    """Past the newest event, or from before the oldest one kept."""
    user = await sync_to_async(factories.make_user)()
    await record(user.pk, 5)
    await sync_to_async(lambda: stream.Event.objects.filter(user_id=user.pk, seq__lte=2).delete())()
    socket_stream, socket = await opened(user.pk)

    assert not await socket_stream.resume(since)

    assert socket.written == [(frames.resync_required(since=since, oldest_seq=3, last_seq=5), None)]
    (sixth,) = await record(user.pk, 1)
    await socket_stream.live(sixth, None)
    assert socket.seqs() == [6]


async def test_the_periodic_check_writes_what_was_committed_by_the_previous_check_and_never_arrived():
    user = await sync_to_async(factories.make_user)()
    socket_stream, socket = await opened(user.pk)
    arrived, lost = await record(user.pk, 2)
    await socket_stream.live(arrived, None)

    assert await socket_stream.catch_up(2) == 0  # may still be on its way
    assert await socket_stream.catch_up(2) == 1  # still missing a whole check later: lost
    assert socket.written == [(arrived, None), (lost, None)]
    (third,) = await record(user.pk, 1)
    await socket_stream.live(third, None)
    assert await socket_stream.catch_up(3) == 0 and socket.seqs() == [1, 2, 3]


async def test_a_live_reply_whose_event_came_from_the_table_first_is_still_answered():
    """The sending socket resumed (or filled a hole) before its `message_sent` arrived live: the
    frame is not written twice, but its context (the send it answers) is handed on."""
    user = await sync_to_async(factories.make_user)()
    socket_stream, socket = await opened(user.pk)
    (event,) = await record(user.pk, 1)
    assert await socket_stream.resume(0)

    await socket_stream.live(frames.as_reply(event, "message_sent"), "t:draft-1")
    await socket_stream.live(event, None)

    assert socket.seqs() == [1] and socket.written_already == [(frames.as_reply(event, "message_sent"), "t:draft-1")]
