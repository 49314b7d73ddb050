"""The staff roles as Django groups, kept in step with the models after every migrate.

The group permissions are what the Django admin checks (see `staff.admin_site`); the staff
pages check the roles themselves (`staff.access`)."""

from django.contrib.auth.models import Group, Permission

from .access import ADMIN, EDITOR

ROLES = {
    EDITOR: {
        "polls": ["poll", "question", "option"],
    },
    ADMIN: {
        "respondents": ["register", "member", "sampledraw", "samplemember"],
        "polls": ["poll", "question", "option", "invitation"],
    },
}


def roles_sync(**kwargs) -> None:
    for name, apps in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(
            content_type__app_label__in=apps.keys(),
        )
        wanted = [
            p for p in perms if p.content_type.model in apps.get(p.content_type.app_label, [])
        ]
        group.permissions.set(wanted)
