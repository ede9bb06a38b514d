"""/healthz: can this process reach its database and its Redis? (200 when both answer, else 503)

It also says when the beat last sent a scheduled job (``beat.last_ran_at``). That part is for
operators and monitors and never turns the answer into a 503: web pages are still served with
the beat stopped, and a load balancer must not take the web down for it."""

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from msp_portal.jobs.selectors import beat_last_ran

BEAT_STALE_AFTER = 15 * 60  # seconds: three missed auto-submit ticks


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


def _beat() -> dict:
    """When the beat last sent a job; ``stale`` once it has been quiet longer than the most
    frequent entry (auto-submit, every 5 minutes) allows."""
    try:
        last = beat_last_ran()
    except redis.RedisError:
        return {"last_ran_at": None, "seconds_ago": None, "stale": True}
    if last is None:
        return {"last_ran_at": None, "seconds_ago": None, "stale": True}
    ago = (timezone.now() - last).total_seconds()
    return {"last_ran_at": last.isoformat(), "seconds_ago": round(ago), "stale": ago > BEAT_STALE_AFTER}


@never_cache
def healthz(request):
    checks = {"database": _check(_database), "redis": _check(_redis)}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks, "beat": _beat()},
        status=200 if healthy else 503,
    )
