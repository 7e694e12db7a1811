"""Page furniture that needs the page count ("Page x of y"): ReportLab only knows it at the end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reportlab.pdfgen.canvas import Canvas


def page_counting_canvas(draw: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A ReportLab canvas class that holds every page back until the document ends, then calls
    ``draw(canvas, page, pages)`` on each, so running heads can say "Page x of y".

    Shared by the briefing, day sheet and slip builders and the report export.
    """

    class PageCountingCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (ReportLab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw(self, number, total)
                super().showPage()
            super().save()

    return PageCountingCanvas
