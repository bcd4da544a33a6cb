"""Creates two demo users (idempotent) and prints their tokens and the URLs to try."""
from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

DEMO_USERS = [("alice", "Alice", "Anders"), ("bob", "Bob", "Brown")]
DEMO_PASSWORD = "demo-password-123"


class Command(BaseCommand):
    help = "Create the demo users alice and bob and print their tokens."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        port = os.environ.get("PORT", "8000")
        for username, first_name, last_name in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first_name, "last_name": last_name}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            token, _ = Token.objects.get_or_create(user=user)
            self.stdout.write(f"{username:6} id={user.pk:<4} password={DEMO_PASSWORD}  token={token.key}")
        self.stdout.write(
            f"\nDemo page   http://localhost:{port}/\n"
            f"Chat socket ws://localhost:{port}/ws/chat/?token=<token>\n"
            f"REST API    http://localhost:{port}/api/v1/communication/  (docs: /api/docs/)\n"
            f"Admin       http://localhost:{port}/admin/\n"
            f"Flower      http://localhost:{os.environ.get('FLOWER_PORT', '5555')}/\n"
        )
