"""A run report as one self-contained HTML file: works offline, every chart with a text alternative.

Charts are drawn with Plotly; its JavaScript is embedded once in the file, so the
report needs no network (workshops are often offline). Each chart is followed by a
plain-language summary of what it shows, for screen readers and for print.
"""

from __future__ import annotations

import html
from statistics import mean

from sandbox.scoring.delivery import headline
from sandbox.spec.scenario import fairness_words

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")  # Okabe–Ito
PANELS = (  # timeline key, title, y-axis label
    ("accuracy", "Accuracy of automated decisions (hindsight)", "accuracy"),
    ("drift_score", "Share of input columns drifted (trailing week)", "share"),
    ("fairness_gap", "{fairness} (daily)", "gap"),
    ("backlog", "Cases waiting for a caseworker", "cases"),
    ("harms", "Harmful decisions per day", "cases"),
    ("cost", "Cost per day", "cost"),
)


def render(result: dict) -> str:
    sc, plan, k = result["scenario"], result["plan"], result["kpis"]
    title = f"{sc['title']} — plan '{plan['name']}', seed {result['seed']}, {sc['difficulty']}"
    parts = [f"<h1>{_e(title)}</h1>"]
    stopped = headline(result)
    if stopped:
        parts.append(f"<p class='lost headline-note' role=note><strong>{_e(stopped)}</strong></p>")
    if result.get("score"):
        parts.append(_score(result["score"]))
    parts.append(_kpis(k, result["scenario"].get("task", "classification")))
    parts.append(_timeline(result))
    parts.append(_incidents(result))
    parts.append(_evaluation(result))
    if result.get("score"):
        parts.append(_criteria(result["score"]))
    return _page(title, "\n".join(parts))


def _page(title: str, body: str) -> str:
    from plotly.offline import get_plotlyjs

    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }}
