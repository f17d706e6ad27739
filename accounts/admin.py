from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User


@admin.register(User)
class CertdeskUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Certdesk", {"fields": ("language",)}))
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "language")
