#!/usr/bin/env python3
# scripts/fuzz-seeds.py - regenerate the seed corpora of the fuzz targets.
# Owns: fuzz/corpus/{record,macro,rdata,eval,zone}/ (every file in them is
# rewritten; fuzz/corpus/header/ and others are left alone).  Seeds come
# from the RFC 7208 conformance suite (tests/conformance/rfc7208-tests.yml)
# and tests/cli/zone.yml, plus hand-made wire RDATA and evaluator scripts
# in the input formats documented at the top of fuzz/fuzz_<target>.c.
# Files are named by the SHA-1 of their content, as libFuzzer names them.
# Usage: python3 scripts/fuzz-seeds.py [REPO_DIR]     (needs python3-yaml)
# Must not: write outside fuzz/corpus/.
# SPDX-License-Identifier: BSD-2-Clause
import hashlib
import ipaddress
import os
import re
import struct
import sys

import yaml

TARGETS = ("record", "macro", "rdata", "eval", "zone")

# fuzz_macro flags (byte 0).
M_EXP, M_DOMAIN, M_IPV6 = 0x01, 0x02, 0x04

# fuzz_eval flags and answer control bytes.
F0_IPV6, F0_HELO, F0_SPEC, F0_TRACE = 0x01, 0x02, 0x04, 0x08
F0_LIFO, F0_ALT, F0_PICK = 0x10, 0x20, 0x30
F0_ONE, F0_ABORT = 0x40, 0x80
F1_CACHE1, F1_SMALL, F1_EXP, F1_NULL = 0x10, 0x20, 0x40, 0x80
OK, NXDOMAIN, NODATA, SERVFAIL, TIMEOUT, BADSTATUS = 0, 1, 2, 3, 4, 5
COOKED = 0x80


def spf_strings(val):
    """The bytes of a TXT/SPF zonedata value, or None for NONE."""
    if isinstance(val, list):
        return b"".join(str(v).encode("utf-8") for v in val)
    if val == "NONE":
        return None
    return str(val).encode("utf-8")


def wire_name(name):
    out = b""
    for lab in name.encode("utf-8").split(b"."):
        if lab:
            out += bytes([min(len(lab), 63)]) + lab[:63]
    return out + b"\0"


def txt_rdata(text):
    out = b""
    while True:
        out += bytes([min(len(text), 255)]) + text[:255]
        text = text[255:]
        if not text:
            return out


def rr(data):
    """One record of an fuzz_eval answer chunk: length, then bytes."""
    if len(data) >= 0xff:
        return b"\xff" + struct.pack(">H", len(data)) + data
    return bytes([len(data)]) + data


def chunk(status, records=(), cooked=True):
    c = status | (len(records) << 3) | (COOKED if cooked else 0)
    return bytes([c]) + b"".join(rr(r) for r in records)


def eval_seed(f0, f1, ip, sender, helo, chunks):
    addr = ipaddress.ip_address(ip).packed
    if (f0 & F0_IPV6) != (len(addr) == 16):
        raise ValueError("flags and address family disagree: " + ip)
    return (bytes([f0, f1]) + addr + sender.encode() + b"\0" +
            helo.encode() + b"\0" + b"".join(chunks))


