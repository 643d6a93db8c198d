#!/usr/bin/python3
# bench/peers/pyspf_bench.py - the pyspf peer of mxspf-bench.
#
# Runs Debian's python3-spf (pyspf) on the same workload file with its DNS
# answered from memory: spf.DNSLookup is replaced by a lookup in a dict
# built from the workload's zonedata, the way pyspf's own test harness
# (test/testspf.py) does it.  The zone is translated to pyspf's value types
# once, at load time, so the timed runs measure pyspf, not the harness.
# Output ends with the "key: value" lines mxspf-bench --peers reads:
#   peer:, checks_per_sec:, cpu_us_per_check:, agreement: N/M
#
# Owns: nothing outside this process.  Must not: touch the network (every
# name is answered from the dict; a missing name is an empty answer).
# Needs: apt-get install python3-spf python3-yaml; run with /usr/bin/python3.
# SPDX-License-Identifier: BSD-2-Clause
import argparse
import socket
import statistics
import sys
import time

try:
    import spf
    import yaml
except ImportError as e:
    sys.exit("pyspf_bench: %s (apt-get install python3-spf python3-yaml; "
             "run with /usr/bin/python3)" % e)

ZONE = {}
OLDRESULTS = {'unknown': 'permerror', 'error': 'temperror'}


def load_zone(zonedata):
    """Translate zonedata to {name: [(type, value), ...]} in pyspf's types."""
    zone = {}
    for name, rrs in zonedata.items():
        out = []
        for rr in rrs:
            if rr == 'TIMEOUT':
                out.append(('TIMEOUT', None))
                continue
            for t, v in rr.items():
                if v == 'TIMEOUT':
                    out.append((t, 'TIMEOUT'))
                elif t == 'AAAA':
                    out.append((t, socket.inet_pton(socket.AF_INET6, v)))
                elif t in ('TXT', 'SPF'):
                    if isinstance(v, str):
                        v = (v,)
                    out.append((t, tuple(s.encode('utf-8') for s in v)))
                elif t == 'MX':
                    out.append((t, (v[0], v[1])))
                else:
                    out.append((t, v))
        zone[name.lower().rstrip('.')] = out
    return zone


def dns_lookup(name, qtype, strict=True, timeout=None, level=0):
    """spf.DNSLookup replacement: answer from ZONE (testspf.py semantics)."""
    labels = [l for l in name.split('.') if l]
    for l in labels:
        if len(l) > 63:
            raise spf.TempError('DNS label too long')
    name = '.'.join(labels)
    rrs = ZONE.get(name.lower())
    if rrs is None:
        return []
    res = []
    for t, v in rrs:
        if t == 'TIMEOUT':
            raise spf.TempError('DNS timeout')
        if v == 'TIMEOUT':
            if t == qtype:
                raise spf.TempError('DNS timeout')
            continue
        res.append(((name, t), v))
        if not level and t == 'CNAME':
            res.extend(dns_lookup(v, qtype, strict, timeout, 1))
    return res


def check(t):
    q = spf.query(i=t['host'], s=t.get('mailfrom', ''),
                  h=t.get('helo', ''), strict=True)
    res, _code, _exp = q.check()
    return OLDRESULTS.get(res, res)


def main():
    global ZONE
    ap = argparse.ArgumentParser()
    ap.add_argument('-t', type=float, default=5, help='seconds per run')
    ap.add_argument('-r', type=int, default=5, help='runs')
    ap.add_argument('workload')
    a = ap.parse_args()
    with open(a.workload, 'rb') as f:
        doc = next(yaml.safe_load_all(f))
    ZONE = load_zone(doc['zonedata'])
    spf.DNSLookup = dns_lookup
    tests = sorted(doc['tests'].items())

    agree = 0
    shown = 0
    for name, t in tests:
        got = check(t)
        want = t['result']
        want = want if isinstance(want, list) else [want]
        if got in want:
            agree += 1
        elif shown < 10:
            shown += 1
            print('disagree: %s: got %s, expected %s' %
                  (name, got, '|'.join(want)))
    rates = []
    cpus = []
    for r in range(a.r):
        checks = 0
        c0 = time.process_time()
        t0 = time.monotonic()
        while True:
            for _name, t in tests:
                check(t)
            checks += len(tests)
            el = time.monotonic() - t0
            if el >= a.t:
                break
        rates.append(checks / el)
        cpus.append((time.process_time() - c0) * 1e6 / checks)
        print('run %d: %d checks in %.2f s: %.0f checks/s' %
              (r + 1, checks, el, rates[-1]), flush=True)
    print('peer: pyspf %s (Python %d.%d.%d), DNS from a dict' %
          (getattr(spf, '__version__', '2.0.14'), *sys.version_info[:3]))
    print('checks_per_sec: %.1f' % statistics.median(rates))
    print('cpu_us_per_check: %.2f' % statistics.median(cpus))
    print('agreement: %d/%d' % (agree, len(tests)))


if __name__ == '__main__':
    main()
