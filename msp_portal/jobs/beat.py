"""The beat's heartbeat: every time the beat process sends a scheduled task it stamps the time
in Redis, so /healthz can say when beat last ran (a worker-side record would also go quiet when
only the workers are down)."""

import datetime as dt

import redis
from celery.signals import beat_init, before_task_publish
from django.conf import settings

from .selectors import BEAT_HEARTBEAT_KEY

_in_beat = False


@beat_init.connect
def _mark_beat_process(sender=None, **kwargs):
    global _in_beat
    _in_beat = True
    _stamp()


@before_task_publish.connect
def _stamp_on_send(sender=None, **kwargs):
    if _in_beat:
        _stamp()


def _stamp() -> None:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.set(BEAT_HEARTBEAT_KEY, dt.datetime.now(dt.UTC).isoformat())
        client.close()
    except redis.RedisError:  # the heartbeat must never stop the beat from sending the task itself
        pass
