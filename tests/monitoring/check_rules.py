#!/usr/bin/env python3
"""Checks monitoring/prometheus/divaudit.rules.yml beyond what promtool does:
- every alert has an Alertmanager-conventional severity (critical, warning, info); findings
  alerts carry the rule severity in finding_severity;
- every alert except DivauditAbsent keeps instances (and orgs) apart: it aggregates by or joins on
  instance, and names the org unless it is about the target itself;
- every runbook_url is absolute, on one base (--base, default the shipped placeholder), and its
  anchor is a "#### <AlertName>" runbook in README.md.
Usage: check_rules.py RULES README [--base URL]"""
import re
import sys

import yaml

PLACEHOLDER = "https://runbooks.invalid/divaudit"


def main(argv):
    rules_path, readme_path = argv[1], argv[2]
    base = argv[argv.index("--base") + 1] if "--base" in argv else PLACEHOLDER
    doc = yaml.safe_load(open(rules_path))
    readme = open(readme_path).read()
    anchors = {h.strip().lower() for h in re.findall(r"^#### (\S+)\s*$", readme, re.M)}
    errors = []
    alerts = [r for g in doc["groups"] for r in g["rules"] if "alert" in r]
    for r in alerts:
        name, labels, expr = r["alert"], r.get("labels", {}), r["expr"]
        if labels.get("severity") not in ("critical", "warning", "info"):
            errors.append("%s: severity %r is not critical/warning/info" % (name, labels.get("severity")))
        if "findings" in expr and "finding_severity" not in labels and name != "DivauditNewFindings":
            errors.append("%s: a findings alert without finding_severity" % name)
        if name != "DivauditAbsent" and "instance" not in expr:
            errors.append("%s: neither aggregates by nor joins on instance" % name)
        if name not in ("DivauditAbsent", "DivauditTargetDown") and "org" not in expr:
            errors.append("%s: does not carry the org" % name)
        url = r.get("annotations", {}).get("runbook_url", "")
        if not url.startswith(base + "#"):
            errors.append("%s: runbook_url %r is not on base %s" % (name, url, base))
        anchor = url.split("#", 1)[-1]
        if anchor != name.lower():
            errors.append("%s: runbook anchor %r is not %r" % (name, anchor, name.lower()))
        if anchor not in anchors:
            errors.append("%s: README.md has no '#### %s' runbook" % (name, name))
    for e in errors:
        print("FAIL:", e)
    print("checked %d alerts" % len(alerts))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
