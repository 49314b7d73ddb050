"""Staff accounts, mounted at /accounts/: log in and out, and reset a forgotten password by
e-mail (Django's views with the templates in templates/registration/), and the login's second
step, a code from the authenticator app (staff/two_factor.py). Permission: anyone, since these
are the way in; only staff accounts are sent a reset link (`StaffPasswordResetForm`)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import account_views
from .forms import StaffPasswordResetForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("login/code/", account_views.login_code, name="login-code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(form_class=StaffPasswordResetForm),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
