from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from polls import privacy_views
from polls.answering import views as poll_views
from respondents import views as respondent_views
from results import (
    coding_views,
    export_views,
    page_editor_views,
    page_views,
    public_views,
    trend_views,
)
from results import views as result_views
from staff import account_views
from staff import views as staff_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="staff-home"), name="home"),
    path("s/<str:token>/", poll_views.answer, name="answer"),
    path("s/<str:token>/draft/", poll_views.answer_draft, name="answer-draft"),
    path("p/<slug:slug>/", poll_views.open_answer, name="open-answer"),
    path("", include("polls.fieldwork.urls")),
    path("r/<slug:page_slug>/", public_views.public_page, name="result-page-public"),
    path(
        "r/<slug:page_slug>/v<int:number>/",
        public_views.public_page,
        name="result-page-version",
    ),
    path(
        "r/<slug:page_slug>/data.json",
        public_views.PublicPageJson.as_view(),
        name="result-page-json",
    ),
    path(
        "r/<slug:page_slug>/v<int:number>/data.json",
        public_views.PublicPageVersionJson.as_view(),
        name="result-page-version-json",
    ),
    path(
        "r/<slug:page_slug>/embed/<int:block>/",
        public_views.public_embed,
        name="result-page-embed",
    ),
    path(
        "r/<slug:page_slug>/v<int:number>/embed/<int:block>/",
        public_views.public_embed,
        name="result-page-version-embed",
    ),
    path(
        "r/<slug:page_slug>/v<int:number>/chart-<int:block>-<int:part>.<slug:language>.png",
        public_views.chart_image,
        name="result-page-chart-image",
    ),
    path("staff/", result_views.staff_home, name="staff-home"),
    path("staff/account/two-factor/", account_views.two_factor_page, name="two-factor"),
    path("staff/polls/<slug:slug>/results/", result_views.poll_results_page, name="poll-results"),
    path("staff/polls/<slug:slug>/trends/", trend_views.poll_trends_page, name="poll-trends"),
    path(
        "staff/polls/<slug:slug>/results/analysis/",
        result_views.poll_analysis_settings,
        name="poll-analysis-settings",
    ),
    path("staff/polls/<slug:slug>/pages/", page_views.result_pages, name="result-pages"),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/",
        page_views.result_page_edit,
        name="result-page-edit",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/blocks/",
        page_views.result_page_block_add,
        name="result-page-block-add",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/blocks/<int:block_id>/move/",
        page_views.result_page_block_move,
        name="result-page-block-move",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/blocks/<int:block_id>/delete/",
        page_views.result_page_block_delete,
        name="result-page-block-delete",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/preview/",
        page_views.result_page_preview,
        name="result-page-preview",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/publish/",
        page_views.result_page_publish,
        name="result-page-publish",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/unpublish/",
        page_views.result_page_unpublish,
        name="result-page-unpublish",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/schedule/",
        page_editor_views.result_page_schedule,
        name="result-page-schedule",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/unschedule/",
        page_editor_views.result_page_unschedule,
        name="result-page-unschedule",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/blocks/<int:block_id>/edit/",
        page_editor_views.result_page_block_edit,
        name="result-page-block-edit",
    ),
    path(
        "staff/polls/<slug:slug>/pages/<int:pk>/quotes/",
        page_editor_views.result_page_quote_add,
        name="result-page-quote-add",
    ),
    path("staff/polls/<slug:slug>/exports/", export_views.poll_exports, name="poll-exports"),
    path("staff/polls/<slug:slug>/exports/codebook/", export_views.codebook, name="poll-codebook"),
    path("staff/exports/<int:pk>/", export_views.export_job, name="export-job"),
    path("staff/exports/<int:pk>/download/", export_views.export_download, name="export-download"),
    path("staff/coding/", coding_views.coding_polls, name="coding-polls"),
    path("staff/polls/<slug:slug>/coding/", coding_views.coding_home, name="coding-home"),
    path(
        "staff/polls/<slug:slug>/coding/<int:question_id>/",
        coding_views.coding_question,
        name="coding-question",
    ),
    path(
        "staff/polls/<slug:slug>/coding/<int:question_id>/codes/",
        coding_views.coding_add_code,
        name="coding-add-code",
    ),
    path(
        "staff/polls/<slug:slug>/coding/<int:question_id>/assign/",
        coding_views.coding_assign,
        name="coding-assign",
    ),
    path("staff/registers/", respondent_views.register_list, name="register-list"),
    path("staff/registers/<int:pk>/", respondent_views.register_detail, name="register-detail"),
    path("staff/registers/<int:pk>/samples/new/", respondent_views.sample_new, name="sample-new"),
    path("staff/imports/<int:pk>/", respondent_views.import_job, name="import-job"),
    path(
        "staff/registers/<int:pk>/members/",
        respondent_views.register_members,
        name="register-members",
    ),
    path("staff/members/<int:pk>/", respondent_views.member_detail, name="member-detail"),
    path(
        "staff/members/<int:pk>/erase/",
        respondent_views.member_erase_confirm,
        name="member-erase",
    ),
    path("staff/members/<int:pk>/data/", privacy_views.member_data, name="member-data"),
    path(
        "staff/members/<int:pk>/data.json",
        privacy_views.member_data_json,
        name="member-data-json",
    ),
    path("staff/samples/<int:pk>/", respondent_views.sample_detail, name="sample-detail"),
    path("staff/samples/<int:pk>/members.csv", respondent_views.sample_csv, name="sample-csv"),
    path("staff/audit/", staff_views.audit_trail, name="audit-trail"),
    path("staff/audit/entries.csv", staff_views.audit_trail_csv, name="audit-trail-csv"),
    path("staff/studio/", include("polls.authoring.urls")),
    path("api/v1/", include("results.api_urls")),
    path("accounts/", include("staff.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
