"""Where the chart puts its points: oldest left, highest score at the top."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from alongside.assessments import charts, definitions


def _row(day, total):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        administered_on=dt.date(2026, 1, 1) + dt.timedelta(days=day),
        total=total,
        band="",
    )


def test_points_span_the_plot_by_date_and_score():
    barc = definitions.get("barc10")
    c = charts.chart(barc, [_row(0, 10), _row(30, 35), _row(90, 60)])
    assert c is not None
    xs = [p.x for p in c.points]
    ys = [p.y for p in c.points]
    assert xs[0] == charts.LEFT and xs[-1] == charts.WIDTH - charts.RIGHT
    assert abs(xs[1] - (charts.LEFT + (xs[-1] - xs[0]) / 3)) < 0.01
    assert ys[0] == charts.HEIGHT - charts.BOTTOM and ys[-1] == charts.TOP  # 10 / 60
    assert [r.label for r in c.rules] == ["47"]
    assert c.polyline.startswith(f"{charts.LEFT:.1f},")


def test_one_point_sits_in_the_middle_and_no_total_means_no_chart():
    c = charts.chart(definitions.get("phq9"), [_row(0, 27)])
    assert c is not None and len(c.points) == 1
    assert (
        c.points[0].x == charts.LEFT + (charts.WIDTH - charts.LEFT - charts.RIGHT) / 2
    )
    assert [r.label for r in c.rules] == ["5", "10", "15", "20"]
    assert charts.chart(definitions.get("rdp"), [_row(0, None)]) is None
    assert charts.chart(definitions.get("barc10"), []) is None


def test_a_deidentified_viewer_gets_the_chart_dated_as_the_rest_of_the_record(world):
    from alongside.participants.policies import participant_get_for_user

    blind = participant_get_for_user(
        world.members["eve"], world.participant.external_id, "view"
    )
    c = charts.chart(definitions.get("barc10"), [_row(0, 30), _row(300, 40)], blind)
    assert c is not None
    assert [p.when for p in c.points] == ["2026", "2026"]  # Safe Harbor: years only
