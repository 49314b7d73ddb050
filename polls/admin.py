from django.contrib import admin

from .models import Invitation, Option, Poll, Question


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["order", "code", "kind", "text_sv", "text_en", "required"]
    extra = 0
    show_change_link = True


class OptionInline(admin.TabularInline):
    model = Option
    fields = ["order", "code", "label_sv", "label_en", "is_dont_know"]
    extra = 3


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "slug", "state", "opens_at", "closes_at"]
    list_filter = ["state"]
    prepopulated_fields = {"slug": ["title_sv"]}
    inlines = [QuestionInline]
    search_fields = ["title_sv", "slug"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text_sv", "poll", "order", "kind"]
    list_filter = ["poll"]
    inlines = [OptionInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who was invited and how it went; never what they answered."""

    list_display = ["sample_member", "poll", "status", "sent_at"]
    list_filter = ["poll", "status"]
    fields = ["poll", "sample_member", "status", "sent_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
