"""Each message rewrites its conversation's row: the schema keeps that UPDATE in place (HOT)."""
from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

COLUMNS_A_MESSAGE_CHANGES = {"last_message_id", "last_message_at", "updated_at",
                             "participant1_unread_count", "participant2_unread_count"}


def test_no_conversation_index_covers_a_column_that_every_message_changes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, a.attname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = ANY(x.indkey)"
            " WHERE x.indrelid = 'conversation'::regclass"
        )
        indexed = cursor.fetchall()
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'conversation'::regclass")
        options = cursor.fetchone()[0]

    assert {"participant1_id", "participant2_id"} <= {column for _, column in indexed}
    assert [(index, column) for index, column in indexed if column in COLUMNS_A_MESSAGE_CHANGES] == []
    assert "fillfactor=50" in options
