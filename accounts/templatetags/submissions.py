from django import template
from django.utils.html import format_html

from accounts.submissions import TOKEN_FIELD, new_token

register = template.Library()


@register.simple_tag
def form_token():
    """The hidden token that makes this rendering of a form save once, however often it is sent."""
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, new_token())
