"""PDF documents with WeasyPrint, tagged for screen readers (PDF/UA).

The fetcher serves only files under static/ and data: URIs; anything else
(network, other local files) is refused, so user text placed in a document
can never make the renderer fetch something.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML
from weasyprint.document import Document
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_root: Path) -> None:
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)
        self.root = static_root.resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file":
            raise ValueError(f"blocked {url!r}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"blocked {url!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})


def _html(template: str, locale: str, **context: Any) -> HTML:
    static_root = Path(current_app.static_folder or "static")
    with force_locale(locale):
        html = render_template(template, locale=locale, **context)
    return HTML(string=html, base_url=static_root.resolve().as_uri() + "/",
                url_fetcher=StaticOnlyFetcher(static_root))


def render_pdf(template: str, locale: str, **context: Any) -> bytes:
    """Render a template in ``templates/pdf/`` to a tagged PDF in the given language."""
    return _html(template, locale, **context).write_pdf(pdf_variant="pdf/ua-1")


def layout(template: str, locale: str, **context: Any) -> Document:
    """The laid-out pages of the PDF ``render_pdf`` would write: boxes to measure in tests."""
    return _html(template, locale, **context).render()
