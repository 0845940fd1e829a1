#!/usr/bin/env python3
"""Checks monitoring/grafana/divaudit.json: valid JSON, Grafana 10 schema, the data source is a
variable used by every panel and target, and every metric it queries is one divaudit exports."""
import json
import re
import sys

KNOWN = {
    "divaudit_findings", "divaudit_findings_new_total", "divaudit_findings_resolved_total",
    "divaudit_cross_tenant_users", "divaudit_sweeps_total", "divaudit_sweep_duration_seconds",
    "divaudit_sweep_duration_seconds_bucket", "divaudit_last_sweep_timestamp_seconds",
    "divaudit_last_complete_sweep_timestamp_seconds", "divaudit_sweep_in_progress",
    "divaudit_coverage_ratio", "divaudit_api_requests_total", "divaudit_api_throttled_total",
    "divaudit_org_objects", "divaudit_exceptions", "divaudit_build_info",
    "divaudit_sweep_interval_seconds",
}

def main(path):
    dash = json.load(open(path))
    errors = []
    if dash.get("schemaVersion", 0) < 36:
        errors.append("schemaVersion %s is older than Grafana 10's" % dash.get("schemaVersion"))
    names = [v["name"] for v in dash["templating"]["list"]]
    if "datasource" not in names:
        errors.append("no datasource template variable")
    seen = set()
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            errors.append("panel %r does not use ${datasource}" % p["title"])
        for t in p.get("targets", []):
            if t.get("datasource", {}).get("uid") != "${datasource}":
                errors.append("target of %r does not use ${datasource}" % p["title"])
            for m in re.findall(r"\bdivaudit_[a-z_]+", t["expr"]):
                seen.add(m)
                if m not in KNOWN:
                    errors.append("panel %r queries unknown metric %s" % (p["title"], m))
    for required in ("divaudit_findings", "divaudit_cross_tenant_users", "divaudit_sweeps_total",
                     "divaudit_coverage_ratio", "divaudit_api_throttled_total",
                     "divaudit_findings_new_total", "divaudit_findings_resolved_total"):
        if required not in seen:
            errors.append("dashboard never shows %s" % required)
    for e in errors:
        print("FAIL:", e)
    print("checked %d panels, %d metrics" % (len(dash["panels"]), len(seen)))
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