class Corpus:
    def __init__(self, root):
        self.root = root
        self.files = {t: {} for t in TARGETS}

    def add(self, target, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.files[target][hashlib.sha1(data).hexdigest()] = data

    def write(self):
        for t in TARGETS:
            d = os.path.join(self.root, t)
            os.makedirs(d, exist_ok=True)
            for f in os.listdir(d):
                os.unlink(os.path.join(d, f))
            for name, data in sorted(self.files[t].items()):
                with open(os.path.join(d, name), "wb") as fp:
                    fp.write(data)
            print("%s: %d files, %d bytes" % (t, len(self.files[t]),
                  sum(len(v) for v in self.files[t].values())))


def from_suite(c, path):
    """Records, macro strings, zone documents and first-answer eval seeds
    from one openspf-format YAML file."""
    text = open(path, "rb").read()
    # The zone documents, as written (the loader reads document 0).
    for doc in re.split(rb"(?m)^---[ \t]*$", text)[1:]:
        c.add("zone", b"---" + doc)
    seen = set()
    for doc in yaml.safe_load_all(text):
        if not isinstance(doc, dict):
            continue
        zone = doc.get("zonedata") or {}
        txt = {}
        for owner, items in zone.items():
            for item in items or []:
                if not isinstance(item, dict):
                    continue
                for typ, val in item.items():
                    if typ not in ("TXT", "SPF"):
                        continue
                    data = spf_strings(val)
                    if data is None:
                        continue
                    txt.setdefault(owner.lower().rstrip("."), data)
                    if data.lower().startswith(b"v=spf1"):
                        c.add("record", data)
                        for spec in re.findall(rb"[:=]([^ ]*%[^ ]*)", data):
                            c.add("macro", bytes([M_DOMAIN]) + spec)
                    else:
                        # Explanation texts and other TXT data.
                        c.add("macro", bytes([M_EXP]) + data)
        for name, t in (doc.get("tests") or {}).items():
            sender = str(t.get("mailfrom", ""))
            helo = str(t.get("helo", ""))
            host = str(t.get("host", "192.0.2.1"))
            try:
                v6 = ipaddress.ip_address(host).version == 6
            except ValueError:
                continue
            dom = (sender.rpartition("@")[2] if sender else helo).lower()
            rec = txt.get(dom.rstrip("."))
            if rec is None or (rec, v6) in seen:
                continue
            seen.add((rec, v6))
            # The record, then generic answers for whatever comes next:
            # a name (MX/PTR/TXT), the client's own address (A/AAAA).
            f0 = (F0_IPV6 if v6 else 0) | (F0_HELO if not sender else 0)
            c.add("eval", eval_seed(f0, 0, host, sender, helo, [
                chunk(OK, [rec]),
                chunk(OK, [b"mail.example.com"]),
                chunk(OK, [b""]),
                chunk(OK, [b""]),
            ]))


def rdata_seeds(c):
    c.add("rdata", b"")
    c.add("rdata", txt_rdata(b"v=spf1 ip4:192.0.2.0/24 -all"))
    c.add("rdata", txt_rdata(b"v=spf1 " + b"a:x.example.com " * 30 +
                             b"-all"))
    c.add("rdata", b"\x06v=spf1\x0b ip4:1.2.3.4\x05 -all")
    c.add("rdata", b"\x00")
    c.add("rdata", b"\x00\x00\x00")
    c.add("rdata", b"\x10short")		# length past the end
    c.add("rdata", b"\x03abc\xff")		# trailing length byte
    c.add("rdata", b"\x00\x0a" + wire_name("mail.example.com"))
    c.add("rdata", b"\x00\x00\x00")		# MX to the root
    c.add("rdata", b"\x00\x0a\x04mail\xc0\x0c")	# compression pointer
    c.add("rdata", b"\x00\x0a\x04mail\x07example\x03com")	# no root
    c.add("rdata", b"\x00\x0a" + wire_name("mx.example.com") + b"junk")
    c.add("rdata", wire_name("mail.example.com"))
    c.add("rdata", wire_name("a." * 126 + "b"))
    c.add("rdata", b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" +
          b"c" * 63 + b"\x3e" + b"d" * 62 + b"\x00")	# 255 octets
    c.add("rdata", b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" +
          b"c" * 63 + b"\x3f" + b"d" * 63 + b"\x00")	# 256 octets
    c.add("rdata", b"\x40" + b"x" * 64 + b"\x00")	# label of 64
    c.add("rdata", b"\x03a.b\x03c\x00d\x00")	# dot and NUL in labels
    c.add("rdata", ipaddress.ip_address("192.0.2.1").packed)
    c.add("rdata", ipaddress.ip_address("2001:db8::1").packed)
    c.add("rdata", ipaddress.ip_address("::ffff:192.0.2.1").packed)


def macro_seeds(c):
    for s in ("%{s}", "%{l}", "%{o}", "%{d}", "%{i}", "%{p}", "%{v}",
              "%{h}", "%{d4}", "%{d2r}", "%{l-}", "%{ir}.%{v}._spf.%{d2}",
              "%{lr-}.lp._spf.%{d2}", "%{l1r-}.lp._spf.%{d2}",
              "%{ir}.%{l1r+-}._spf.%{d}", "%{d999999999999999999999}",
              "%{S}.%{L}.%{O}.%{D}.%{I}.%{P}.%{V}.%{H}", "%{d0}",
              "%{d1r.-+,/_=}.example.com", "%%%_%-.example.com",
              "%{i}.%{i}.%{i}.%{i}.%{i}.%{i}.%{i}.%{i}.%{i}.%{i}.com",
              "example.com", "example.com.", "a.b.123", "a.-b", "%",
              "%{", "%{d", "%{x}.example.com", "%{d}.", "%{dr"):
        for f in (M_DOMAIN, M_DOMAIN | M_IPV6 | 0x08):
            c.add("macro", bytes([f]) + s.encode())
    for s in ("%{d}", "%{s}.%{h}", "%{i}.%{p}.%{l}"):
        for f in (0, M_DOMAIN | 0x10, M_DOMAIN | 0x18):
            c.add("macro", bytes([f]) + s.encode())
    for s in ("%{c} is not one of %{d}'s designated mail servers.",
              "See http://%{d}/why.html?s=%{S}&i=%{C}",
              "%{r} %{t} %{c} %{C} %{R} %{T}", "%{l} at %{o} %{p} %{h}",
              "%{s} %%%_%- \"x\" %{i}", "%{c}"):
        for f in (M_EXP, M_EXP | M_IPV6 | 0x10, M_EXP | 0x18):
            c.add("macro", bytes([f]) + s.encode())


def eval_seeds(c):
    v4, v6 = "192.0.2.1", "2001:db8::1"
    s = "strong-bad@email.example.com"
    h = "mail.example.net"
    seeds = [
        # ip4 pass
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 ip4:192.0.2.0/24 -all"])]),
        # fail, exp= with %{p}: TXT, TXT exp, PTR, A
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 -all exp=exp.example.com"]),
            chunk(OK, [b"%{l} at %{d} may not send from %{i} (%{p})"]),
            chunk(OK, [b"mail.example.com", b"other.example.com"]),
            chunk(OK, [b""]), chunk(OK, [b"\x01\x02\x03\x04"])]),
        # a: the client's own address
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 a -all"]), chunk(OK, [b""])]),
        # mx: two exchanges and their addresses
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 mx:example.org/24 -all"]),
            chunk(OK, [b"mx1.example.org", b"mx2.example.org"]),
            chunk(NXDOMAIN), chunk(OK, [b"\xc0\x00\x02\x09"])]),
        # include, IPv6
        (F0_IPV6, 0, v6, s, h, [
            chunk(OK, [b"v=spf1 include:inc.example.net ~all"]),
            chunk(OK, [b"v=spf1 ip6:2001:db8::/32 -all"])]),
        # redirect
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 redirect=r.example.net"]),
            chunk(OK, [b"v=spf1 ?all"])]),
        # ptr, IPv6
        (F0_IPV6, 0, v6, s, h, [
            chunk(OK, [b"v=spf1 ptr -all"]),
            chunk(OK, [b"mail.email.example.com"]), chunk(OK, [b""])]),
        # exists with macros
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 exists:%{ir}.%{l1r-}.%{d2}.x.example.com"
                       b" -all"]), chunk(OK, [b"\x7f\x00\x00\x02"])]),
        # temperror, multiple records, malformed TXT, unknown status
        (0, 0, v4, s, h, [chunk(TIMEOUT)]),
        (0, 0, v4, s, h, [chunk(SERVFAIL)]),
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 -all", b"v=spf1 +all"])]),
        (0, 0, v4, s, h, [chunk(OK, [b"\x20v=spf1 -all"], cooked=False)]),
        (0, 0, v4, s, h, [chunk(BADSTATUS)]),
        (0, 0, v4, s, h, [bytes([7 | (2 << 3)])]),	# OK, NULL rdata
        # abort after the first answer; after three (speculative)
        (F0_ABORT, 0, v4, s, h, [chunk(OK, [b"v=spf1 a mx -all"])]),
        (F0_ABORT | F0_SPEC, 3, v4, s, h, [
            chunk(OK, [b"v=spf1 a mx include:i.example.com -all"]),
            chunk(NODATA), chunk(NODATA), chunk(NODATA)]),
        # speculative, LIFO, one answer per step
        (F0_SPEC | F0_LIFO | F0_ONE, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 a mx include:i.example.com "
                       b"exists:%{d}.e.example.com -all"]),
            chunk(OK, [b"v=spf1 -all"]), chunk(NXDOMAIN),
            chunk(OK, [b"mx.example.com"]), chunk(OK, [b""]),
            chunk(NXDOMAIN), chunk(NXDOMAIN)]),
        (F0_SPEC | F0_ALT, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 a:a.example.com mx:m.example.com "
                       b"ptr:p.example.com -all"]),
            chunk(OK, [b""]), chunk(NODATA), chunk(OK, [b"m1.example.com"]),
            chunk(OK, [b"p.example.com"])]),
        (F0_SPEC | F0_PICK, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 a:a.example.com mx:m.example.com "
                       b"include:i.example.com -all"]),
            b"\x02" + chunk(NXDOMAIN), b"\x01" + chunk(OK, [b""])]),
        # HELO identity, null sender, trace and tiny cache
        (F0_HELO | F0_TRACE, F1_CACHE1, v4, s, h, [
            chunk(OK, [b"v=spf1 a:%{h} -all"]), chunk(OK, [b""])]),
        (F0_TRACE, F1_NULL | F1_EXP, v4, "", h, [
            chunk(OK, [b"v=spf1 -all"]), chunk(OK, [b"ptr.example.com"]),
            chunk(OK, [b""])]),
        # void-lookup and DNS-term limits
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 a:n1.example.com a:n2.example.com "
                       b"a:n3.example.com -all"]),
            chunk(NXDOMAIN), chunk(NXDOMAIN), chunk(NXDOMAIN)]),
        (0, F1_SMALL, v4, s, h, [
            chunk(OK, [b"v=spf1 include:a.example.com -all"]),
            chunk(OK, [b"v=spf1 include:b.example.com"]),
            chunk(OK, [b"v=spf1 include:c.example.com"]),
            chunk(OK, [b"v=spf1 include:d.example.com"])]),
        # an include loop
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 include:email.example.com"])]
         * 12),
        # too many MX names
        (0, 0, v4, s, h, [
            chunk(OK, [b"v=spf1 mx -all"]),
            chunk(OK, [b"mx%d.example.com" % i for i in range(11)])]),
        # a long record split into character-strings
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 " + b"ip4:192.0.2.77 " * 40 +
                                     b"?all"])]),
        # a TXT answer over MXSPF_MAX_RECORD (8192) bytes
        (0, 0, v4, s, h, [chunk(OK, [b"v=spf1 " + b"a" * 8300])]),
    ]
    for f0, f1, ip, snd, hl, chunks in seeds:
        c.add("eval", eval_seed(f0, f1, ip, snd, hl, chunks))


