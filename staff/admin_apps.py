"""`django.contrib.admin` with `staff.admin_site.StaffAdminSite` as `admin.site`.

A module of its own: INSTALLED_APPS imports it before the models are ready, so it must not
import the site (whose access rules import django.contrib.auth's views and forms)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "staff.admin_site.StaffAdminSite"
