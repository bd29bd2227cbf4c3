#!/usr/bin/env python3
"""Draw the install benchmark as an SVG bar chart (standard library only).

Reads RESULTS/results.json (bench/report.py writes it) and draws, for each of cold/warm ×
lo/wan, the median install time of pip, uv and volley for the small, wide and heavy sets, on
one logarithmic time axis (pip is one to two orders of magnitude slower, and a linear axis
would hide the others), each bar labelled with its seconds. The caption says when and on what
the numbers were measured, with which versions.

Usage: chart.py RESULTS/results.json OUT.svg [--note TEXT]
  --note TEXT   a last caption line, e.g. how the numbers were obtained
"""

import argparse
import html
import json
import math
import textwrap

TOOLS = [("pip", "#9a9a9a"), ("uv", "#d4a72c"), ("volley", "#2f6fb0")]
SETS = ["small", "wide", "heavy"]
PANELS = [("cold", "lo"), ("cold", "wan"), ("warm", "lo"), ("warm", "wan")]
NETS = {"lo": "loopback", "wan": "WAN: 40 ms RTT, 200 Mbit/s"}

PANEL_WIDTH = 420
PANEL_HEIGHT = 230
LEFT = 56
TOP = 64
GAP_X = 40
GAP_Y = 70
BAR = 22
GROUP_GAP = 28
LOW = 0.01  # seconds at the bottom of the axis
HIGH = 100.0


def y_of(seconds):
    """The panel-relative y of a time on the log axis (0 at the top)."""
    clamped = min(max(seconds, LOW), HIGH)
    fraction = (math.log10(clamped) - math.log10(LOW)) / (math.log10(HIGH) - math.log10(LOW))
    return PANEL_HEIGHT * (1.0 - fraction)


def label(seconds):
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def panel(out, x0, y0, mode, net, medians):
    out.append(
        f'<text x="{x0 + PANEL_WIDTH / 2}" y="{y0 - 12}" class="title">'
        f"{mode} cache, {html.escape(NETS[net])}</text>"
    )
    decade = LOW
    while decade <= HIGH * 1.001:
        y = y0 + y_of(decade)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + PANEL_WIDTH}" y2="{y:.1f}" class="grid"/>')
        text = f"{decade:g} s"
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" class="axis">{text}</text>')
        decade *= 10
    group_width = len(TOOLS) * BAR
    span = len(SETS) * group_width + (len(SETS) - 1) * GROUP_GAP
    start = x0 + (PANEL_WIDTH - span) / 2
    for index, set_name in enumerate(SETS):
        gx = start + index * (group_width + GROUP_GAP)
        for position, (tool, color) in enumerate(TOOLS):
            seconds = medians.get((tool, set_name, mode, net))
            x = gx + position * BAR
            if seconds is None:
                out.append(
                    f'<text x="{x + BAR / 2:.1f}" y="{y0 + PANEL_HEIGHT - 4}" class="missing">–</text>'
                )
                continue
            top = y0 + y_of(seconds)
            height = y0 + PANEL_HEIGHT - top
            out.append(
                f'<rect x="{x + 1:.1f}" y="{top:.1f}" width="{BAR - 2}" height="{height:.1f}" '
                f'fill="{color}"><title>{tool}, {set_name}, {mode}, {net}: {seconds:.3f} s</title></rect>'
            )
            out.append(f'<text x="{x + BAR / 2:.1f}" y="{top - 4:.1f}" class="value">{label(seconds)}</text>')
        out.append(
            f'<text x="{gx + group_width / 2:.1f}" y="{y0 + PANEL_HEIGHT + 16}" class="set">{set_name}</text>'
        )
    out.append(
        f'<line x1="{x0}" y1="{y0 + PANEL_HEIGHT}" x2="{x0 + PANEL_WIDTH}" y2="{y0 + PANEL_HEIGHT}" class="base"/>'
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("output")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    with open(args.results) as source:
        data = json.load(source)
    medians = {
        (row["tool"], row["set"], row["mode"], row["net"]): row["median"]
        for row in data["rows"]
        if row["kind"] == "install"
    }
    meta = data.get("meta", {})

    width = LEFT + 2 * PANEL_WIDTH + GAP_X + 20
    height = TOP + 2 * PANEL_HEIGHT + GAP_Y + 120
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        "<style>"
        ".heading{font-size:17px;font-weight:bold}"
        ".title{font-size:13px;text-anchor:middle;font-weight:bold}"
        ".axis{font-size:10px;text-anchor:end;fill:#555}"
        ".value{font-size:9px;text-anchor:middle;fill:#222}"
        ".set{font-size:12px;text-anchor:middle}"
        ".missing{font-size:11px;text-anchor:middle;fill:#999}"
        ".legend{font-size:12px}"
        ".caption{font-size:11px;fill:#444}"
        ".grid{stroke:#e3e3e3;stroke-width:1}"
        ".base{stroke:#777;stroke-width:1}"
        "</style>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{LEFT}" y="24" class="heading">Installing pinned locks: median seconds, lower is better (log scale)</text>',
    ]
    legend_x = LEFT
    for tool, color in TOOLS:
        out.append(f'<rect x="{legend_x}" y="34" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{legend_x + 16}" y="44" class="legend">{tool}</text>')
        legend_x += 80
    for index, (mode, net) in enumerate(PANELS):
        column, row = index % 2, index // 2
        x0 = LEFT + column * (PANEL_WIDTH + GAP_X)
        y0 = TOP + 20 + row * (PANEL_HEIGHT + GAP_Y)
        panel(out, x0, y0, mode, net, medians)

    versions = ", ".join(
        f"{name} {meta[name]}" for name in ("volley", "uv", "pip", "python") if name in meta
    )
    caption = [
        f"Measured {meta.get('date', '?')} on {meta.get('machine', '?')}; {versions}.",
        "Sets: small (6 packages, 25 wheels), wide (jupyter, 97 wheels), heavy (numpy, pandas, scipy, "
        "matplotlib, scikit-learn: 18 wheels); fresh venv per run, from a local nginx mirror.",
        "pip byte-compiles what it installs; uv and volley do not by default. bench/README.md has the "
        "method and every number.",
    ]
    if args.note:
        caption.append(args.note)
    caption = [part for line in caption for part in textwrap.wrap(line, 140)]
    height += 16 * max(len(caption) - 3, 0)
    out[0] = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">'
    )
    out[2] = f'<rect width="{width}" height="{height}" fill="white"/>'
    y = height - 16 * len(caption) - 4
    for line in caption:
        out.append(f'<text x="{LEFT}" y="{y}" class="caption">{html.escape(line)}</text>')
        y += 16
    out.append("</svg>")
    with open(args.output, "w") as svg:
        svg.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
