"""Renderers: one Report in, one format out (console, JSON, Markdown, JUnit XML).

Importing this package is cheap (the format enum only): the CLI needs `OutputFormat`
to build `--help`, and the renderers, with Rich and the check registry behind them,
load only when `get_renderer` is called.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, assert_never

if TYPE_CHECKING:
    from qsdoctor.render.base import Renderer

__all__ = ["OutputFormat", "get_renderer"]


class OutputFormat(enum.StrEnum):
    """Report formats of `check` (`--output`)."""

    CONSOLE = "console"
    JSON = "json"
    MARKDOWN = "markdown"
    JUNIT = "junit"


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
            from qsdoctor.render.console import ConsoleRenderer

            return ConsoleRenderer(color=color, verbose=verbose, width=width)
        case OutputFormat.JSON:
            from qsdoctor.render.json import JsonRenderer

            return JsonRenderer()
        case OutputFormat.MARKDOWN:
            from qsdoctor.render.markdown import MarkdownRenderer

            return MarkdownRenderer()
        case OutputFormat.JUNIT:
            from qsdoctor.render.junit import JunitRenderer

            return JunitRenderer(strict=strict)
        case _:
            assert_never(fmt)
