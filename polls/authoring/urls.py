"""The authoring studio, under staff/studio/ (config/urls.py). Every view: Editor and Admin."""

from django.urls import path

from . import views, wave_views

urlpatterns = [
    path("", views.poll_list, name="studio-polls"),
    path("new/", views.poll_new, name="studio-poll-new"),
    path("import/", views.import_poll, name="studio-import"),
    path("<slug:slug>/", views.poll_detail, name="studio-poll"),
    path("<slug:slug>/edit/", views.poll_edit, name="studio-poll-edit"),
    path("<slug:slug>/open/", views.poll_open_view, name="studio-poll-open"),
    path("<slug:slug>/close/", views.poll_close_view, name="studio-poll-close"),
    path("<slug:slug>/sections/new/", views.section_new, name="studio-section-new"),
    path("<slug:slug>/sections/<int:pk>/", views.section_edit, name="studio-section"),
    path("<slug:slug>/sections/<int:pk>/move/", views.section_move, name="studio-section-move"),
    path(
        "<slug:slug>/sections/<int:pk>/delete/",
        views.section_delete,
        name="studio-section-delete",
    ),
    path("<slug:slug>/questions/new/", views.question_new, name="studio-question-new"),
    path("<slug:slug>/questions/<int:pk>/", views.question_edit, name="studio-question"),
    path("<slug:slug>/questions/<int:pk>/move/", views.question_move, name="studio-question-move"),
    path(
        "<slug:slug>/questions/<int:pk>/delete/",
        views.question_delete,
        name="studio-question-delete",
    ),
    path("<slug:slug>/preview/", views.preview, name="studio-preview"),
    path("<slug:slug>/test/", views.test_run, name="studio-test"),
    path("<slug:slug>/duplicate/", views.duplicate, name="studio-duplicate"),
    path("<slug:slug>/waves/", wave_views.wave_links, name="studio-wave-links"),
    path("<slug:slug>/export.json", views.export, name="studio-export"),
]
