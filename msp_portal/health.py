"""/healthz: can this process reach its database and its Redis? (200 when both answer, else 503)"""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


def _check(probe) -> dict:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure means "unreachable"; the message helps the operator
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis():
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@never_cache
def healthz(request):
    checks = {"database": _check(_database), "redis": _check(_redis)}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )
