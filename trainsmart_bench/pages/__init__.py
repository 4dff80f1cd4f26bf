"""The one page shell of the HTML pages the suite writes: the report and the site's landing page.

Pages are Jinja2 templates that extend ``shell.html.j2`` (doctype, Content-Security-Policy,
the shared CSS, the title and the page's body). Autoescape is on, so every value a template
prints is escaped unless it is ``markupsafe.Markup`` that our own code built (a rendered
section, an SVG chart); an undefined name is an error, never an empty string.

Jinja2 loads on the first page rendered, not with ``import trainsmart_bench``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:
    import jinja2

__all__ = ["environment", "render"]

SHELL = "trainsmart_bench.pages"  # the package that holds shell.html.j2 and shell.css


@functools.cache
def environment(package: str = SHELL) -> jinja2.Environment:
    """Templates of ``package`` (its ``templates`` folder), then the shell's, autoescaped."""
    import jinja2

    packages = dict.fromkeys((package, SHELL))  # the package's own templates first
    loader = jinja2.ChoiceLoader([jinja2.PackageLoader(p, "templates") for p in packages])
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(package: str, name: str, **context: Any) -> Markup:
    """The template ``name`` of ``package`` rendered: markup, safe to put in another page."""
    return Markup(environment(package).get_template(name).render(**context))
