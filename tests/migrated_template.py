"""A migrated database kept between test runs, which each test database is copied from.

Applying the ~60 migrations costs every test process (each pytest-xdist worker) 3–5 s of CPU at
the start of every run. Instead, the process that starts the run makes sure that a database
named after a digest of the migrations (and of Django's version) exists and is migrated, and
each test database is then created with PostgreSQL's ``CREATE DATABASE … TEMPLATE`` (Django's
``TEST["TEMPLATE"]``): a file copy, after which Django's own migrate finds nothing to apply.

Any change to a migration gives a new digest, hence a new template, built once; templates of
other digests are dropped then. A template is only ever written by ``migrate``, in a process
of its own, before any test database is copied from it."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import django
import psycopg2
from django.conf import settings
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parent.parent
PREFIX = "msp_test_tpl_"
KEPT = 3  # templates of other digests kept (another checkout's run may be copying one)
# Held while a template is built, so that two runs starting together build it once.
ADVISORY_LOCK_KEY = 72_201_612


def migrations_digest() -> str:
    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(BASE_DIR.glob("*/migrations/*.py")) + sorted(BASE_DIR.glob("*/*/migrations/*.py")):
        if ".venv" in path.parts:
            continue
        digest.update(str(path.relative_to(BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _server_connection():
    db = settings.DATABASES["default"]
    connection = psycopg2.connect(
        dbname="postgres",
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )
    connection.autocommit = True
    return connection


def _migrate(name: str) -> None:
    """``manage.py migrate`` on the template, in a process of its own (this one keeps its
    settings pointed at the test database)."""
    db = settings.DATABASES["default"]
    url = "postgres://{user}{password}@{host}{port}/{name}".format(
        user=db.get("USER") or "",
        password=f":{db['PASSWORD']}" if db.get("PASSWORD") else "",
        host=db.get("HOST") or "",
        port=f":{db['PORT']}" if db.get("PORT") else "",
        name=name,
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "migrate", "--verbosity", "0"],
        env=env,
        cwd=BASE_DIR,
        check=True,
    )


def migrated_template() -> str:
    """The name of the migrated template of the current migrations, built if need be."""
    name = PREFIX + migrations_digest()
    connection = _server_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            try:
                cursor.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY oid DESC",
                    [PREFIX.replace("_", r"\_") + "%"],
                )
                existing = [row[0] for row in cursor.fetchall()]
                if name not in existing:
                    _build(cursor, name)
                _drop_old(cursor, [other for other in existing if other != name][KEPT:])
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
    finally:
        connection.close()
    return name


def _drop_old(cursor, names: list[str]) -> None:
    for old in names:
        try:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(old)))
        except psycopg2.Error:  # being copied by a run of that other checkout: next time
            pass


def _build(cursor, name: str) -> None:
    """Built under a temporary name and renamed once migrated: a run stopped halfway leaves
    no template that looks ready."""
    building = name + "_new"
    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(building)))
    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
    _migrate(building)
    cursor.execute(
        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(building), sql.Identifier(name))
    )
