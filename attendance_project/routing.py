"""Every WebSocket route of the project; the permission matrix walks this list."""

from django.urls import path

from recognition.consumers import CameraConsumer
from records.consumers import LiveFeedConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveFeedConsumer.as_asgi(), name="ws_live_organisation"),
    path("ws/sessions/<uuid:public_id>/live/", LiveFeedConsumer.as_asgi(), name="ws_live_session"),
    path("ws/sessions/<uuid:public_id>/camera/", CameraConsumer.as_asgi(), name="ws_camera"),
]
