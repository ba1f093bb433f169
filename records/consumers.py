"""The live feed: a teacher's session page and the admin's dashboard listen here.

The consumer authenticates, authorises, joins groups named by records.live, and forwards events.
It writes nothing; pages fetch the current state over HTTP when they (re)connect.
"""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.consumers import OrganisationConsumerMixin, scoped_database_sync_to_async
from accounts.errors import DomainError
from records import live, selectors

# Close codes in the 4000 range are the application's: 4401 not logged in / no school,
# 4403 not allowed, 4404 no such session (or another school's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404


class LiveFeedConsumer(OrganisationConsumerMixin, AsyncJsonWebsocketConsumer):
    groups: list[str]

    async def connect(self) -> None:
        self.groups = []
        await self.accept()  # accept first, so the close code reaches the browser
        if not self.scope["user"].is_authenticated or await self.resolve_membership() is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        session_id = self.scope["url_route"]["kwargs"].get("public_id")
        if session_id is None:
            if not self.membership.is_admin:
                await self.close(code=CLOSE_FORBIDDEN)
                return
            group = live.organisation_group(self.organisation)
        else:
            group = await self._session_group(session_id)
            if group is None:
                await self.close(code=CLOSE_NOT_FOUND)
                return
        self.groups.append(group)
        await self.channel_layer.group_add(group, self.channel_name)
        await self.send_json({"type": "hello", "group": group.split("-", 1)[0]})

    @scoped_database_sync_to_async
    def _session_group(self, session_id: str) -> str | None:
        try:
            session = selectors.class_session_get(membership=self.membership, public_id=session_id)
        except DomainError:
            return None
        return live.session_group(session)

    async def disconnect(self, code: int) -> None:
        for group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Listeners only listen: a ping is answered (the page's heartbeat, which notices a
        connection that went silent without closing), anything else is ignored."""
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
