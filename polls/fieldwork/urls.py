from django.urls import path

from . import email_views, staff_views, views

urlpatterns = [
    path("u/<str:signed>/", views.opt_out, name="opt-out"),
    path("hooks/bounces/", views.bounce_webhook, name="bounce-webhook"),
]

# The field-work page of a poll (Admin): staff_views.
urlpatterns += [
    path("staff/polls/<slug:slug>/field/", staff_views.field_page, name="field-page"),
    path("staff/polls/<slug:slug>/field/status/", staff_views.field_status, name="field-status"),
    path("staff/polls/<slug:slug>/field/invite/", staff_views.field_invite, name="field-invite"),
    path("staff/polls/<slug:slug>/field/remind/", staff_views.field_remind, name="field-remind"),
    path(
        "staff/polls/<slug:slug>/field/again/",
        staff_views.field_send_again,
        name="field-send-again",
    ),
    path("staff/polls/<slug:slug>/field/plan/", staff_views.field_plan, name="field-plan"),
    path("staff/polls/<slug:slug>/field/bounces/", staff_views.field_bounces, name="field-bounces"),
]

# The poll's invitation e-mail (Editor or Admin): email_views.
urlpatterns += [
    path("staff/polls/<slug:slug>/email/", email_views.email_edit, name="poll-email"),
    path(
        "staff/polls/<slug:slug>/email/preview/",
        email_views.email_preview,
        name="poll-email-preview",
    ),
    path("staff/polls/<slug:slug>/email/test/", email_views.email_test, name="poll-email-test"),
]
