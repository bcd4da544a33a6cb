"""The project's REST view sets: every action is counted per user (per address for anonymous
callers) against the `user` rate, and the actions a view names in `throttle_scopes` also against
their own rate. The counters live in the shared cache (Redis), so every server process counts
together.

A view set whose actions include a coroutine (those that await the workers, `core.api.tasks`)
is served asynchronously (adrf); its other actions run on the request's thread as usual.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from adrf import viewsets
from rest_framework import decorators
from rest_framework.throttling import BaseThrottle, ScopedRateThrottle, UserRateThrottle

from core.api.fields import PATH_ID


class ApiViewSet(viewsets.GenericViewSet):
    throttle_scopes: ClassVar[dict[str, str]] = {}
    lookup_value_regex = PATH_ID

    def get_throttles(self) -> list[BaseThrottle]:
        self.throttle_scope = self.throttle_scopes.get(self.action or "")
        return [UserRateThrottle(), ScopedRateThrottle()]

    @property
    def user_id(self) -> int:
        """The caller's id (every view set requires an authenticated caller; the schema generator's
        stand-in request, which has none, reads as user 0, who owns nothing)."""
        return self.request.user.pk or 0


Action = TypeVar("Action", bound=Callable[..., Any])


def action(**options: Any) -> Callable[[Action], Action]:
    """DRF's `@action`, typed for coroutine actions too (its stubs accept only functions that
    return a response)."""
    return cast(Callable[[Action], Action], decorators.action(**options))
