#!/usr/bin/env python3
"""The simulated WAN's delay: a fixed-latency link between two TUN devices.

Linux's `netem` qdisc would add the delay, but kernels built without `sch_netem` exist (the
development machines' is one), while TUN and the `tbf` qdisc are everywhere. So bench/wan.sh
builds the link from two TUN devices that this program creates and joins: every packet read
from one device is written to the other DELAY milliseconds later, in order, never dropped
(the rate limit and its queue are `tbf` qdiscs on the devices, set by wan.sh).

    host (nginx) -> tbf -> HOST dev ==[ +DELAY ]==> NS dev -> namespace (the installers)
    host (nginx) <- HOST dev <==[ +DELAY ]== NS dev <- tbf <- namespace

The devices are opened with virtio-net headers and TCP segmentation offload, so the kernel
hands over segments of up to 64 KB instead of 1,500-byte packets: far fewer packets for a
Python loop to move, while TCP still sees an MTU of 1,500 (segment sizes, slow start and
windows are those of a real path). A packet, header included, is passed on unchanged.

Usage: delay.py --host-dev NAME --ns-dev NAME --delay-ms 20 [--ready FILE]
The devices exist while this program runs; SIGTERM ends it.
"""

import argparse
import collections
import errno
import fcntl
import os
import select
import signal
import struct
import time

# From <linux/if_tun.h>.
TUNSETIFF = 0x400454CA
TUNSETOFFLOAD = 0x400454D0
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
TUN_F_CSUM = 0x01
TUN_F_TSO4 = 0x02
TUN_F_TSO6 = 0x04

LARGEST_PACKET = 65536 + 64


def open_device(name):
    """Creates the TUN device `name` and returns its non-blocking descriptor."""
    descriptor = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    request = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI | IFF_VNET_HDR)
    fcntl.ioctl(descriptor, TUNSETIFF, request)
    fcntl.ioctl(descriptor, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
    return descriptor


class Direction:
    """Packets read from `source`, each written to `target` once it is due."""

    def __init__(self, source, target, delay):
        self.source = source
        self.target = target
        self.delay = delay
        self.queue = collections.deque()  # (due time, packet)
        self.packets = 0

    def read_all(self, now):
        due = now + self.delay
        while True:
            try:
                packet = os.read(self.source, LARGEST_PACKET)
            except BlockingIOError:
                return
            self.queue.append((due, packet))

    def write_due(self, now):
        """Writes the packets that are due; returns when the next one is (or None)."""
        while self.queue:
            due, packet = self.queue[0]
            if due > now:
                return due
            try:
                os.write(self.target, packet)
            except BlockingIOError:
                return now + 0.0005  # the device's queue is full: try again shortly
            except OSError as error:
                if error.errno not in (errno.EIO, errno.EINVAL):
                    raise
                # The other end is not up yet (or going down): the packet is lost, as on a
                # wire that is not plugged in.
            self.queue.popleft()
            self.packets += 1
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host-dev", required=True)
    parser.add_argument("--ns-dev", required=True)
    parser.add_argument("--delay-ms", type=float, required=True)
    parser.add_argument("--ready", help="file written once both devices exist")
    args = parser.parse_args()

    host = open_device(args.host_dev)
    namespace = open_device(args.ns_dev)
    delay = args.delay_ms / 1000.0
    directions = {
        host: Direction(host, namespace, delay),
        namespace: Direction(namespace, host, delay),
    }
    poller = select.epoll()
    for descriptor in directions:
        poller.register(descriptor, select.EPOLLIN)

    running = True

    def stop(_signal, _frame):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.ready:
        with open(args.ready, "w") as ready:
            ready.write(f"{os.getpid()}\n")

    next_due = None
    while running:
        timeout = -1 if next_due is None else max(next_due - time.monotonic(), 0.0)
        try:
            events = poller.poll(timeout)
        except InterruptedError:
            continue
        now = time.monotonic()
        for descriptor, _mask in events:
            directions[descriptor].read_all(now)
        dues = [direction.write_due(now) for direction in directions.values()]
        dues = [due for due in dues if due is not None]
        next_due = min(dues) if dues else None
    counts = ", ".join(f"{d.packets} packets" for d in directions.values())
    print(f"delay.py: stopped after host->ns {counts.replace(', ', ' / ns->host ', 1)}")


if __name__ == "__main__":
    main()
