from django.contrib import admin

from .models import Member, Register, SampleDraw, SampleMember


@admin.register(Register)
class RegisterAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "updated_at"]
    search_fields = ["name"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["number", "email", "register", "status"]
    list_filter = ["register", "status"]
    search_fields = ["number", "email"]
    list_select_related = ["register"]


@admin.register(SampleDraw)
class SampleDrawAdmin(admin.ModelAdmin):
    list_display = ["name", "register", "design", "target_size", "frame_size", "seed", "created_at"]
    readonly_fields = [f.name for f in SampleDraw._meta.fields]

    def has_add_permission(self, request):
        return False  # draws are made by the sampling service, which records how


@admin.register(SampleMember)
class SampleMemberAdmin(admin.ModelAdmin):
    list_display = ["member", "draw", "stratum", "inclusion_probability"]
    list_filter = ["draw"]
    raw_id_fields = ["member"]
