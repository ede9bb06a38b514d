"""What every scheduled task shares: retry transient failures only, acknowledge late."""

import kombu.exceptions
import redis
from django.db import InterfaceError, OperationalError

# A lost database or Redis connection is worth retrying; anything else is a bug or bad data that
# a retry would only repeat (the run is logged as failed, and the next beat tick runs again).
# kombu's OperationalError is what a publish from inside a task raises when the broker is gone.
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    kombu.exceptions.OperationalError,
)

SCHEDULED_TASK_OPTIONS = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 10,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
    "acks_late": True,
    "ignore_result": False,
}
