from celery import shared_task
from django.conf import settings

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def notification_email_send_task(notification_ids: list[int]) -> int:
    return services.notification_email_send(
        notification_ids=notification_ids, base_url=getattr(settings, "PORTAL_BASE_URL", "")
    )
