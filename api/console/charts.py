"""Small KPI charts as SVG (pure): one series over time, with the SLA rule's threshold."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from api.console.kpis import Series
from telemetry.sla_rules import OPS, Rule

WIDTH, HEIGHT, PAD = 360, 90, 6


def _label(series: Series, rule: Rule | None) -> str:
    name = series.metric.rsplit("/", 1)[-1]
    last = series.points[-1][1] if series.points else None
    text = f"{name} of {series.resource}: {len(series.points)} samples"
    if last is not None:
        text += f", last {last:g}"
    if rule is not None:
        text += f"; SLA rule {rule.name}: alarm when {rule.op} {rule.threshold:g} for {rule.for_s:g} s"
    return text


def chart(series: Series, rule: Rule | None) -> str:
    """A line chart of `series` (time left to right) and a dashed line at the rule's threshold;
    points past the threshold are marked."""
    label = _label(series, rule)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(label)}>',
        f"<title>{escape(label)}</title>",
    ]
    if series.points:
        times = [t for t, _ in series.points]
        values = [v for _, v in series.points] + ([rule.threshold] if rule else [])
        t0, t1 = min(times), max(times)
        v0, v1 = min(values), max(values)
        v0, v1 = (v0 - 1, v1 + 1) if v0 == v1 else (v0, v1)

        def x(t: float) -> float:
            return PAD + (WIDTH - 2 * PAD) * ((t - t0) / (t1 - t0) if t1 > t0 else 0.5)

        def y(v: float) -> float:
            return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (v - v0) / (v1 - v0)

        if rule is not None:
            out.append(f'<line class="limit" x1="{PAD}" x2="{WIDTH - PAD}" y1="{y(rule.threshold):.1f}" '
                       f'y2="{y(rule.threshold):.1f}"/>')  # fmt: skip
        line = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in series.points)
        out.append(f'<polyline class="line" points="{line}"/>')
        if rule is not None:
            for t, v in series.points:
                if OPS[rule.op](v, rule.threshold):
                    out.append(f'<circle class="over" cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5"/>')
    out.append("</svg>")
    return "".join(out)
