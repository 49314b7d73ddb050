from django.urls import path

from . import views

urlpatterns = [
    path("u/<str:signed>/", views.opt_out, name="opt-out"),
    path("hooks/bounces/", views.bounce_webhook, name="bounce-webhook"),
]
