#!/usr/bin/python3
# bench/policy/zonedata2nsd.py - the zonedata of an openspf-format YAML
# workload as nsd zone files, one per top-level domain (example.zone,
# test.zone, ...), for the policy benchmark's private nsd.
# Owns: the conversion (TXT and SPF as TXT split into 255-byte strings, A,
#   AAAA, MX, PTR, CNAME; TIMEOUT entries skipped), the SOA/NS of each zone,
#   and the recipient domain receiver.test (MX 10 mx.receiver.test, whose
#   addresses are in 203.0.113.0/24 and 2001:db8:ffff:ffff::/64 so that no
#   workload client is one of its MX hosts).
# Must not: write outside OUTDIR.
# Usage: zonedata2nsd.py WORKLOAD.yml OUTDIR
# SPDX-License-Identifier: BSD-2-Clause
import os
import sys

import yaml

TXT_CHUNK = 255         # bytes per character-string (RFC 1035 s3.3)
TTL = 3600


def txt_rdata(text):
    """The TXT rdata of text: quoted strings of at most 255 bytes."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    parts = []
    for i in range(0, max(len(data), 1), TXT_CHUNK):
        chunk = data[i:i + TXT_CHUNK]
        out = []
        for b in chunk:
            if b in (0x22, 0x5C):
                out.append("\\" + chr(b))
            elif 0x20 <= b < 0x7F:
                out.append(chr(b))
            else:
                out.append("\\%03d" % b)
        parts.append('"' + "".join(out) + '"')
    return " ".join(parts)


def fqdn(name):
    name = str(name).rstrip(".")
    return name + "."


def rr_lines(name, rr):
    """Zone-file lines for one zonedata entry (a dict or a bare string)."""
    if not isinstance(rr, dict):
        return []                       # TIMEOUT and friends
    lines = []
    for rtype, value in rr.items():
        if rtype in ("TXT", "SPF"):
            texts = value if isinstance(value, list) else [value]
            # A list is one record of several strings (openspf format).
            lines.append((name, "TXT", " ".join(txt_rdata(t)
                                                for t in texts)))
        elif rtype in ("A", "AAAA"):
            lines.append((name, rtype, str(value)))
        elif rtype == "MX":
            lines.append((name, "MX", "%d %s" % (int(value[0]),
                                                 fqdn(value[1]))))
        elif rtype in ("PTR", "CNAME"):
            lines.append((name, rtype, fqdn(value)))
        else:
            print("zonedata2nsd: %s: type %s skipped" % (name, rtype),
                  file=sys.stderr)
    return lines


def main():
    if len(sys.argv) != 3:
        print("usage: zonedata2nsd.py WORKLOAD.yml OUTDIR", file=sys.stderr)
        return 2
    with open(sys.argv[1], "rb") as f:
        doc = next(yaml.safe_load_all(f))
    zonedata = dict(doc["zonedata"])
    zonedata.setdefault("receiver.test", [
        {"MX": [10, "mx.receiver.test"]}])
    zonedata.setdefault("mx.receiver.test", [
        {"A": "203.0.113.25"}, {"AAAA": "2001:db8:ffff:ffff::25"}])
    zones = {}
    seen = set()
    for name, rrs in zonedata.items():
        name = fqdn(name).lower()
        tld = name.rstrip(".").rsplit(".", 1)[-1]
        for rr in (rrs if isinstance(rrs, list) else [rrs]):
            for line in rr_lines(name, rr):
                if line in seen:        # SPF duplicating a TXT
                    continue
                seen.add(line)
                zones.setdefault(tld, []).append(line)
    os.makedirs(sys.argv[2], exist_ok=True)
    for tld, lines in sorted(zones.items()):
        path = os.path.join(sys.argv[2], tld + ".zone")
        with open(path, "w") as f:
            f.write("$ORIGIN %s.\n$TTL %d\n" % (tld, TTL))
            f.write("@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 %d\n"
                    % (tld, tld, TTL))
            f.write("@ IN NS ns.%s.\n" % tld)
            if not any(n == "ns.%s." % tld for n, _, _ in lines):
                f.write("ns IN A 127.0.0.1\n")
            for name, rtype, rdata in lines:
                f.write("%s IN %s %s\n" % (name, rtype, rdata))
        print("zonedata2nsd: %s: %d records" % (path, len(lines)),
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
