#!/usr/bin/python3
# bench/policy/dnsdelay.py - a UDP DNS forwarder on 127.0.0.1 that answers
# every query DELAY_MS after it arrived, with the upstream's answer, and
# logs each query; the "slow DNS server" of the cold-cache measurement.
# Owns: one asyncio UDP listener; one upstream socket per query (2 s
#   timeout: no answer, no reply); the log, one line per query:
#   "<ms since start> <qname> <qtype>", flushed at once.
# Must not: listen anywhere but 127.0.0.1, speak TCP (answers fit in UDP:
#   the workload's records are short), or run longer than --lifetime.
# Usage: dnsdelay.py --port P --upstream PORT --delay-ms 20 --log FILE
#        [--lifetime SECONDS]; prints "dnsdelay: ready" when listening.
# SPDX-License-Identifier: BSD-2-Clause
import argparse
import asyncio
import socket
import struct
import sys
import time

QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX",
          16: "TXT", 28: "AAAA", 99: "SPF"}


def question(data):
    """(qname, qtype) of a DNS query, or ("?", "?")."""
    try:
        i, labels = 12, []
        while data[i] != 0:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        qtype = struct.unpack("!H", data[i + 1:i + 3])[0]
        return ".".join(labels) or ".", QTYPES.get(qtype, str(qtype))
    except (IndexError, struct.error):
        return "?", "?"


class Delay(asyncio.DatagramProtocol):
    def __init__(self, args, log):
        self.args, self.log, self.t0 = args, log, time.monotonic()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        t = time.monotonic()
        name, qtype = question(data)
        self.log.write("%.3f %s %s\n" % ((t - self.t0) * 1e3, name, qtype))
        self.log.flush()
        asyncio.ensure_future(self.answer(data, addr, t))

    async def answer(self, data, addr, t):
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", self.args.upstream))
            await loop.sock_sendall(s, data)
            reply = await asyncio.wait_for(loop.sock_recv(s, 65535), 2.0)
        except (OSError, asyncio.TimeoutError):
            return
        finally:
            s.close()
        wait = t + self.args.delay_ms / 1e3 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self.transport.sendto(reply, addr)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--delay-ms", type=float, default=20.0)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=600.0)
    args = ap.parse_args()
    log = open(args.log, "a")
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: Delay(args, log), local_addr=("127.0.0.1", args.port))
    print("dnsdelay: ready", flush=True)
    try:
        await asyncio.sleep(args.lifetime)
    finally:
        transport.close()
        log.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
