"""Chart geometry: bars scale to the largest value; the table carries the same numbers."""

from __future__ import annotations

from portal.reports import charts
from portal.reports.queries import TrafficLights


def test_bars_scale_to_the_largest_value(app):
    with app.test_request_context():
        chart = charts.bar_chart("c", "Title", [("A", 10), ("B", 5), ("C", 0)], value_header="n")

    widths = [sum(s.width for s in bar.segments) for bar in chart.bars]
    assert widths == [charts.WIDTH - charts.VALUE_ROOM, (charts.WIDTH - charts.VALUE_ROOM) / 2, 0]
    assert chart.bars[2].segments == ()  # a zero draws no rectangle, only its number
    assert chart.rows == (("A", 10), ("B", 5), ("C", 0))
    assert chart.description == "A: 10; B: 5; C: 0"
    assert chart.height == 3 * charts.ROW


def test_long_labels_are_shortened_in_the_svg_only(app):
    label = "x" * 200
    with app.test_request_context():
        chart = charts.bar_chart("c", "Title", [(label, 1)], value_header="n")

    assert len(chart.bars[0].label) == charts.MAX_LABEL
    assert chart.bars[0].label.endswith("…")
    assert chart.rows[0][0] == label  # the table beside the chart has it in full


def test_empty_chart(app):
    with app.test_request_context():
        chart = charts.bar_chart("c", "Title", [], value_header="n")

    assert chart.is_empty
    assert chart.height == charts.ROW


def test_traffic_lights_stack_green_yellow_red(app):
    rows = [TrafficLights("workwear", 1, 2, 3, 0), TrafficLights(None, 0, 0, 2, 4)]
    with app.test_request_context():
        chart = charts.traffic_lights(rows)

    first = chart.bars[0]
    assert [s.fill for s in first.segments] == [charts.LIGHT_FILL[c] for c in ("green", "yellow", "red")]
    assert [s.value for s in first.segments] == [1, 2, 3]
    # Segments follow each other; both bars have the same total, so the same length.
    assert first.segments[1].x == first.segments[0].width
    assert sum(s.width for s in first.segments) == sum(s.width for s in chart.bars[1].segments)
    assert chart.rows[1][1:] == (0, 0, 2, 4, 6)
    assert [s.fill for s in chart.bars[1].segments] == [charts.LIGHT_FILL["red"],
                                                       charts.LIGHT_FILL["none"]]
    assert len(chart.legend) == 4
