"""Reads of the job-run log and of the beat's heartbeat."""

import datetime as dt

import redis
from django.conf import settings

BEAT_HEARTBEAT_KEY = "msp_portal:beat:last_sent"


def beat_last_ran() -> dt.datetime | None:
    """When the beat process last sent a scheduled task (None if never, or Redis forgot)."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        raw = client.get(BEAT_HEARTBEAT_KEY)
    finally:
        client.close()
    return dt.datetime.fromisoformat(raw.decode()) if raw else None
