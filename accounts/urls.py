from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import two_factor_views, views
from accounts.lockout import lockout_minutes

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html",
            redirect_authenticated_user=True,
            # Said beside a refused log-in, so the lockout after repeated failures is no surprise.
            extra_context={
                "failure_limit": settings.AXES_FAILURE_LIMIT,
                "lockout_minutes": lockout_minutes(),
            },
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/set/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="accounts/password_set.html"),
        name="password_reset_confirm",
    ),
    path(
        "password/set/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set_done.html"),
        name="password_reset_complete",
    ),
    path("account/two-factor/", two_factor_views.setup, name="two-factor"),
    path("account/two-factor/verify/", two_factor_views.verify, name="two-factor-verify"),
    path("account/two-factor/disable/", two_factor_views.disable, name="two-factor-disable"),
]
