from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.views import i18n as i18n_views

from accounts.lockout import password_reset_allowed


def set_language(request):
    """The footer's language switch: Django's set_language, and for a logged-in person the choice
    is also kept on their account, so e-mails and a log-in on another device follow it."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    if (
        request.method == "POST"
        and request.user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and request.user.language != language
    ):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's page for a password-reset link, with its e-mails limited (accounts/lockout.py).

    Past a limit the page answers exactly as when a link goes out: no one learns whether an
    account has the address, nor that anyone has asked too often; only the e-mail does not come.
    """

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset_body.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"

    def form_valid(self, form):
        if password_reset_allowed(request=self.request, email=form.cleaned_data["email"]):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())
