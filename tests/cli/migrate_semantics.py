#!/usr/bin/env python3
# tests/cli/migrate_semantics.py - "mxspf migrate-config" against
# policyd-spf itself.
# Usage: migrate_semantics.py MXSPF_BINARY
# For every combination of HELO_reject, Mail_From_reject (each value and
# one it does not know), TempError_Defer, PermError_reject, No_Mail and
# TestOnly it writes a policyd-spf.conf, converts it, and then, for every
# pair of SPF results (HELO, MAIL FROM), with and without a sender, and
# with the sender's record "v=spf1 -all" or another one, compares:
#   - what policyd-spf answers: Debian's spf_engine (3.0.4) reads the file
#     with its own _readConfigFile() and decides with its own _spfcheck(),
#     pyspf's query replaced by one that returns the chosen results;
#   - what mxspfd does with the converted [policy] (mxspfd.conf(5)): HELO
#     first when check_helo (a HELO fail is the verdict), else MAIL FROM; a
#     bounce is decided by its HELO name; on_<result>; test_mode accepts.
# mxspfd must never be stricter (accept < defer < reject), except where
# the output says so (a HELO temperror policyd-spf deferred at once), and
# an output that says "Same decisions as policyd-spf." must decide the same
# in every case.  Prints "N passed, N failed" ("skipped" when
# postfix-policyd-spf-python is not installed) and exits 1 on a failure.
# SPDX-License-Identifier: BSD-2-Clause
import itertools
import os
import subprocess
import sys
import tempfile

try:
    import spf_engine
    import spf_engine.policydspfsupp as supp
except ImportError:
    print("migrate-semantics: skipped (spf_engine not installed)")
    print("0 passed, 0 failed")
    sys.exit(0)

RESULTS = ["pass", "fail", "softfail", "neutral", "none", "permerror",
           "temperror"]
ORDER = {"accept": 0, "defer": 1, "reject": 2}
HELO = "mail.example.net"
SENDER = "user@example.org"


def quiet(*args, **kwargs):
    """syslog.syslog replacement: the test logs nothing"""


spf_engine.syslog.syslog = quiet
supp.syslog.syslog = quiet


class FakeQuery:
    """pyspf's query, answering the results of the current case"""
    case = None

    def __init__(self, i=None, s=None, h=None, querytime=None, **kw):
        self.s = s
        self.h = h
        helo = s == "postmaster@" + h
        dom = h if helo else s.split("@", 1)[1]
        rec = b"v=spf1 -all" if FakeQuery.case["noall"] else b"v=spf1 a -all"
        self.cache = {(dom, "TXT"): [[rec]]}
        self.res = FakeQuery.case["helo" if helo else "mfrom"]

    def check(self):
        return (self.res, 250, "explanation")


spf_engine.spf.query = FakeQuery


def policyd(conffile, case):
    """policyd-spf's action for one case: accept, defer or reject"""
    conf = dict(supp.defaultConfigData)
    conf = supp._readConfigFile(conffile, conf)
    FakeQuery.case = case
    data = {"client_address": "192.0.2.1", "helo_name": HELO,
            "sender": "" if case["bounce"] else SENDER,
            "recipient": "example.com", "instance": "1"}
    value, _, _, _ = spf_engine._spfcheck(data, {}, conf, False, [])
    # policyd_spf.main(): TestOnly = 0 keeps only "prepend".
    if conf.get("TestOnly") == 0 and value != "prepend":
        value = None
    return value if value in ("reject", "defer") else "accept"


def mxspfd(policy, case):
    """mxspfd's action for one case, from its [policy] settings"""
    if policy["test_mode"] == "yes":
        return "accept"
    if case["bounce"] or (policy["check_helo"] == "yes" and
                          case["helo"] == "fail"):
        verdict = case["helo"]
    else:
        verdict = case["mfrom"]
    act = policy.get("on_" + verdict, "accept")
    if verdict == "temperror" and act == "reject":
        act = "defer"
    return act


def read_policy(text):
    """the key = value lines of [policy]"""
    policy, section = {}, None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif section == "policy" and " = " in line and line[0] != ";":
            k, v = line.split(" = ", 1)
            policy[k] = v
    return policy


def main():
    if len(sys.argv) != 2:
        print("usage: migrate_semantics.py MXSPF_BINARY", file=sys.stderr)
        return 2
    binary = sys.argv[1]
    passed = failed = 0
    values = ["SPF_Not_Pass", "Softfail", "Fail", "Null", "False",
              "No_Check", "fail"]
    with tempfile.TemporaryDirectory() as tmp:
        conffile = os.path.join(tmp, "policyd-spf.conf")
        for h, m, td, pr, nm, to in itertools.product(
                values, values, ["True", "False"], ["True", "False"],
                ["True", "False"], ["1", "0"]):
            name = "H=%s M=%s TD=%s PR=%s NoMail=%s TestOnly=%s" % (
                h, m, td, pr, nm, to)
            with open(conffile, "w") as f:
                f.write("HELO_reject = %s\nMail_From_reject = %s\n"
                        "TempError_Defer = %s\nPermError_reject = %s\n"
                        "No_Mail = %s\nTestOnly = %s\n" %
                        (h, m, td, pr, nm, to))
            run = subprocess.run([binary, "migrate-config", conffile],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print("FAIL - %s: exit %d: %s" % (name, run.returncode,
                                                  run.stderr.strip()))
                failed += 1
                continue
            policy = read_policy(run.stdout)
            said = " ".join(line[1:].strip() for line in
                            run.stdout.splitlines() if line[:1] == ";")
            same = "Same decisions as policyd-spf." in said
            stricter_said = "the one case where it is stricter" in said
            problems = []
            looser = 0
            for hr, mr, bounce, noall in itertools.product(
                    RESULTS, RESULTS, [False, True], [False, True]):
                if bounce and mr != "none":
                    continue    # no MAIL FROM check for a bounce
                case = {"helo": hr, "mfrom": mr, "bounce": bounce,
                        "noall": noall}
                p = policyd(conffile, case)
                x = mxspfd(policy, case)
                if ORDER[x] < ORDER[p]:
                    looser += 1
                if ORDER[x] > ORDER[p] and not (
                        stricter_said and not bounce and
                        hr == "temperror" and p == "defer"):
                    problems.append("%s: policyd-spf %s, mxspfd %s" %
                                    (case, p, x))
                if same and x != p:
                    problems.append("says same, but %s: policyd-spf %s, "
                                    "mxspfd %s" % (case, p, x))
            if looser and "Differences" not in said and \
                    policy["test_mode"] != "yes":
                problems.append("accepts more, but lists no differences")
            if problems:
                failed += 1
                print("FAIL - %s" % name)
                for line in problems[:5]:
                    print("    | " + line)
            else:
                passed += 1
    print("migrate-semantics: %d configurations compared" %
          (passed + failed))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