h1 {{ font-size: 1.6rem; }} h2 {{ margin-top: 2.2rem; border-bottom: 2px solid #0072B2; }}
table {{ border-collapse: collapse; margin: .6rem 0; }}
th, td {{ border: 1px solid #bbb; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #eef3f8; }} td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.headline {{ font-size: 2.4rem; font-weight: 700; }} .band {{ font-size: 1.2rem; color: #444; }}
.lost {{ background: #fff4e0; }} figcaption {{ color: #333; margin-top: .4rem; }}
a:focus, summary:focus {{ outline: 3px solid #E69F00; }}
</style>
<script>{get_plotlyjs()}</script>
</head><body>
{body}
</body></html>
"""


def _score(s: dict) -> str:
    rows = "".join(f"<tr><td>{_e(x['title'])}</td><td class=num>{x['points']:g} / {x['max_points']:g}</td>"
                   f"<td class=num>{x['percent']:.0f}%</td></tr>" for x in s["sections"])
    imps = "".join(f"<li><strong>{_e(i['title'])}</strong>{_gain(i)}: {_e(i['advice'])} "
                   f"<em>Lesson: {_e(i['lesson'])}</em></li>" for i in s["improvements"])
    return (f"<h2>Score</h2><p class=headline>{s['total']:.1f} / 100</p>"
            f"<p class=band>ML Test Score readiness {s['readiness']:g}: {_e(s['band'])} (weakest section: "
            f"{_e(str(s['readiness_section']))}). Impact level {_e(s['impact_level'])}. Outcomes compared with the "
            f"{_e(str(s['reference_plan']))} plan on the same seed.</p>"
            f"<table><caption>Points by section</caption><tr><th>Section</th><th>Points</th><th>Share</th></tr>"
            f"{rows}</table><h3>The three most valuable improvements</h3>"
            f"<ol>{imps or '<li>None: full marks.</li>'}</ol>")


def _kpis(k: dict, task: str) -> str:
    from sandbox.spec.labels import kpi_labels  # the same figures, labels and formats as the CLI's summary

    rows = "".join(f"<tr><th scope=row>{_e(label.format(**k))}</th><td class=num>"
                   f"{'n/a' if k.get(key) is None else fmt.format(k[key])}</td></tr>"
                   for key, label, fmt in kpi_labels(task))
    return f"<h2>Key figures</h2><table>{rows}</table>"


def panels(result: dict) -> list[tuple[str, str, str]]:
    """The timeline's panels, named in the run's own terms: a forecast's daily error, the policy's gap."""
    regression = result["scenario"].get("task") == "regression"
    metric = result["scenario"].get("fairness_metric", "error_gap")
    out = []
    for key, title, label in PANELS:
        if key == "accuracy" and regression:
            title, label = "Mean absolute error of automated estimates (hindsight)", "error"
        title = title.format(fairness=fairness_words(metric, "regression" if regression else "classification"))
        out.append((key, title[0].upper() + title[1:], label))
    return out


def timeline_figure(result: dict, height: int = 1250):
    """The year's daily panels in one Plotly figure, events as dotted lines, alerts as triangles."""
    from plotly.subplots import make_subplots

    tl = result["timeline"]
    days = [r["day"] for r in tl]
    shown = panels(result)
    fig = make_subplots(rows=len(shown), cols=1, shared_xaxes=True, vertical_spacing=0.035,
                        subplot_titles=[p[1] for p in shown])
    for i, (key, _, label) in enumerate(shown, start=1):
        fig.add_scatter(x=days, y=[r[key] for r in tl], mode="lines", name=label, row=i, col=1,
                        line={"color": PALETTE[(i - 1) % len(PALETTE)], "width": 1.6}, showlegend=False)
    last = days[-1] if days else 0
    fig.update_layout(shapes=[{"type": "line", "xref": "x", "yref": "paper", "x0": e["day"], "x1": e["day"],
                               "y0": 0, "y1": 1, "line": {"color": "#777", "dash": "dot", "width": 1}}
                              for e in result["events"] if e["day"] <= last])
    by_signal: dict[str, list[dict]] = {}
    for a in result["alerts"]:
        by_signal.setdefault(a["signal"], []).append(a)
    for signal, alerts in by_signal.items():  # one trace per signal: adding traces one by one is slow
        fig.add_scatter(x=[a["day"] for a in alerts], y=[0] * len(alerts), mode="markers", row=1, col=1,
                        name=f"alert: {signal}", hovertext=[a["message"] for a in alerts],
                        marker={"symbol": "triangle-up", "size": 9, "color": "#D55E00"})
    fig.update_layout(height=height, margin={"l": 60, "r": 20, "t": 40, "b": 40}, template="simple_white",
                      font={"family": "system-ui, sans-serif"})
    fig.update_xaxes(title_text="simulated day", row=len(shown), col=1)
    return fig


def _timeline(result: dict) -> str:
    fig = timeline_figure(result)
    chart = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    events = "".join(f"<li>Day {e['day']}: {_e(e['title'])}</li>" for e in result["events"])
    return (f"<h2>The year, day by day</h2><figure role=group aria-label='Timeline charts'>{chart}"
            f"<figcaption>{_e(timeline_summary(result))} Dotted lines mark the events below; triangles mark "
            f"alerts.</figcaption></figure><h3>Events</h3><ul>{events}</ul>")


def timeline_summary(result: dict) -> str:
    """The charts in words: what a reader should see in each panel."""
    tl = result["timeline"]
    out = []
    acc = [(r["day"], r["accuracy"]) for r in tl if r["accuracy"] is not None]
    regression = result["scenario"].get("task") == "regression"
    if acc and regression:
        high = max(acc, key=lambda t: t[1])
        out.append(f"The automated estimates' mean absolute error averaged {mean(a for _, a in acc):.3f}, highest "
                   f"{high[1]:.3f} on day {high[0]}.")
    elif acc:
        low = min(acc, key=lambda t: t[1])
        out.append(f"Accuracy averaged {mean(a for _, a in acc):.3f}, lowest {low[1]:.3f} on day {low[0]}.")
    drifted = [r["day"] for r in tl if r["drifted_columns"]]
    if drifted:
        out.append(f"Inputs drifted on {len(drifted)} days, first on day {drifted[0]}.")
    else:
        out.append("No input drift was measured.")
    gaps = [(r["day"], r["fairness_gap"]) for r in tl if r["fairness_gap"] is not None]
    if gaps:
        top = max(gaps, key=lambda t: t[1])
        limit = result["kpis"]["fairness_limit"]
        over = sum(1 for _, g in gaps if g > limit)
        what = fairness_words(result["scenario"].get("fairness_metric", "error_gap"),
                              "regression" if regression else "classification")
        out.append(f"The daily {what} peaked at {top[1]:.3f} on day {top[0]}; it exceeded the limit of "
                   f"{limit:g} on {over} days.")
    peak = max(tl, key=lambda r: r["backlog"])
    out.append(f"The caseworker backlog peaked at {peak['backlog']:,} cases on day {peak['day']}.")
    worst = max(tl, key=lambda r: r["harms"])
    out.append(f"Harmful decisions totalled {sum(r['harms'] for r in tl):,}, most on day {worst['day']} "
               f"({worst['harms']:,}).")
    out.append(f"Costs totalled {sum(r['cost'] for r in tl):,.0f}.")
    out.append(f"{len(result['alerts'])} alerts were raised.")
    return " ".join(out)


def _incidents(result: dict) -> str:
    rows = []
    for i in result["incidents"]:
        det = "never" if i["detected_day"] is None else f"day {i['detected_day']:.0f} by {i['detected_by']}"
        rec = "still open" if i["open_at_end"] else f"day {i['recovered_day']:.0f}"
        rows.append(f"<tr><td>{_e(i['id'])}</td><td>{_e(i['title'])}</td><td class=num>{i['start_day']:.0f}</td>"
                    f"<td>{_e(det)}</td><td>{_e(rec)}</td><td class=num>{i['harms']:,}</td></tr>")
    gov = "".join(f"<li>{'Passed' if g['passed'] else 'FAILED'}: {_e(g['title'])} — {_e(g['outcome'])}</li>"
                  for g in result["governance"])
    return ("<h2>Incidents</h2><table><tr><th>Id</th><th>What happened</th><th>Started</th><th>Detected</th>"
            f"<th>Recovered</th><th>Harms while open</th></tr>{''.join(rows)}</table>"
            f"<h3>Audits, complaints and requests</h3><ul>{gov or '<li>None this year.</li>'}</ul>")


def _evaluation(result: dict) -> str:
    ev = result["evaluation"]["initial"]
    metrics = "".join(f"<tr><th scope=row>{_e(k)}</th><td class=num>{v:.3f}</td></tr>"
                      for k, v in ev["metrics"].items())
    cols = sorted({c for g in ev["groups"].values() for c in g})
    head = "".join(f"<th>{_e(c.replace('_', ' '))}</th>" for c in cols)
    rows = "".join(f"<tr><th scope=row>{_e(g)}</th>" + "".join(f"<td class=num>{v.get(c, float('nan')):.3f}</td>"
                                                                for c in cols) + "</tr>"
                   for g, v in ev["groups"].items())
    f = ev["fairness"]
    note = f.get("four_fifths_note", "")
    fairness = " ".join(_e(line) for line in fairness_sentences(f, result["scenario"].get("task", "classification")))
    if "four_fifths_ratio" in f:
        fairness += f" Four-fifths ratio {f['four_fifths_ratio']:.2f} — {_e(note)}"
    retrains = "".join(f"<li>Version {r['version']} on day {r['day']} ({_e(str(r.get('reason', '')))}): "
                       f"{'go' if r['gate']['go'] else 'no-go'}</li>" for r in result["evaluation"]["retrains"])
    return (f"<h2>Evaluation of the first model</h2><table>{metrics}</table>"
            f"<h3>By group ({_e(f['attribute'])})</h3><table><tr><th>Group</th>{head}</tr>{rows}</table>{fairness}</p>"
            f"<h3>Retraining</h3><ul>{retrains or '<li>No retraining.</li>'}</ul>")


def fairness_sentences(fairness: dict, task: str) -> list[str]:
    """The model's fairness at evaluation in words, every protected attribute judged on the policy's metric and
    limit: the gap, whether it is within the limit, and the groups too small to count (with their counts)."""
    name = fairness_words(fairness["metric"], task)
    out = []
    by = fairness.get("by_attribute") or {fairness["attribute"]: fairness}
    for attribute, f in by.items():
        value = f["value"]
        if value != value:  # NaN: no group large enough, or no rate defined
            said = f"By {attribute}: the {name} could not be measured (no group had enough test cases)."
        else:
            verdict = "within" if f["within_limit"] else "over"
            said = (f"By {attribute}: {name} {value:.3f}, {verdict} the agency's limit of {fairness['limit']:g}"
                    + (" (the limit the promotion gate applies)." if attribute == fairness["attribute"] else "."))
        small = f.get("small_groups") or {}
        if small:
            groups = ", ".join(f"{g} ({n} test case{'s' if n != 1 else ''})" for g, n in small.items())
            said += (f" Left out of the gap as smaller than {fairness.get('min_group_size', 30)} test cases: "
                     f"{groups}.")
        out.append(said)
    return out


def _criteria(s: dict) -> str:
    rows = []
    for c in s["criteria"]:
        cls = " class=lost" if c["points"] < c["max_points"] else ""
        rows.append(f"<tr{cls}><td>{_e(c['title'])}<br><small>{_e(', '.join(c['references']))}</small></td>"
                    f"<td class=num>{c['points']:g} / {c['max_points']:g}</td><td>{_e(c['feedback'])}</td>"
                    f"<td>{_e(c['lesson'])}</td></tr>")
    return ("<h2>Feedback, criterion by criterion</h2><p>Rows with lost points are shaded.</p><table><tr>"
            f"<th>Criterion</th><th>Points</th><th>Feedback</th><th>Lesson</th></tr>{''.join(rows)}</table>")


def _e(text: str) -> str:
    return html.escape(str(text))


def _gain(improvement: dict) -> str:
    return f" (+{improvement['points_to_gain']:g} points)" if improvement["points_to_gain"] > 0 else ""
