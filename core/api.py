"""Shared pieces of the REST API."""

import json

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination, permissions, serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError
from core.forms import MAX_ID

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
    """Domain refusals and model validation become 400/409 with a message, never a 500.

    A refusal by a permissions rule (Django's PermissionDenied with its reason) is a 403 that keeps
    the reason: DRF alone would replace it with its own.
    """
    if isinstance(exc, DomainError):
        response = drf_exception_handler(exceptions.APIException(exc.message), context)
        response.status_code = exc.status_code
        response.data = {"detail": exc.message} if not exc.field else {exc.field: [exc.message]}
        if exc.reasons:
            response.data["reasons"] = exc.reasons
        return response
    if isinstance(exc, DjangoPermissionDenied) and str(exc):
        exc = exceptions.PermissionDenied(str(exc))
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


MAX_UNCOUNTED_PAGE = 100_000


class CountingOnlyFullPagesPaginator(Paginator):
    """Django's paginator, without the COUNT query when the page itself tells the total.

    A page that holds rows but fewer than the page size is the last one, so the total is the
    rows before it plus its own: a client's one organisation costs one query, not two. A full
    page is counted as usual (reusing its rows); anything unusual (no rows, a page number that
    is not one, orphans) goes Django's way, with the same answers and errors.
    """

    def page(self, number):
        if self.orphans:
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            return super().page(number)
        # Beyond any real list (and beyond what SQL's OFFSET holds: a huge page number overflowed
        # it into a 500, found by make fuzz), Django's way: count, then 404 for a page past the end.
        if number < 1 or number > MAX_UNCOUNTED_PAGE:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)
        if len(rows) < self.per_page:
            # `count` is a cached property: set, it is the total without a query.
            self.count = bottom + len(rows)
        return Page(rows, self.validate_number(number), self)


# -- Ids the caller may name -----------------------------------------------------------------------
#
# Every id a request names (a body's foreign key, a list filter) is looked up among the rows the
# caller may read, through the app's own selector: an id of another client's record is then refused
# exactly as one that does not exist, and no refusal names or hints at a record the caller cannot
# see. `readable(user)` is that selector (organizations_for_user, sites_for_user, ...); without a
# request (the schema) it is asked for an anonymous user, which every selector answers with none.


def _readable_rows(readable, request):
    user = getattr(request, "user", None)
    return readable(user if user is not None else AnonymousUser())


def id_field(**kwargs) -> serializers.IntegerField:
    """An id in a request body: a whole number a row can have (a larger one overflowed the query)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ReadableRelatedField(serializers.PrimaryKeyRelatedField):
    """A related id among the rows the caller may read; any other is "object does not exist".

    `queryset` gives the model (for the schema); `readable(user)` the rows an id is looked up in.
    """

    def __init__(self, *, readable, **kwargs):
        self.readable = readable
        super().__init__(**kwargs)

    def get_queryset(self):
        return _readable_rows(self.readable, self.context.get("request"))


def readable_choice_filter(readable, **kwargs) -> filters.ModelChoiceFilter:
    """A list filter on a related id among the rows the caller may read.

    Another client's id is refused (400) as an id that does not exist is, instead of answering an
    empty list that would tell the caller the record is there.
    """
    return filters.ModelChoiceFilter(queryset=lambda request: _readable_rows(readable, request), **kwargs)


class FilterSet(filters.FilterSet):
    """The API's FilterSets: each filter narrows the list only when the query string names it, so
    FilterBackend may skip the whole FilterSet when the query names none of its filters."""

    filters_only_when_named = True


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, minus its per-request work when there is nothing to filter.

    For a view with `filterset_fields`, django-filter builds a FilterSet class from the model on
    every request, then a form to validate the query string; this builds each such class once,
    and skips the form when no query parameter names one of its filters, which then could only
    return the queryset as it was. Views with their own `filterset_class` go django-filter's way,
    skipped too when it is one of ours (`FilterSet` above).
    """

    _filterset_classes: dict = {}

    def get_filterset_class(self, view, queryset=None):
        fields = getattr(view, "filterset_fields", None)
        if getattr(view, "filterset_class", None) or not fields or queryset is None:
            return super().get_filterset_class(view, queryset)
        key = (type(view), queryset.model, repr(fields))
        if key not in self._filterset_classes:
            filterset_class = super().get_filterset_class(view, queryset)
            filterset_class.filters_only_when_named = True
            self._filterset_classes[key] = filterset_class
        return self._filterset_classes[key]

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if getattr(filterset_class, "filters_only_when_named", False) and not any(
            # A widget may read its name with a suffix (a range's name_min): prefixes are enough.
            key.startswith(name)
            for key in request.query_params
            for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of PAGE_SIZE rows; a client may ask for up to 200 with ?page_size=."""

    django_paginator_class = CountingOnlyFullPagesPaginator
    page_size_query_param = "page_size"
    max_page_size = 200


class PDFRenderer(BaseRenderer):
    """Lets an API client ask for application/pdf; errors still go out as JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()
