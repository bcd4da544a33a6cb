"""The demo page (`/`), its assets, and the people directory it starts conversations from.

The page needs no build step: the browser loads the ES modules of web/client and web/demo as
they are. Assets are served from an allow-listed part of web/ only (never node_modules or tests).
The page, its own modules and the people directory exist only with `DEMO_ENABLED` (web/urls.py),
which defaults to `DEBUG`: a production server does not list its users to whoever logs in.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.static import serve
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.users import user_summary

WEB_ROOT = Path(__file__).resolve().parent
PEOPLE_LIMIT = 50
QUERY_MAX_LENGTH = 100


@require_safe
def demo_page(request: HttpRequest) -> HttpResponse:
    # The demo users' password is printed by scripts/run-stack.sh; show it on development servers only.
    return render(request, "demo/index.html", {"show_demo_hint": settings.DEBUG})


@require_safe
def web_asset(request: HttpRequest, path: str) -> HttpResponseBase:
    response = serve(request, path, document_root=str(WEB_ROOT))
    # Modules change with the code; the browser revalidates instead of running a stale copy.
    response["Cache-Control"] = "no-cache"
    return response


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    full_name = serializers.CharField()
    avatar = serializers.CharField(allow_null=True)


class PeopleView(APIView):
    """Active users other than the caller, by name, to start a conversation with."""

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Part of a username or name")],
        responses={200: inline_serializer("People", {"people": PersonSerializer(many=True)})},
    )
    def get(self, request):
        query = request.query_params.get("q", "").strip()[:QUERY_MAX_LENGTH]
        people = get_user_model().objects.filter(is_active=True).exclude(pk=request.user.pk)
        if query:
            people = people.filter(
                Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
            )
        return Response({"people": [user_summary(user) for user in people.order_by("username")[:PEOPLE_LIMIT]]})
