"""``taskform calendar --format html``: one self-contained page. Pure.

Plain HTML, CSS and inline SVG; no script, no fonts, images or styles from the network, so the
page opens offline and from a CI artifact. Three parts:

* a heat map: a table of starts per hour of the week (UTC), each cell shaded by its count and
  carrying ``data-day``/``data-hour``/``data-count`` (the browser test reads them);
* a timeline per task (``<tr class="task" data-task="owner/title">``): an SVG strip over the
  whole span with one mark per run (runs closer than a pixel share one mark), marks of runs in a
  collision minute in red;
* the collisions: minutes in which several tasks start, over-threshold ones flagged.

Every text from the configuration is HTML-escaped. The page depends only on the calendar (no
clock): one line per table row, list item and heading, so a change shows as the lines it
touches in the golden file (``tests/fixtures/calendar/calendar.html``).
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

from taskform import __version__
from taskform.render.calendar.text import DAY_NAMES, heat_rows
from taskform.schedule.calendar import Calendar, TaskRuns

_UTC = timezone.utc
_WIDTH = 720  # timeline pixels
_HEIGHT = 18
_SHOWN_COLLISIONS = 200

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.muted { color: #57606a; }
table { border-collapse: collapse; }
.heat td, .heat th { width: 26px; height: 22px; text-align: center; font-size: 11px;
  border: 1px solid #fff; }
.heat th { color: #57606a; font-weight: 600; }
.heat td.zero { color: #c0c4c8; }
.timeline td, .timeline th { padding: 2px 8px; border-bottom: 1px solid #eaeef2;
  text-align: left; vertical-align: middle; }
.timeline .name { max-width: 340px; overflow-wrap: anywhere; }
.timeline .count { text-align: right; font-variant-numeric: tabular-nums; }
svg.strip { display: block; background: #f6f8fa; }
.run { fill: #0969da; } .run.collides { fill: #cf222e; }
.collisions li.over { color: #cf222e; font-weight: 600; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _shade(count: int, peak: int) -> str:
    if count == 0 or peak == 0:
        return "#f6f8fa"
    share = count / peak
    # from light to dark blue
    light, dark = (221, 235, 255), (9, 105, 218)
    rgb = [round(a + (b - a) * share) for a, b in zip(light, dark, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _heat(calendar: Calendar) -> str:
    rows = heat_rows(calendar)
    peak = max((c for row in rows for c in row), default=0)
    out = ['<table class="heat" id="heat"><tr><th></th>']
    out += [f"<th>{h:02d}</th>" for h in range(24)]
    out.append("</tr>\n")
    for name, row in zip(DAY_NAMES, rows, strict=True):
        out.append(f"<tr><th>{name}</th>")
        for hour, count in enumerate(row):
            color = "#ffffff" if peak and count / peak > 0.55 else "#1b1f24"
            zero = ' class="zero"' if count == 0 else ""
            out.append(
                f'<td{zero} data-day="{name}" data-hour="{hour}" data-count="{count}"'
                f' style="background:{_shade(count, peak)};color:{color}"'
                f' title="{name} {hour:02d}:00 UTC: {count} start(s)">{count}</td>'
            )
        out.append("</tr>\n")
    out.append("</table>\n")
    return "".join(out)


def _strip(task: TaskRuns, calendar: Calendar, colliding: set[int]) -> str:
    start_ms = int(calendar.start.timestamp() * 1000)
    span = calendar.days * 86_400_000
    last = _WIDTH - 1
    xs = {min(last, (ms - start_ms) * _WIDTH // span) for ms in task.runs}
    hot_runs = colliding.intersection(task.runs)
    hot = {min(last, (ms - start_ms) * _WIDTH // span) for ms in hot_runs}
    marks = {x: x in hot for x in xs}
    parts = [
        f'<svg class="strip" width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}"'
        f' role="img" aria-label="{len(task.runs)} runs">'
    ]
    for day in range(1, calendar.days):
        line_x = round(day * _WIDTH / calendar.days, 1)
        parts.append(f'<line x1="{line_x}" y1="0" x2="{line_x}" y2="{_HEIGHT}" stroke="#d0d7de"/>')
    for x, collides in sorted(marks.items()):
        cls = "run collides" if collides else "run"
        parts.append(f'<rect class="{cls}" x="{x}" y="3" width="2" height="{_HEIGHT - 6}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _timeline(calendar: Calendar) -> str:
    hot: dict[tuple[str, str], set[int]] = {}
    for collision in calendar.collisions:
        for t in collision.tasks:
            hot.setdefault((t.owner, t.title), set()).add(collision.at)
    out = [
        '<table class="timeline" id="timeline"><tr><th>task</th><th>schedule</th>'
        f'<th class="count">runs</th><th>{calendar.start:%a %d %b} → {calendar.days} days'
        "</th></tr>\n"
    ]
    for task in calendar.tasks:
        zone = f" ({_esc(task.timezone)})" if task.timezone else ""
        off = "" if task.active else ", inactive (active: false)"
        out.append(
            f'<tr class="task" data-task="{_esc(task.label)}" data-runs="{len(task.runs)}">'
            f'<td class="name">{_esc(task.label)}<br><span class="muted">{_esc(task.type)}'
            f"{off}</span></td><td><code>{_esc(task.schedule)}</code>{zone}<br>"
            f'<span class="muted">{_esc(task.description)}</span></td>'
            f'<td class="count">{len(task.runs)}</td>'
            f"<td>{_strip(task, calendar, hot.get((task.owner, task.title), set()))}</td></tr>\n"
        )
    out.append("</table>\n")
    return "".join(out)


def _collisions(calendar: Calendar) -> str:
    if not calendar.collisions:
        return '<p id="collisions">No two tasks start in the same minute.</p>\n'
    worst = sorted(calendar.collisions, key=lambda c: (-len(c.tasks), c.at))
    out = [
        f"<p>{len(calendar.collisions)} minute(s) in which several tasks start; in red, more"
        f" than {calendar.threshold} of one owner (the lint's --collision-threshold).</p>\n",
        '<ul class="collisions" id="collisions">\n',
    ]
    for collision in worst[:_SHOWN_COLLISIONS]:
        when = datetime.fromtimestamp(collision.at / 1000, tz=_UTC)
        names = ", ".join(_esc(t.label) for t in collision.tasks[:8])
        more = f" and {len(collision.tasks) - 8} more" if len(collision.tasks) > 8 else ""
        cls = ' class="over"' if collision.over_threshold else ""
        out.append(
            f'<li{cls} data-at="{when:%Y-%m-%dT%H:%MZ}" data-count="{len(collision.tasks)}">'
            f"{when:%a %Y-%m-%d %H:%M} UTC: {len(collision.tasks)} tasks ({names}{more})</li>\n"
        )
    out.append("</ul>\n")
    if len(worst) > _SHOWN_COLLISIONS:
        out.append(f"<p>… and {len(worst) - _SHOWN_COLLISIONS} more minutes.</p>\n")
    return "".join(out)


def render_html(calendar: Calendar) -> str:
    end = calendar.end - timedelta(minutes=1)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>taskform calendar: {calendar.start:%Y-%m-%d}, {calendar.days} days</title>"
        f"<style>{_CSS}</style></head>\n<body>\n"
        "<h1>taskform calendar</h1>\n"
        f'<p class="muted" id="summary">{calendar.total_runs} runs of {len(calendar.tasks)}'
        f" tasks from {calendar.start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        f" ({calendar.days} days). taskform {_esc(__version__)}.</p>\n"
        "<h2>Starts per hour of the week (UTC)</h2>\n"
        f"{_heat(calendar)}"
        "<h2>Runs per task</h2>\n"
        f"{_timeline(calendar)}"
        "<h2>Collisions</h2>\n"
        f"{_collisions(calendar)}"
        "</body></html>\n"
    )
