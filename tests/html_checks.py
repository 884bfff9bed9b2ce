"""What every page's HTML must keep for forms to be usable with a screen reader (BEY-5, issue 14): each id named by
``aria-describedby``/``aria-labelledby`` exists, each error-summary link points at an element that exists, and each
control marked invalid is described by its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]


@dataclass
class FormHtml:
    ids: set[str] = field(default_factory=set)
    elements: list[_Element] = field(default_factory=list)
    #: hrefs of the links inside an error summary
    summary_links: list[str] = field(default_factory=list)
    summaries: int = 0


class _Parser(HTMLParser):
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.found = FormHtml()
        self.stack: list[bool] = []  # per open element: is it (inside) an error summary

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        element = _Element(tag, values)
        self.found.elements.append(element)
        if values.get("id"):
            self.found.ids.add(values["id"])
        in_summary = (self.stack[-1] if self.stack else False) or "data-error-summary" in values
        if "data-error-summary" in values:
            self.found.summaries += 1
        if in_summary and tag == "a":
            self.found.summary_links.append(values.get("href", ""))
        if tag not in self.VOID:
            self.stack.append(in_summary)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()


def parse(html: str) -> FormHtml:
    parser = _Parser()
    parser.feed(html)
    return parser.found


def broken_references(html: str) -> list[str]:
    """Every reference of the page that points nowhere, as ``"<tag> aria-describedby=x"`` lines (empty if none)."""
    found = parse(html)
    problems = []
    for element in found.elements:
        for name in ("aria-describedby", "aria-labelledby", "aria-controls"):
            for ref in element.attrs.get(name, "").split():
                if ref not in found.ids:
                    problems.append(f"<{element.tag} name={element.attrs.get('name', '')!r}> {name}={ref}")
        # An option of a group of choices is described through its fieldset (forms/field.html).
        option = element.attrs.get("type") in ("radio", "checkbox") and element.attrs.get("id", "")[-1:].isdigit()
        if (
            element.attrs.get("aria-invalid") == "true"
            and element.tag in ("input", "select", "textarea")
            and not option
        ):
            described = element.attrs.get("aria-describedby", "").split()
            if not any(ref.endswith("error") and ref in found.ids for ref in described):
                problems.append(f"<{element.tag} name={element.attrs.get('name', '')!r}> invalid without its error")
    for href in found.summary_links:
        if not href.startswith("#") or href[1:] not in found.ids:
            problems.append(f"error summary link {href!r} points nowhere")
    return problems
