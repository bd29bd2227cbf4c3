#!/usr/bin/env python3
"""Turn a results folder (RESULTS/raw/*.json, hyperfine exports from bench/lib.sh) into
RESULTS/table.md (printed too) and RESULTS/results.json, which bench/chart.py draws.

One row per case: kind, set, network, mode, tool; median, min and max wall seconds; mean CPU
seconds (user + system of the tool and its children); runs; "busy starts" (runs that began
while the machine was not idle, from RESULTS/raw/*.busy); and pip's median over the tool's.
results.json holds the same rows, every run's time, and RESULTS/meta.txt and
volley-version.txt as "meta".

Usage: report.py RESULTS
"""

import json
import os
import statistics
import sys

ORDER = {
    "kind": ["install", "resolve"],
    "set": ["small", "wide", "heavy"],
    "net": ["lo", "wan", "pypi"],
    "mode": ["cold", "warm"],
    "tool": ["pip", "uv", "uv-bc", "volley", "volley-serial"],
}


def sort_key(row):
    def position(field):
        known = ORDER[field]
        return (known.index(row[field]) if row[field] in known else len(known), row[field])

    return tuple(position(field) for field in ("kind", "set", "net", "mode", "tool"))


def read_meta(results):
    meta = {}
    for name in ("meta.txt", "volley-version.txt"):
        path = os.path.join(results, name)
        if os.path.exists(path):
            with open(path) as lines:
                for line in lines:
                    key, _, value = line.partition(":")
                    if value:
                        meta[key.strip()] = value.strip()
    return meta


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    results = sys.argv[1]
    raw = os.path.join(results, "raw")
    rows = []
    for name in sorted(os.listdir(raw)) if os.path.isdir(raw) else []:
        parts = name[: -len(".json")].split("__")
        if not name.endswith(".json") or len(parts) != 5:
            continue
        kind, tool, set_name, mode, net = parts
        with open(os.path.join(raw, name)) as export:
            result = json.load(export)["results"][0]
        busy = ""
        busy_path = os.path.join(raw, name[: -len(".json")] + ".busy")
        if os.path.exists(busy_path):
            with open(busy_path) as count:
                started_busy = count.read().strip().split("/")[0]
            busy = "" if started_busy in ("", "0") else started_busy
        times = result["times"]
        rows.append(
            {
                "kind": kind,
                "set": set_name,
                "net": net,
                "mode": mode,
                "tool": tool,
                "median": statistics.median(times),
                "min": min(times),
                "max": max(times),
                "cpu": result.get("user", 0.0) + result.get("system", 0.0),
                "runs": len(times),
                "busy_starts": int(busy or 0),
                "times": times,
            }
        )
    rows.sort(key=sort_key)
    pip = {
        (row["kind"], row["set"], row["net"], row["mode"]): row["median"]
        for row in rows
        if row["tool"] == "pip"
    }
    lines = [
        "| kind | set | network | mode | tool | median s | min s | max s | cpu s | runs | busy starts | pip / tool |",
        "|---|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        pip_median = pip.get((row["kind"], row["set"], row["net"], row["mode"]))
        ratio = f"{pip_median / row['median']:.1f}x" if pip_median and row["tool"] != "pip" else ""
        lines.append(
            f"| {row['kind']} | {row['set']} | {row['net']} | {row['mode']} | {row['tool']} | "
            f"{row['median']:.2f} | {row['min']:.2f} | {row['max']:.2f} | {row['cpu']:.2f} | "
            f"{row['runs']} | {row['busy_starts'] or ''} | {ratio} |"
        )
    table = "\n".join(lines) + "\n"
    with open(os.path.join(results, "table.md"), "w") as out:
        out.write(table)
    with open(os.path.join(results, "results.json"), "w") as out:
        json.dump({"meta": read_meta(results), "rows": rows}, out, indent=1)
        out.write("\n")
    sys.stdout.write(table)


if __name__ == "__main__":
    main()
