"""The back office (Django's admin) is a door like the others: the permission table's ``BACK_OFFICE`` decides who
enters (administrators, network coordinators), on top of Django's own ``is_staff`` switch and model permissions."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest


class BackOfficeSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        from carenet.accounts.permissions import Action
        from carenet.web.access import request_actor

        return super().has_permission(request) and request_actor(request).can(Action.BACK_OFFICE)


class BackOfficeConfig(AdminConfig):
    default_site = "carenet.web.back_office.BackOfficeSite"
