"""The Redis channel layer (attendance_project/channel_layer.py): a receive that is cancelled
stops, wherever the cancellation lands, so a closed WebSocket leaves nothing polling Redis."""

import asyncio

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from attendance_project.channel_layer import RedisChannelLayer

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="the Redis channel layer needs REDIS_URL (the embedded default is in memory)",
    ),
]


def fresh_layer() -> RedisChannelLayer:
    """A layer with no connection yet, as each worker process starts: the first receive opens
    one, which is where Python 3.11's wait_for drops cancellations."""
    return RedisChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])


def test_the_project_uses_this_layer():
    assert isinstance(get_channel_layer(), RedisChannelLayer)


async def test_a_receive_cancelled_at_any_step_of_its_start_stops():
    # 0 to 15 turns of the event loop covers connecting, the handshake and the first commands
    # (with channels_redis's own layer, cancellations after 9 to 11 turns were lost).
    for turns in range(16):
        layer = fresh_layer()
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        for _ in range(turns):
            await asyncio.sleep(0)

        receiving.cancel()
        done, _ = await asyncio.wait({receiving}, timeout=2)

        assert done == {receiving}, f"still receiving after {turns} turns"
        assert receiving.cancelled()
        # The receive inside is stopped too: no one is left waiting on the channel.
        for _ in range(40):
            if layer.receive_count == 0:
                break
            await asyncio.sleep(0.05)
        assert layer.receive_count == 0, f"the inner receive went on after {turns} turns"
        await layer.flush()


async def test_messages_still_arrive():
    layer = fresh_layer()
    channel = await layer.new_channel()
    try:
        await layer.send(channel, {"type": "check_in", "student": "A-1"})

        assert await asyncio.wait_for(layer.receive(channel), 10) == {
            "type": "check_in",
            "student": "A-1",
        }
    finally:
        await layer.flush()
