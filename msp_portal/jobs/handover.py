"""Handing a committed row's work to a worker without ever holding a request on the broker.

The row is the truth: it is written in the transaction of the change, and a beat sweep picks up
whatever a worker never got. So after commit the task is offered once, on a connection of its
own with short timeouts and no publish retries (Celery's defaults kept a request waiting 19 s
for a stopped Redis); if the broker does not take it, one warning is logged and the sweep does
the work a little later."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)

# A stopped Redis refuses at once; a hung one is given this much per socket operation.
PUBLISH_TIMEOUT_SECONDS = 0.5


def hand_over(task_name: str, args: tuple, what: str) -> bool:
    """Offer the task of that registered name to a worker with ``args``; False (never an
    exception) when the broker did not take it. ``what`` names the work in the warning. By
    name, so that a service hands work over without importing the worker's code."""
    app = current_app
    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_timeout": PUBLISH_TIMEOUT_SECONDS,
        "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
    }
    try:
        with app.connection_for_write(transport_options=options) as connection:
            app.send_task(
                task_name, args, connection=connection, retry_policy={"max_retries": 0}, ignore_result=True
            )
    except Exception as exc:  # the committed rows are the truth; the request must not fail
        logger.warning("%s left to the sweep, the broker did not take them: %s", what, exc)
        return False
    return True
