"""Every WebSocket route of the project; the permission matrix walks this list."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
