"""The benchmarks' own PostgreSQL database, made on first use."""

import psycopg
from django.db import connection
from psycopg import sql


def ensure_database() -> None:
    """Create the database DATABASE_URL names when it does not exist yet, as on a fresh machine
    (Django's pool would only report a timeout). Call before anything opens a connection."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    name = params.pop("dbname")
    try:
        psycopg.connect(dbname=name, **params).close()
        return
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"Created the database {name}")
