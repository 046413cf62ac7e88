"""Renderers: one Report in, one format out (console, JSON, Markdown, JUnit XML)."""

from __future__ import annotations

from typing import assert_never

from qsdoctor.cli.common import OutputFormat
from qsdoctor.render.base import Renderer
from qsdoctor.render.console import ConsoleRenderer
from qsdoctor.render.json import JsonRenderer
from qsdoctor.render.junit import JunitRenderer
from qsdoctor.render.markdown import MarkdownRenderer

__all__ = ["OutputFormat", "Renderer", "get_renderer"]


def get_renderer(
    fmt: OutputFormat,
    *,
    color: bool,
    verbose: bool,
    strict: bool = False,
    width: int | None = None,
) -> Renderer:
    """The renderer for `--output`; `strict` makes JUnit fail warnings, as the exit code does."""
    match fmt:
        case OutputFormat.CONSOLE:
            return ConsoleRenderer(color=color, verbose=verbose, width=width)
        case OutputFormat.JSON:
            return JsonRenderer()
        case OutputFormat.MARKDOWN:
            return MarkdownRenderer()
        case OutputFormat.JUNIT:
            return JunitRenderer(strict=strict)
        case _:
            assert_never(fmt)
