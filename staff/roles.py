"""The staff roles as Django groups, kept in step with the models after every migrate."""

from django.contrib.auth.models import Group, Permission

ROLES = {
    "Editor": {
        "polls": ["poll", "question", "option"],
    },
    "Admin": {
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
