"""Bench data in the bench database: `python -m bench.fixtures USERS OUT.json [--reset]`.

Creates the users `bench_00000`... with tokens (only the missing ones, so reruns are quick),
writes `[[user_id, token], ...]` to OUT.json, and with `--reset` empties the chat tables so every
bench command starts from the same database size. Refuses to touch a database whose name does
not contain "bench".
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import orjson  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from chat.models import ChatMessage, Conversation  # noqa: E402

PREFIX = "bench_"


def ensure_users(count: int) -> list[tuple[int, str]]:
    User = get_user_model()
    names = [f"{PREFIX}{index:05d}" for index in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=name, first_name="Bench", last_name=name[len(PREFIX):], password=unusable)
         for name in names if name not in existing],
        batch_size=2000,
    )
    users = list(User.objects.filter(username__in=names).order_by("username").values_list("pk", flat=True))
    with_token = set(Token.objects.filter(user_id__in=users).values_list("user_id", flat=True))
    Token.objects.bulk_create(
        [Token(user_id=pk, key=Token.generate_key()) for pk in users if pk not in with_token], batch_size=2000
    )
    tokens = dict(Token.objects.filter(user_id__in=users).values_list("user_id", "key"))
    return [(pk, tokens[pk]) for pk in users]


def reset_chat_tables() -> None:
    tables = ", ".join(model._meta.db_table for model in (ChatMessage, Conversation))
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def main() -> None:
    count, out_path = int(sys.argv[1]), sys.argv[2]
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit(f"refusing to write bench data into {connection.settings_dict['NAME']!r}")
    if "--reset" in sys.argv:
        reset_chat_tables()
    with open(out_path, "wb") as out:
        out.write(orjson.dumps(ensure_users(count)))


if __name__ == "__main__":
    main()
