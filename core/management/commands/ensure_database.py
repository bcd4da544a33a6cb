"""Creates the configured PostgreSQL database if it does not exist yet (first run on a new machine)."""
from __future__ import annotations

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand
from psycopg import sql


class Command(BaseCommand):
    help = "Create the database named by DATABASE_URL if it is missing."

    def handle(self, *args, **options) -> None:
        db = settings.DATABASES["default"]
        params = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"],
                  "dbname": "postgres"}
        conninfo = psycopg.conninfo.make_conninfo(**{name: str(value) for name, value in params.items() if value})
        with psycopg.connect(conninfo, autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
            if exists:
                self.stdout.write(f"database {db['NAME']} exists")
                return
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
            self.stdout.write(self.style.SUCCESS(f"created database {db['NAME']}"))
