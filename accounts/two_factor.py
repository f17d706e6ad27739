"""Two-factor log-in with a time-based one-time code (TOTP, django-otp).

Anyone may turn it on; with REQUIRE_2FA_FOR_STAFF certification staff and auditors must. A
session that logged in with a password but has not yet entered a code is "unverified"; the
TwoFactorMiddleware (accounts/middleware.py) keeps such a session on the two-factor pages when
its user has a device, or must have one.

Whether the user has a device is read once, at log-in, and kept in the session: the middleware
then costs no query on the ordinary request. The pages here keep that note in step.
"""

import math
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import is_auditor, is_staff_member

# True when the session's user had a confirmed device at log-in (or turned one on since).
HAS_DEVICE_SESSION_KEY = "certdesk_two_factor_device"
DEVICE_NAME = "Authenticator app"
# The API's answer (403) to a session that still owes its code.
CODE_OWED_ON_API = gettext_lazy("Two-factor authentication is required: enter a code on the web page first.")


class TwoFactorError(Exception):
    """A refused two-factor step; the message is shown to the user."""

    def __init__(self, message, *, throttled: bool = False):
        super().__init__(message)
        self.message = message
        self.throttled = throttled


def two_factor_required(user) -> bool:
    """Whether this user may not work without a second factor under the current settings."""
    if not settings.REQUIRE_2FA_FOR_STAFF or not user.is_authenticated:
        return False
    # is_staff (the admin) and superusers first: no query for them.
    return user.is_staff or user.is_superuser or is_staff_member(user) or is_auditor(user)


def confirmed_devices(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("id")


def has_confirmed_device(user) -> bool:
    return confirmed_devices(user).exists()


def session_has_device(user, session) -> bool:
    """What the session noted at log-in; read from the database for sessions that noted nothing."""
    noted = session.get(HAS_DEVICE_SESSION_KEY)
    if noted is None:
        noted = has_confirmed_device(user)
        session[HAS_DEVICE_SESSION_KEY] = noted
    return noted


def owed_step(user, session) -> str | None:
    """What a session signed in as this user still owes before it may work: "verify", "setup" or None.

    "verify": the user has a device and this session has entered no code since the password;
    "setup": the user must have one (REQUIRE_2FA_FOR_STAFF) and has none yet. The user is
    request.user as django-otp's OTPMiddleware leaves it (with is_verified).
    """
    if not user.is_authenticated or user.is_verified():
        return None
    if session_has_device(user, session):
        return "verify"
    if two_factor_required(user):
        return "setup"
    return None


@receiver(user_logged_in, dispatch_uid="certdesk-two-factor-login")
def _note_device_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[HAS_DEVICE_SESSION_KEY] = has_confirmed_device(user)


def pending_device(user) -> TOTPDevice:
    """The device being set up: one unconfirmed device per user, kept until confirmed.

    Reloading the set-up page shows the same secret, so a code the app already shows stays valid.
    """
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _matching_device(devices, token: str):
    """The first device accepting the code, or None, and until when a throttled one waits.

    A wrong code counts against the device (django-otp doubles the wait after each), and that
    count must be committed: callers run this in a transaction they let commit, then raise.
    """
    throttled_until = None
    for device in devices:
        allowed, details = device.verify_is_allowed()
        if not allowed:
            until = (details or {}).get("locked_until") or timezone.now()
            throttled_until = max(throttled_until or until, until)
            continue
        if device.verify_token(token):
            return device, None
    return None, throttled_until


def _throttled_message(until) -> str:
    wait = max(1, math.ceil((until - timezone.now()).total_seconds()))
    return ngettext(
        "Too many wrong codes. Wait %(seconds)s second and try again.",
        "Too many wrong codes. Wait %(seconds)s seconds and try again.",
        wait,
    ) % {"seconds": wait}


def _refusal(throttled_until) -> TwoFactorError:
    if throttled_until is not None:
        return TwoFactorError(_throttled_message(throttled_until), throttled=True)
    return TwoFactorError(_("That code is not right. Enter the 6 digits the app shows now."))


def _mark_verified(request, device) -> None:
    # A session that gains a factor gets a new key, as at log-in: a key seen before is worth less.
    request.session.cycle_key()
    otp_login(request, device)
    request.session[HAS_DEVICE_SESSION_KEY] = True


def two_factor_enable(*, request, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app and count this session as verified."""
    user = request.user
    with transaction.atomic():
        if has_confirmed_device(user):
            raise TwoFactorError(_("Two-factor authentication is already on."))
        pending = TOTPDevice.objects.select_for_update().filter(pk=pending_device(user).pk)
        device, throttled_until = _matching_device(pending, token)
        if device is not None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if device is None:
        raise _refusal(throttled_until)
    _mark_verified(request, device)
    return device


def two_factor_verify(*, request, token: str) -> TOTPDevice:
    """Check a code against the user's devices and count this session as verified."""
    with transaction.atomic():
        device, throttled_until = _matching_device(confirmed_devices(request.user).select_for_update(), token)
    if device is None:
        raise _refusal(throttled_until)
    _mark_verified(request, device)
    return device


def two_factor_disable(*, request, token: str) -> None:
    """Turn two-factor off for the user, with a current code (a stolen session alone cannot)."""
    user = request.user
    if two_factor_required(user):
        raise TwoFactorError(_("Your role requires two-factor authentication; it cannot be turned off."))
    with transaction.atomic():
        devices = list(confirmed_devices(user).select_for_update())
        if not devices:
            raise TwoFactorError(_("Two-factor authentication is not on."))
        device, throttled_until = _matching_device(devices, token)
        if device is not None:
            TOTPDevice.objects.filter(user=user).delete()
    if device is None:
        raise _refusal(throttled_until)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[HAS_DEVICE_SESSION_KEY] = False


def secret_for_display(device) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(data: str, *, label: str) -> str:
    """An inline SVG QR code made here: no script, no image service, nothing leaves the server."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=12, border=4)
    svg = image.to_string(encoding="unicode")
    # The generator names no role; screen readers should announce one picture, not a path.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)
