"""The Redis channel layer, with a receive that stops when it is cancelled.

On Python 3.11, `asyncio.wait_for` drops a cancellation that arrives just as the operation it
waits for completes, and returns that operation's result instead (CPython gh-86296; 3.12 rebuilt
wait_for on asyncio.timeout). redis-py writes every command through wait_for, as each socket has
a timeout. Channels cancels a consumer's receive when its WebSocket closes; if the cancellation
lands while a command is being written, channels_redis's loop goes on to its next BZPOPMIN,
and the next, for ever. Measured: 15 of 60 receives cancelled while they opened their first
connection never stopped. Under daphne the consumer was abandoned after 10 s with its receive
still polling Redis; under uvicorn (attendance_project/serve.py) the worker waited for it and
never finished shutting down.

Here the consumer stops waiting at once, and the receive is cancelled again until it stops: the
next cancellation lands in a read, which lets it through.
"""

import asyncio

from channels_redis.core import RedisChannelLayer as ChannelsRedisLayer

RECANCEL_SECONDS = 0.05


def cancel_until_done(task: asyncio.Task) -> None:
    """Cancel `task`, and again every RECANCEL_SECONDS until it has stopped."""
    if task.done():
        if not task.cancelled():
            task.exception()  # retrieved: a receive that failed as it was dropped is not news
        return
    task.cancel()
    asyncio.get_running_loop().call_later(RECANCEL_SECONDS, cancel_until_done, task)


class RedisChannelLayer(ChannelsRedisLayer):
    async def receive(self, channel: str) -> dict:
        receiving = asyncio.ensure_future(super().receive(channel))
        try:
            # Shielded, so that a cancellation reaches the caller even when the receive
            # swallows it; the receive is then stopped apart.
            return await asyncio.shield(receiving)
        except asyncio.CancelledError:
            cancel_until_done(receiving)
            raise
