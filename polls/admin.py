from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .conditions import validate_conditions
from .fieldwork.closing import poll_close
from .models import GridRow, Invitation, Option, Poll, Question, Section, TextEdit


class SectionInline(admin.TabularInline):
    model = Section
    fields = ["order", "title_sv", "title_en"]
    extra = 0


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ["section", "order", "code", "kind", "text_sv", "text_en", "required"]
    extra = 0
    show_change_link = True


class OptionInline(admin.TabularInline):
    model = Option
    fields = ["order", "code", "label_sv", "label_en", "is_dont_know", "exclusive", "anchored"]
    extra = 3


class GridRowInline(admin.TabularInline):
    model = GridRow
    fields = ["order", "code", "text_sv", "text_en"]
    extra = 0


@admin.register(Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["title_sv", "slug", "state", "opens_at", "closes_at"]
    list_filter = ["state"]
    prepopulated_fields = {"slug": ["title_sv"]}
    inlines = [SectionInline, QuestionInline]
    search_fields = ["title_sv", "slug"]
    actions = ["close_field_period"]

    @admin.action(description=_("Close the field period now"))
    def close_field_period(self, request, queryset):
        closed = sum(poll_close(poll=poll) for poll in queryset)
        messages.success(request, _("%(count)d poll(s) closed.") % {"count": closed})

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for problem in validate_conditions(form.instance):
            messages.warning(request, problem)


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["text_sv", "poll", "section", "order", "kind"]
    list_filter = ["poll", "kind"]
    inlines = [OptionInline, GridRowInline]
    filter_horizontal = ["condition_options"]
    fieldsets = [
        (None, {"fields": ["poll", "section", "order", "code", "kind", "required"]}),
        (None, {"fields": ["text_sv", "text_en"]}),
        (None, {"fields": ["randomize_options", "max_choices"]}),
        (
            _("scale"),
            {
                "fields": [
                    ("scale_min", "scale_max"),
                    ("label_low_sv", "label_low_en"),
                    ("label_high_sv", "label_high_en"),
                ]
            },
        ),
        (_("number"), {"fields": [("number_min", "number_max"), "decimal_places"]}),
        (_("free text"), {"fields": ["text_max_length"]}),
        (_("display condition"), {"fields": ["condition_question", "condition_options"]}),
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for problem in validate_conditions(form.instance.poll):
            messages.warning(request, problem)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who was invited and how it went; never what they answered."""

    list_display = ["sample_member", "poll", "status", "sent_at"]
    list_filter = ["poll", "status"]
    fields = ("poll", "sample_member", "status", "sent_at", "error")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False


@admin.register(TextEdit)
class TextEditAdmin(admin.ModelAdmin):
    """Text corrections made after a poll had responses: a record, never edited."""

    list_display = ["poll", "object_label", "field", "by", "at"]
    list_filter = ["poll"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