def main():
    repo = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    c = Corpus(os.path.join(repo, "fuzz", "corpus"))
    from_suite(c, os.path.join(repo, "tests", "conformance",
                               "rfc7208-tests.yml"))
    # More names than the zone's first hash table holds (it must grow),
    # CNAME chains and a loop.
    big = ["---", "zonedata:"]
    for i in range(100):
        big.append("  n%d.example.com:" % i)
        big.append("    - A: 192.0.2.%d" % (i + 1))
        big.append("    - CNAME: n%d.example.com" % ((i + 1) % 100)
                   if i % 10 == 9 else "    - TXT: v=spf1 a -all")
    big += ["  loop1.example.com:", "    - CNAME: loop2.example.com",
            "  loop2.example.com:", "    - CNAME: loop1.example.com"]
    c.add("zone", "\n".join(big) + "\n")
    cli_zone = os.path.join(repo, "tests", "cli", "zone.yml")
    if os.path.exists(cli_zone):
        with open(cli_zone, "rb") as fp:
            c.add("zone", fp.read())
    for rec in (b"v=spf1", b"v=spf1 ", b"V=SPF1 -ALL", b"v=spf1 a/24//64 "
                b"mx:%{d}/0 ip6:::1/128 ip4:0.0.0.0/0 ptr:x.y exists:%{i}.z "
                b"include:a.b redirect=c.d exp=e.f x-unknown=%{h}"):
        c.add("record", rec)
    # The limits: more than MXSPF_MAX_TERMS terms, more than
    # MXSPF_MAX_RECORD bytes (these also raise libFuzzer's -max_len).
    c.add("record", b"v=spf1" + b" a" * 600)
    c.add("record", b"v=spf1 " + b"x" * 8200)
    macro_seeds(c)
    rdata_seeds(c)
    eval_seeds(c)
    c.write()


if __name__ == "__main__":
    main()
