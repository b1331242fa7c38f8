"""Bar charts drawn on the server as SVG geometry; no JavaScript.

The template ``reports/_charts.html`` turns a ``Chart`` into markup using SVG
presentation attributes only (``fill``, ``font-size``...): the CSP
(``style-src 'self'``) forbids ``style`` attributes and ``<style>`` elements,
not presentation attributes. Every chart has a title, a description listing
its values, and a table with the same numbers beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _

from portal.reports import labels
from portal.reports.queries import LIGHT_KEYS, Deviations, Funnel, TrafficLights, YearReport

WIDTH = 640
ROW = 44  # label line, then the bar
BAR = 16
LABEL_GAP = 18
VALUE_ROOM = 56  # room right of the longest bar for its number
MAX_LABEL = 80
SERIES = "#1e5a8a"
TEXT = "#1a1a1a"
LIGHT_FILL = {"green": "#0b7a3e", "yellow": "#e0a800", "red": "#c0262d", "none": "#8c8c8c"}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    fill: str
    value: int
    name: str


@dataclass(frozen=True)
class Bar:
    label: str  # shortened to fit; the full label is in ``full_label`` and in the table
    full_label: str
    value: int
    y: float
    segments: tuple[Segment, ...]
    value_x: float

    @property
    def label_y(self) -> float:
        return self.y + 14

    @property
    def bar_y(self) -> float:
        return self.y + LABEL_GAP + 2

    @property
    def value_y(self) -> float:
        return self.bar_y + BAR - 3


@dataclass(frozen=True)
class LegendItem:
    fill: str
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    width: int
    height: int
    bars: tuple[Bar, ...]
    legend: tuple[LegendItem, ...]
    headers: tuple[str, ...]
    rows: tuple[tuple[str | int, ...], ...]
    text_fill: str = TEXT

    @property
    def is_empty(self) -> bool:
        return not any(bar.value for bar in self.bars)


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _scale(values: Sequence[int]) -> float:
    top = max(values, default=0)
    return (WIDTH - VALUE_ROOM) / top if top else 0.0


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, int]], *,
              value_header: str) -> Chart:
    scale = _scale([v for _l, v in items])
    bars = []
    for i, (label, value) in enumerate(items):
        width = value * scale
        bars.append(Bar(
            label=_short(label), full_label=label, value=value, y=i * ROW,
            segments=(Segment(0, width, SERIES, value, label),) if value else (),
            value_x=width + 6,
        ))
    description = "; ".join(f"{label}: {value}" for label, value in items)
    return Chart(
        id=chart_id, title=title, description=description or _("No data for the year."),
        width=WIDTH, height=max(len(bars), 1) * ROW, bars=tuple(bars), legend=(),
        headers=("", value_header), rows=tuple((label, value) for label, value in items),
    )


def responses_by_status(funnel: Funnel) -> Chart:
    return bar_chart(
        "chart-responses", _("Questionnaires by status"),
        [(labels.current().response_status(s), n) for s, n in funnel.by_status],
        value_header=_("Questionnaires"),
    )


def deviations_by_type(found: Deviations) -> Chart:
    return bar_chart(
        "chart-types", _("Deviations by type"),
        [(labels.current().deviation_type(code), n) for code, n in found.detected.count_by("type")],
        value_header=_("Deviations"),
    )


def deviations_by_tier(found: Deviations) -> Chart:
    return bar_chart(
        "chart-tiers", _("Deviations by place in the supply chain"),
        [(labels.current().tier(code), n) for code, n in found.detected.count_by("tier")],
        value_header=_("Deviations"),
    )


def traffic_lights(lights: Sequence[TrafficLights]) -> Chart:
    """Stacked bars: one per DFØ category, green, yellow, red and not-assessed parts."""
    names = labels.current()
    scale = _scale([row.total for row in lights])
    bars = []
    for i, row in enumerate(lights):
        x = 0.0
        segments = []
        for colour in LIGHT_KEYS:
            value = getattr(row, colour)
            if value:
                segments.append(Segment(x, value * scale, LIGHT_FILL[colour], value,
                                        names.light(colour)))
                x += value * scale
        label = names.category(row.category)
        bars.append(Bar(label=_short(label), full_label=label, value=row.total, y=i * ROW,
                        segments=tuple(segments), value_x=x + 6))
    # The legend is drawn beside the chart as a list (its text wraps there).
    legend = tuple(
        LegendItem(fill=LIGHT_FILL[colour], label=names.light_meaning(colour))
        for colour in LIGHT_KEYS
    )
    description = "; ".join(
        f"{names.category(row.category)}: "
        + ", ".join(f"{names.light(c)} {getattr(row, c)}" for c in LIGHT_KEYS)
        for row in lights
    )
    return Chart(
        id="chart-lights", title=_("Traffic lights by DFØ category"),
        description=description or _("No data for the year."),
        width=WIDTH, height=max(len(bars), 1) * ROW, bars=tuple(bars), legend=legend,
        headers=("", *(names.light(c) for c in LIGHT_KEYS), _("Total")),
        rows=tuple(
            (names.category(row.category), row.green, row.yellow, row.red, row.none, row.total)
            for row in lights
        ),
    )


def all_charts(report: YearReport) -> list[Chart]:
    return [
        responses_by_status(report.follow_up.funnel),
        deviations_by_type(report.deviations),
        deviations_by_tier(report.deviations),
        traffic_lights(report.traffic_lights),
    ]
