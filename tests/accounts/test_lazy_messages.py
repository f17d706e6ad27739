"""accounts.middleware.LazyMessageMiddleware: Django's messages, made only for requests that use them."""

from django.contrib import messages
from django.contrib.messages import get_messages
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty

from accounts.middleware import LazyMessageMiddleware


def _serve(view, cookies=None):
    request = RequestFactory().get("/")
    request.COOKIES.update(cookies or {})
    SessionMiddleware(lambda request: None).process_request(request)
    response = LazyMessageMiddleware(view)(request)
    return request, response


def test_a_request_that_never_touches_messages_makes_no_storage_and_sets_no_cookie():
    request, response = _serve(lambda request: HttpResponse("ok"))
    assert request._messages._wrapped is empty  # the lazy storage was never made
    assert "messages" not in response.cookies


def test_a_message_added_is_kept_for_the_next_request_and_read_there():
    def save(request):
        messages.success(request, "Saved.")
        return HttpResponse("redirect")

    _, response = _serve(save)
    assert "messages" in response.cookies
    shown = []

    def show(request):
        shown.extend(str(message) for message in get_messages(request))
        return HttpResponse("page")

    _, after = _serve(show, {"messages": response.cookies["messages"].value})
    assert shown == ["Saved."]
    # Read, so gone: the cookie is cleared, as Django's own middleware does.
    assert after.cookies["messages"].value == ""
