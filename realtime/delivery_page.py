"""The admin's delivery page of one message or notification: "why didn't user X get Y?"
(docs/operations.md, "The delivery page"). A ModelAdmin mixes it in and says what the object's
timeline is; the page adds the sockets it was written to (realtime.delivery_log) and the event
that carried it in the recipient's stream."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from realtime import delivery_log
from realtime.models import Event

# What the "Delivered" time is: the receipt's, which follows the first write by the receipt batch's window.
DELIVERED = "when the receipt of its first write to a socket was recorded (or the client's own delivery receipt)"


@dataclass(frozen=True)
class Step:
    """One line of the timeline: what happened (or has not: `at` None), and a detail."""

    what: str
    at: datetime | None
    detail: str = ""


class DeliveryPageMixin:
    """For a ModelAdmin: `<id>/delivery/`, a "delivery" column linking to it, and the page."""

    delivery_kind: ClassVar[delivery_log.Kind]
    # The durable frame that carries the object to its recipient: its family, type and id path.
    delivery_frame: ClassVar[tuple[str, str, str]]

    def delivery_timeline(self, obj: Any) -> list[Step]:
        raise NotImplementedError

    def delivery_recipient_id(self, obj: Any) -> int:
        raise NotImplementedError

    def delivery_notes(self, obj: Any) -> list[str]:
        """What else explains what the recipient saw (a mute, a block)."""
        return []

    def get_urls(self) -> list[URLPattern]:
        opts = self.model._meta  # type: ignore[attr-defined]
        view = self.admin_site.admin_view(self.delivery_view)  # type: ignore[attr-defined]
        return [path("<int:object_id>/delivery/", view, name=f"{opts.app_label}_{opts.model_name}_delivery"),
                *super().get_urls()]  # type: ignore[misc]

    @admin.display(description="delivery")
    def delivery_link(self, obj: models.Model) -> str:
        opts = obj._meta
        return format_html('<a href="{}">delivery</a>',
                           reverse(f"admin:{opts.app_label}_{opts.model_name}_delivery", args=[obj.pk]))

    def delivery_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=object_id)  # type: ignore[attr-defined]
        if not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        recipient_id = self.delivery_recipient_id(obj)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": obj._meta, "original": obj, "title": f"Delivery of {obj._meta.verbose_name} {obj.pk}",
            "timeline": self.delivery_timeline(obj),
            "writes": delivery_log.writes_of(kind=self.delivery_kind, object_id=obj.pk),
            "events": self.stream_events(recipient_id, obj.pk), "recipient_id": recipient_id,
            "notes": self.delivery_notes(obj),
        }
        return TemplateResponse(request, "admin/delivery.html", context)

    def stream_events(self, user_id: int, object_id: int) -> list[Event]:
        """The recipient's stream events that carried the object (while the stream keeps them)."""
        family, frame_type, id_path = self.delivery_frame
        return list(Event.objects.filter(user_id=user_id, family=family, frame__type=frame_type,
                                         **{f"frame__{id_path}": object_id}).order_by("seq"))
