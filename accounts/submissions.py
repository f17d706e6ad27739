"""A form is saved once, however often it is sent: one-time form tokens.

Each page renders its form with a hidden token (`{% form_token %}`, accounts/templatetags). A view
decorated with `@submitted_once` claims the token before it does anything: the first sending
claims it, does the work and keeps the address its redirect led to; a second sending with the
same token (two taps, a retry after a dropped answer, a second tab) finds it claimed and is sent
to that address, with a word that it was saved once. Two sendings at the same moment meet at the
token's unique row: the second waits for the first to commit, then finds it. A sending the form
refuses (errors shown again) keeps nothing, so the corrected form can be sent with the token.

A POST without a token (an old page, a script) is served as before.
"""

import datetime
import functools
import uuid

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import FormSubmission

TOKEN_FIELD = "form_token"  # noqa: S105 - the name of a form field, not a secret
# How long a sent form is remembered: a page left open over a weekend and sent again is a new sending.
FORM_TOKEN_DAYS = 3


def new_token() -> str:
    return str(uuid.uuid4())


def _token(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(TOKEN_FIELD, ""))
    except ValueError:
        return None


def _done(response) -> bool:
    # The views answer a saved form with a redirect (post/redirect/get), a refused one with the page.
    return response.status_code in (301, 302, 303) and response.has_header("Location")


def submitted_once(view):
    """Do a view's POST once per form token; see the module's docstring."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = _token(request) if request.method == "POST" else None
        if token is None or not request.user.is_authenticated:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    submission = FormSubmission.objects.create(user=request.user, token=token)
            except IntegrityError:
                return _sent_before(request, token)
            response = view(request, *args, **kwargs)
            if _done(response):
                submission.result_url = response["Location"]
                submission.save(update_fields=["result_url"])
                _forget_old(request.user)
            else:
                # Refused or shown again: nothing is kept, the token stays free for the next try.
                transaction.set_rollback(True)
        return response

    return wrapper


def _sent_before(request, token):
    submission = FormSubmission.objects.filter(user=request.user, token=token).first()
    messages.info(request, _("This form was already sent and saved; it was not saved a second time."))
    return redirect(submission.result_url if submission and submission.result_url else request.path)


def _forget_old(user) -> None:
    cutoff = timezone.now() - datetime.timedelta(days=FORM_TOKEN_DAYS)
    FormSubmission.objects.filter(user=user, created_at__lt=cutoff).delete()
