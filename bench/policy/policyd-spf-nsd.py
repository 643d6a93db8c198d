#!/usr/bin/python3
# bench/policy/policyd-spf-nsd.py - Debian's policyd-spf, unmodified, with
# its resolver pointed at the benchmark's nsd instead of /etc/resolv.conf.
# Owns: after pyspf has read /etc/resolv.conf, replacing the name servers
#   of the DNS library pyspf chose (pydns, Debian's python3-dns, as
#   installed here; or dnspython when present) by 127.0.0.1 at the port in
#   $PL_DNS_PORT, without a cache, as policyd-spf runs against a local
#   resolver; then policyd-spf's main().
# Must not: change policyd-spf or the system's resolv.conf.  resolv.conf
#   has no port syntax, so a private nsd on a high port cannot be named
#   there; this is the "measure it another way" of the brief.
# Usage: policyd-spf-nsd.py [CONFIG]   (PL_DNS_PORT=PORT in the environment)
# SPDX-License-Identifier: BSD-2-Clause
import os
import sys

import spf

ADDR = os.environ.get("PL_DNS_ADDR", "127.0.0.1")
PORT = int(os.environ["PL_DNS_PORT"])

if spf.DNSLookup is spf.DNSLookup_pydns:
    import DNS
    DNS.defaults["server"] = [ADDR]
    DNS.defaults["port"] = PORT
else:
    import dns.resolver
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [ADDR]
    resolver.port = PORT
    dns.resolver.default_resolver = resolver

from spf_engine.policyd_spf import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "policyd-spf"
    sys.exit(main())
