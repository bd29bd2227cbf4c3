#!/usr/bin/env python3
"""Wait (at most --max-wait seconds) until the machine is at least --idle idle over one
second, then append "quiet=1" or "quiet=0" (gave up waiting) with the idle fraction to --log.

bench/lib.sh runs this before every timed run, so that a run that had to start while other
work kept the CPUs busy is counted in the table's "busy starts" column. It always exits 0.
"""

import argparse
import time


def busy_and_total():
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:9]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def idle_fraction(seconds):
    busy_before, total_before = busy_and_total()
    time.sleep(seconds)
    busy_after, total_after = busy_and_total()
    elapsed = max(total_after - total_before, 1)
    return 1.0 - (busy_after - busy_before) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=0.9)
    parser.add_argument("--max-wait", type=float, default=5.0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    started = time.monotonic()
    while True:
        fraction = idle_fraction(1.0)
        quiet = fraction >= args.idle
        if quiet or time.monotonic() - started >= args.max_wait:
            break
    with open(args.log, "a") as log:
        log.write(f"waited={time.monotonic() - started:.1f} idle={fraction:.2f} quiet={int(quiet)}\n")


if __name__ == "__main__":
    main()
