"""server/me/charts.py: bar charts as SVG markup (pure)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from server.me.charts import BOTTOM, HEIGHT, MAX_LABELS, TOP, Bar, bar_chart, nice_ceiling
from server.domain.money import format_cents

SVG = "{http://www.w3.org/2000/svg}"
PLOT_H = HEIGHT - TOP - BOTTOM


def chart(bars: list[Bar], **changes: object) -> ET.Element:
    args: dict = {"chart_id": "c1-days", "title": "Money by day", "description": "Highest day: 2 May, $3.00.",
                  "bars": bars, "format_value": format_cents, **changes}
    return ET.fromstring(str(bar_chart(**args)))  # well-formed XML, or this raises


def rects(svg: ET.Element, kind: str) -> list[ET.Element]:
    return [r for r in svg.find(f"{SVG}g[@class='bars']").iter(f"{SVG}rect") if r.get("class") == f"bar {kind}"]


def test_an_image_named_by_its_title_and_described() -> None:
    svg = chart([Bar("1 May", 100), Bar("2 May", 300)])
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-days-title" and svg.get("aria-describedby") == "c1-days-desc"
    assert svg.find(f"{SVG}title").get("id") == "c1-days-title"
    assert svg.find(f"{SVG}title").text == "Money by day"
    assert svg.find(f"{SVG}desc").text == "Highest day: 2 May, $3.00."


def test_bar_heights_follow_the_values_on_a_nice_scale() -> None:
    svg = chart([Bar("a", 100), Bar("b", 300, 50), Bar("c", 0)])
    solid = [float(r.get("height")) for r in rects(svg, "solid")]
    hatched = rects(svg, "hatched")
    # 350 is the top: the scale ends at 500, so 100 is a fifth of the plot
    assert solid == pytest.approx([PLOT_H * 100 / 500, PLOT_H * 300 / 500])
    assert len(hatched) == 1 and float(hatched[0].get("height")) == pytest.approx(PLOT_H * 50 / 500)
    assert hatched[0].get("fill") == "url(#c1-days-hatch)"  # the pattern, not a colour, tells it apart
    # stacked: the pending part sits right on top of the earned part of the same bar
    top_of_solid = float(rects(svg, "solid")[1].get("y"))
    assert float(hatched[0].get("y")) + float(hatched[0].get("height")) == pytest.approx(top_of_solid)
    labels = [t.text for t in svg.find(f"{SVG}g[@class='axis']").iter(f"{SVG}text")]
    assert labels == ["$0.00", "$2.50", "$5.00"]


def test_long_series_label_only_some_bars() -> None:
    bars = [Bar(f"d{n}", n) for n in range(45)]
    svg = chart(bars)
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "label"]
    assert len(labels) <= MAX_LABELS and labels[0] == "d0"
    assert len(rects(svg, "solid")) == 44  # the zero bar draws nothing


def test_all_zero_and_empty_charts() -> None:
    assert rects(chart([Bar("a", 0), Bar("b", 0)]), "solid") == []
    assert rects(chart([]), "solid") == []


def test_text_is_escaped() -> None:
    markup = str(bar_chart("x", "<b>t</b> & co", "</desc><script>alert(1)</script>", [Bar("<i>", 5, 0, "<tip>")],
                           format_cents))
    assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup and "<tip>" not in markup
    svg = ET.fromstring(markup)
    assert svg.find(f"{SVG}title").text == "<b>t</b> & co"
    assert svg.find(f"{SVG}desc").text == "</desc><script>alert(1)</script>"
    assert rects(svg, "solid")[0].find(f"{SVG}title").text == "<tip>"


@pytest.mark.parametrize("chart_id", ["", "Has Space", 'x" onload="alert(1)', "UPPER"])
def test_chart_ids_are_checked(chart_id: str) -> None:
    with pytest.raises(ValueError):
        bar_chart(chart_id, "t", "d", [], format_cents)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        bar_chart("x", "t", "d", [Bar("a", -1)], format_cents)


@pytest.mark.parametrize("value,expected", [(1, 1), (3, 5), (350, 500), (1240, 2000), (2400, 2500), (7, 10),
                                            (0.3, 0.5), (100, 100)])
def test_nice_ceiling(value: float, expected: float) -> None:
    assert nice_ceiling(value) == pytest.approx(expected)
