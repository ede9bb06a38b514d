"""Handing a committed row's work to a worker without ever holding a request on the broker.

The row is the truth: it is written in the transaction of the change, and a beat sweep picks up
whatever a worker never got. So after commit the task is offered once, on a connection of its
own with short timeouts and no publish retries (Celery's defaults kept a request waiting 19 s
for a stopped Redis); if the broker does not take it, one warning is logged and the sweep does
the work a little later."""

import logging

logger = logging.getLogger(__name__)

# A stopped Redis refuses at once; a hung one is given this much per socket operation.
PUBLISH_TIMEOUT_SECONDS = 0.5


def hand_over(task, args: tuple, what: str) -> bool:
    """Offer ``task(*args)`` to a worker; False (never an exception) when the broker did not
    take it. ``what`` names the work in the warning ("2 e-mail(s)")."""
    app = task.app
    options = {
        **(app.conf.broker_transport_options or {}),
        "socket_timeout": PUBLISH_TIMEOUT_SECONDS,
        "socket_connect_timeout": PUBLISH_TIMEOUT_SECONDS,
    }
    try:
        with app.connection_for_write(transport_options=options) as connection:
            task.apply_async(args, connection=connection, retry_policy={"max_retries": 0}, ignore_result=True)
    except Exception as exc:  # the committed rows are the truth; the request must not fail
        logger.warning("%s left to the sweep, the broker did not take them: %s", what, exc)
        return False
    return True
