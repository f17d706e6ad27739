from celery import shared_task
from django.contrib.auth import get_user_model

from accounts.services import invitation_email_send


# Run through the outbox (accounts.deliveries), which keeps the row, retries passing failures and
# sends the e-mail once.
@shared_task
def send_invitation_email(user_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        # Deleted between the request and the task: nothing left to invite.
        return False
    invitation_email_send(user=user)
    return True
