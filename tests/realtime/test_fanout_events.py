"""The fan-out module's channel-layer events: one per target, frames in order, replies marked."""
from __future__ import annotations

from realtime.fanout import Push, layer_events


def test_pushes_to_one_target_share_one_event_in_their_order():
    events = layer_events([
        Push(frame={"n": 1}, user_id=7),
        Push(frame={"n": 2}, user_id=8, reply_channel="sockets.a", reply_type="message_sent", reply_to="t:1"),
        Push(frame={"n": 3}, user_id=7),
        Push(frame={"n": 4}, user_id=7, family="notifications"),
        Push(frame={"n": 5}, channel="sockets.b"),
    ])

    assert [(method, target) for method, target, _ in events] == [
        ("group_send", "chat_user_7"), ("group_send", "chat_user_8"), ("group_send", "notifications_user_7"),
        ("send", "sockets.b")]
    assert events[0][2] == {"type": "push.frames", "frames": [{"frame": {"n": 1}}, {"frame": {"n": 3}}]}
    assert events[1][2]["frames"] == [{"frame": {"n": 2}, "reply_channel": "sockets.a", "reply_type": "message_sent",
                                       "reply_to": "t:1"}]
    assert events[3][2]["frames"] == [{"frame": {"n": 5}, "reply_channel": "sockets.b", "reply_type": None,
                                       "reply_to": None}], "a push to one socket answers that socket"
