"""The site's pages as the page fuzz sees them (test_page_fuzz): every URL pattern of the HTML side,
the records behind its path parameters, and the forms and query strings its pages offer.

Nothing here is written by hand per page: the patterns come from the URLconf, the forms from the
rendered pages (read with the standard library's html.parser), the query parameters from the
pages' GET forms and from their links that carry a query string.
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from django.urls import Resolver404, URLResolver, get_resolver, resolve

# Not pages of ours: the API (fuzzed from its schema), its schema and docs, and Django's admin.
SKIPPED_PREFIXES = ("api/", "admin/")


@dataclass(frozen=True)
class Page:
    name: str  # the namespaced URL name, e.g. "audits:audit-plan"
    route: str  # e.g. "audits/<int:pk>/plan/"
    params: tuple[str, ...]
    converters: tuple[str, ...]


def site_pages() -> list[Page]:
    """Every named URL pattern of the HTML side, in URLconf order."""
    found = []

    def walk(patterns, prefix: str, namespace: str | None):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                inner = entry.namespace
                walk(
                    entry.url_patterns,
                    route,
                    f"{namespace}:{inner}" if namespace and inner else inner or namespace,
                )
            elif entry.name and not route.startswith(SKIPPED_PREFIXES):
                params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
                found.append(
                    Page(
                        name=f"{namespace}:{entry.name}" if namespace else entry.name,
                        route=route,
                        params=tuple(name for _converter, name in params),
                        converters=tuple(converter or "str" for converter, _name in params),
                    )
                )

    walk(get_resolver().url_patterns, "", None)
    return found


def url_name(url: str) -> str | None:
    """The namespaced URL name a link or form action points at, or None outside the site."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    return match.view_name


# -- Forms and links on a page ------------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # an <input>'s type, or "select", "textarea", "submit"
    values: list[str] = field(default_factory=list)  # what the page offers: values, options
    multiple: bool = False

    def offer(self, value: str | None) -> None:
        if value is not None and value not in self.values:
            self.values.append(value)


@dataclass
class Form:
    method: str  # "get" or "post"
    action: str  # where it is sent: the URL name
    multipart: bool
    fields: dict[str, FormField] = field(default_factory=dict)
    # Who saw it, and the address it is sent to: (user name, URL), the first one first.
    seen_at: list[tuple[str, str]] = field(default_factory=list)

    def signature(self) -> tuple:
        return (self.method, self.action, tuple(sorted(self.fields)))


class PageParser(HTMLParser):
    """The forms of one page (with every field they send) and the links it holds."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def _field(self, name: str, kind: str) -> FormField:
        fields = self._form.fields
        if name not in fields:
            fields[name] = FormField(name=name, kind=kind)
        elif kind == "checkbox" or fields[name].kind == "checkbox":
            fields[name].multiple = True  # a group of boxes sends every ticked value
        return fields[name]

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form":
            action = attributes.get("action") or self.page_url
            self._form = Form(
                method=(attributes.get("method") or "get").lower(),
                action=url_name(action) or "",
                multipart="multipart" in (attributes.get("enctype") or ""),
            )
            self._form_url = urlsplit(action).path or urlsplit(self.page_url).path
        elif tag == "option" and self._select is not None:
            self._select.offer(attributes.get("value") or "")
        elif self._form is not None and attributes.get("name") not in (None, "", "csrfmiddlewaretoken"):
            self._form_field(tag, attributes)

    def _form_field(self, tag, attributes):
        name = attributes["name"]
        if tag == "input":
            kind = (attributes.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "reset"):
                kind = "submit"
            self._field(name, kind).offer(attributes.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "button" and (attributes.get("type") or "submit") == "submit":
            self._field(name, "submit").offer(attributes.get("value") or "")
        elif tag == "select":
            self._select = self._field(name, "select")
            self._select.multiple = "multiple" in attributes
        elif tag == "textarea":
            self._textarea = self._field(name, "textarea")
            self._textarea.offer("")

    def handle_data(self, data):
        if self._textarea is not None and data.strip():
            self._textarea.offer(data)

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append((self._form, self._form_url))
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


@dataclass
class SiteForms:
    """What the pages offer, by URL name: the forms sent there and the query parameters they take."""

    forms: dict[str, list[Form]] = field(default_factory=dict)
    # URL name -> {parameter -> the field it is (its kind, the values seen)}
    queries: dict[str, dict[str, FormField]] = field(default_factory=dict)
    # URL name -> (user name, URL) of a page that sends a query string there
    query_seen_at: dict[str, tuple[str, str]] = field(default_factory=dict)

    def _query(self, target: str, name: str, kind: str, values, seen_at) -> None:
        query = self.queries.setdefault(target, {}).setdefault(name, FormField(name=name, kind=kind))
        for value in values:
            query.offer(value)
        self.query_seen_at.setdefault(target, seen_at)

    def add_page(self, reader: str, page_url: str, html: str) -> None:
        parser = PageParser(page_url)
        parser.feed(html)
        parser.close()
        for form, form_url in parser.forms:
            if not form.action:
                continue
            if form.method == "get":
                for name, form_field in form.fields.items():
                    self._query(form.action, name, form_field.kind, form_field.values, (reader, form_url))
                continue
            known = self.forms.setdefault(form.action, [])
            same = next((seen for seen in known if seen.signature() == form.signature()), None)
            if same is None:
                known.append(form)
                same = form
            else:
                for name, form_field in form.fields.items():
                    for value in form_field.values:
                        same.fields[name].offer(value)
            same.seen_at.append((reader, form_url))
        for link in parser.links:
            parts = urlsplit(link)
            path = parts.path or urlsplit(page_url).path
            target = url_name(path) if parts.query else None
            for name, value in parse_qsl(parts.query, keep_blank_values=True) if target else ():
                self._query(target, name, "link", {value}, (reader, path))
