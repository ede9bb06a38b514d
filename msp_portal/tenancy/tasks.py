from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def membership_invitation_send_task(membership_id: int, new_account: bool, base_url: str) -> int:
    """Send one invitation e-mail; returns 1 when sent, 0 when the membership no longer exists."""
    return int(
        services.membership_invitation_send(
            membership_id=membership_id, new_account=new_account, base_url=base_url
        )
    )
