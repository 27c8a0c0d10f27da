"""A calibration sweep as one self-contained HTML page for a course author: the checks' verdicts, the score
distributions of the expert, naive, gold-plated and random plans on one chart, the ablation table sorted by
effect (decisions that move nothing highlighted), and luck per plan. Works offline (Plotly's JavaScript is
embedded); every chart is followed by its text alternative."""

from __future__ import annotations

import html
import statistics

from sandbox.reports.run import PALETTE, _page


def _e(text) -> str:
    return html.escape(str(text))


def render(result: dict) -> str:
    title = f"Calibration: {result['scenario']}"
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p>{_e(result['difficulty'])} · seeds 1 to {result['seeds']} · {len(result['random']['totals'])} "
             f"random runs · {len(result['ablations'])} ablations · played on {_e(result['engine'])} "
             f"({result['workers']} workers) in {result['wall_s']:.0f} s.</p>",
             _checks(result["checks"]), _distributions(result), _ablations(result["ablations"]), _luck(result)]
    return _page(title, "\n".join(parts))


def _checks(checks: list[dict]) -> str:
    word = {True: "Passes", False: "Fails", None: "Not measured"}
    rows = "".join(f"<tr class='{'' if c['passed'] is not False else 'lost'}'><td>{word[c['passed']]}</td>"
                   f"<td>{_e(c['target'])}</td><td>{_e(c['measured'])}</td></tr>" for c in checks)
    return ("<h2>Does the rubric reward judgement?</h2><table><caption>One verdict per check</caption>"
            f"<tr><th>Verdict</th><th>Check</th><th>Measured</th></tr>{rows}</table>")


def _groups(result: dict) -> list[tuple[str, list[float]]]:
    groups = [(f"{name} plan", part["totals"]) for name, part in result["plans"].items()]
    groups.append(("gold-plated plan", result["gold"]["totals"]))
    if result["random"]["totals"]:
        groups.append(("random plans", result["random"]["totals"]))
    return groups


def _distributions(result: dict) -> str:
    import plotly.graph_objects as go

    fig = go.Figure()
    for i, (name, totals) in enumerate(_groups(result)):
        fig.add_trace(go.Box(x=totals, name=name, boxpoints="all", jitter=0.4, pointpos=0,
                             marker={"color": PALETTE[i % len(PALETTE)]}, line={"color": PALETTE[i % len(PALETTE)]}))
    fig.update_layout(xaxis={"title": "score (0 to 100)", "range": [0, 100]}, showlegend=False, height=380,
                      margin={"l": 140, "r": 20, "t": 20, "b": 50})
    chart = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
    words = "; ".join(f"{name}: " + (f"{t[0]:.1f}" if len(t) == 1 else
                                     f"median {statistics.median(t):.1f}, from {min(t):.1f} to {max(t):.1f}")
                      for name, t in _groups(result))
    return ("<h2>Scores</h2><figure role=group aria-label='Score distributions by kind of plan'>"
            f"{chart}<figcaption>In words: {_e(words)}.</figcaption></figure>")


def _ablations(ablations: list[dict]) -> str:
    if not ablations:
        return "<h2>Single-decision changes</h2><p>Not played (<code>--no-ablations</code>, or no expert plan).</p>"
    rows = []
    for a in sorted(ablations, key=lambda a: (a["delta_mean"], a["decision"], a["choice"])):
        still = a["delta_mean"] == 0
        rows.append(f"<tr class='{'lost' if still else ''}'><td>{_e(a['decision'])}</td><td>{_e(a['choice'])}</td>"
                    f"<td class=num>{a['delta_mean']:+.2f}</td><td>{'yes' if a['named_in_feedback'] else 'no'}</td>"
                    f"<td>{'moves nothing' if still else ''}</td></tr>")
    still = sum(a["delta_mean"] == 0 for a in ablations)
    return (f"<h2>Single-decision changes of the expert plan</h2><p>{still} of {len(ablations)} changes move "
            "nothing (highlighted). The change is the mean over the seeds against the expert on the same seed.</p>"
            "<table><caption>Each decision changed alone, sorted by effect</caption><tr><th>Decision</th>"
            "<th>Changed to</th><th>Score change</th><th>Named in the feedback</th><th>Note</th></tr>"
            f"{''.join(rows)}</table>")


def _luck(result: dict) -> str:
    rows = []
    for name, totals in _groups(result):
        if name == "random plans":
            continue
        sd = statistics.pstdev(totals) if len(totals) > 1 else 0.0
        rows.append(f"<tr><td>{_e(name)}</td><td>{_e(', '.join(f'{t:.1f}' for t in totals))}</td>"
                    f"<td class=num>{sd:.2f}</td></tr>")
    return ("<h2>Luck</h2><p>How much the seed (the year's events and cases) moves each plan's score.</p>"
            "<table><caption>Scores by seed</caption><tr><th>Plan</th><th>Scores on seeds 1, 2, …</th>"
            f"<th>Standard deviation</th></tr>{''.join(rows)}</table>")
