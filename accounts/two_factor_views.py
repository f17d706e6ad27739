"""The two-factor pages: set up an authenticator app, enter a code, turn it off."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import two_factor


class CodeField(forms.CharField):
    def to_python(self, value):
        # Apps show the code as "123 456"; people type it so.
        return "".join(super().to_python(value).split())


class CodeForm(forms.Form):
    code = CodeField(
        label=gettext_lazy("Code from the app"),
        max_length=6,
        validators=[RegexValidator(r"^[0-9]{6}$", gettext_lazy("Enter the 6 digits the app shows."))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none"}
        ),
    )


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def _refused(form, error: two_factor.TwoFactorError) -> int:
    form.add_error("code", error.message)
    return 429 if error.throttled else 200


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Turn two-factor on: a QR code and the secret, then a code from the app to confirm it."""
    user = request.user
    has_device = two_factor.has_confirmed_device(user)
    if has_device and not user.is_verified():
        # The password alone must not change the second factor.
        return redirect(f"{reverse('two-factor-verify')}?next={reverse('two-factor')}")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if has_device:
            messages.info(request, _("Two-factor authentication is already on."))
            return redirect("two-factor")
        if form.is_valid():
            try:
                two_factor.two_factor_enable(request=request, token=form.cleaned_data["code"])
            except two_factor.TwoFactorError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, _("Two-factor authentication is on. Log-ins now ask for a code."))
                return redirect(_next_url(request))
    context = {
        "form": form,
        "has_device": has_device,
        "required": two_factor.two_factor_required(user),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    if has_device:
        context["disable_form"] = CodeForm(prefix="disable")
    else:
        device = two_factor.pending_device(user)
        context["secret"] = two_factor.secret_for_display(device)
        context["qr_svg"] = two_factor.qr_code_svg(
            device.config_url, label=_("QR code to scan with the authenticator app")
        )
    return render(request, "accounts/otp_setup.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Enter the code from the app once per log-in."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not two_factor.has_confirmed_device(user):
        # Nothing to verify against (turned off elsewhere): set one up, or carry on.
        request.session[two_factor.HAS_DEVICE_SESSION_KEY] = False
        target = "two-factor" if two_factor.two_factor_required(user) else "home"
        return redirect(target)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            two_factor.two_factor_verify(request=request, token=form.cleaned_data["code"])
        except two_factor.TwoFactorError as exc:
            status = _refused(form, exc)
        else:
            return redirect(_next_url(request))
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "accounts/otp_verify.html", context, status=status)


@login_required
@require_POST
def disable(request):
    """Turn two-factor off, with a current code; refused where the role requires it."""
    user = request.user
    if not user.is_verified():
        return redirect(f"{reverse('two-factor-verify')}?next={reverse('two-factor')}")
    form = CodeForm(request.POST, prefix="disable")
    context = {"disable_form": form, "has_device": True, "required": two_factor.two_factor_required(user)}
    if context["required"]:
        # The form is not even shown to them; a hand-made POST gets the reason.
        context["refusal"] = _("Your role requires two-factor authentication; it cannot be turned off.")
        return render(request, "accounts/otp_setup.html", context, status=403)
    status = 200
    if form.is_valid():
        try:
            two_factor.two_factor_disable(request=request, token=form.cleaned_data["code"])
        except two_factor.TwoFactorError as exc:
            status = _refused(form, exc)
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("two-factor")
    return render(request, "accounts/otp_setup.html", context, status=status)
