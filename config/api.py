"""Shared pieces of the REST API."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, permissions
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError

_ACTION_FOR_METHOD = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}


class ScopedReadStaffWrite(permissions.BasePermission):
    """Reads are scoped by the view's queryset; writes need the model permission of a staff role.

    The write check runs on the object, after the scoped lookup, so an outsider gets 404 for an
    object they cannot see and a reader gets 403 for one they can see but not change.
    """

    def _allowed(self, request, view) -> bool:
        model = view.get_queryset().model
        action = _ACTION_FOR_METHOD[request.method]
        return request.user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or getattr(view, "detail", False):
            return True
        return self._allowed(request, view)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or self._allowed(request, view)


def exception_handler(exc, context):
    """Domain refusals and model validation become 400/409 with a message, never a 500."""
    if isinstance(exc, DomainError):
        response = drf_exception_handler(exceptions.APIException(exc.message), context)
        response.status_code = exc.status_code
        response.data = {"detail": exc.message} if not exc.field else {exc.field: [exc.message]}
        return response
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of PAGE_SIZE rows; a client may ask for up to 200 with ?page_size=."""

    page_size_query_param = "page_size"
    max_page_size = 200
