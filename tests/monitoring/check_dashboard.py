#!/usr/bin/env python3
"""Checks monitoring/grafana/divaudit.json.

Static (always): valid JSON, Grafana 10 schema; the data source is a variable defaulting to the
declared input ${DS_PROMETHEUS} and used by every panel and target; every metric queried is one
divaudit exports; the org and tenant variables are scoped to the chosen job/instance; every
panel is scoped by $org, every panel over a tenant-labelled metric by $tenant; the findings
stats fall back to 0 (once a complete sweep exists) instead of "No data".

Live (--prometheus URL): runs every variable query and every panel target against that
Prometheus (variables substituted: --var name=value, default ".*") and fails on a query error,
or on an empty result while a divaudit/process metric the query reads has data.

Usage: check_dashboard.py DASHBOARD [--prometheus URL] [--var name=value ...]
"""
import json
import re
import sys
import urllib.parse
import urllib.request

KNOWN = {
    "divaudit_findings", "divaudit_findings_new_total", "divaudit_findings_resolved_total",
    "divaudit_cross_tenant_users", "divaudit_sweeps_total", "divaudit_sweep_duration_seconds",
    "divaudit_sweep_duration_seconds_bucket", "divaudit_last_sweep_timestamp_seconds",
    "divaudit_last_complete_sweep_timestamp_seconds", "divaudit_sweep_in_progress",
    "divaudit_coverage_ratio", "divaudit_api_requests_total", "divaudit_api_throttled_total",
    "divaudit_org_objects", "divaudit_exceptions", "divaudit_build_info",
    "divaudit_sweep_interval_seconds", "divaudit_org_info", "process_resident_memory_bytes",
    "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
    "process_start_time_seconds", "process_virtual_memory_bytes", "divaudit_org_setting",
}
TENANT_METRICS = {"divaudit_findings", "divaudit_cross_tenant_users"}
METRIC_RE = re.compile(r"\b(?:divaudit|process)_[a-z_]+")


def targets(dash):
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        for t in p.get("targets", []):
            yield p, t


def static_checks(dash):
    errors = []
    if dash.get("schemaVersion", 0) < 36:
        errors.append("schemaVersion %s is older than Grafana 10's" % dash.get("schemaVersion"))
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    inputs = [i["name"] for i in dash.get("__inputs", []) if i.get("type") == "datasource"]
    if "datasource" not in variables:
        errors.append("no datasource template variable")
    elif not inputs or variables["datasource"].get("current", {}).get("value") != "${%s}" % inputs[0]:
        errors.append("the datasource variable does not default to the declared input %s" % inputs)
    for name in ("org", "tenant"):
        q = variables.get(name, {}).get("definition", "")
        if 'instance=~"$instance"' not in q:
            errors.append("variable %s is not scoped to the chosen instance: %r" % (name, q))
    seen = set()
    for p in dash["panels"]:
        if p["type"] != "row" and p.get("datasource", {}).get("uid") != "${datasource}":
            errors.append("panel %r does not use ${datasource}" % p["title"])
    for p, t in targets(dash):
        expr = t["expr"]
        if t.get("datasource", {}).get("uid") != "${datasource}":
            errors.append("target of %r does not use ${datasource}" % p["title"])
        metrics = set(METRIC_RE.findall(expr))
        seen |= metrics
        for m in metrics - KNOWN:
            errors.append("panel %r queries unknown metric %s" % (p["title"], m))
        if "$org" not in expr:
            errors.append("panel %r is not scoped by $org" % p["title"])
        if metrics & TENANT_METRICS and "$tenant" not in expr:
            errors.append("panel %r is not scoped by $tenant" % p["title"])
        if p["type"] == "stat" and "divaudit_findings" in metrics and "or on () (0 *" not in expr:
            errors.append("stat %r shows No data instead of 0 for a clean org" % p["title"])
    for required in ("divaudit_findings", "divaudit_cross_tenant_users", "divaudit_sweeps_total",
                     "divaudit_coverage_ratio", "divaudit_api_throttled_total",
                     "divaudit_findings_new_total", "divaudit_findings_resolved_total",
                     "divaudit_org_info"):
        if required not in seen:
            errors.append("dashboard never shows %s" % required)
    return errors, seen


def query(prometheus, expr):
    url = prometheus.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            doc = json.load(r)
    except urllib.error.HTTPError as e:
        doc = json.load(e)
    if doc.get("status") != "success":
        return None, doc.get("error", "unknown error")
    return doc["data"]["result"], None


def substitute(expr, values):
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace("${%s}" % name, values[name]).replace("$" + name, values[name])
    return expr


def live_checks(dash, prometheus, values):
    errors = []
    checked = 0
    jobs = [("variable " + v["name"], v["definition"]) for v in dash["templating"]["list"]
            if v.get("type") == "query"]
    jobs += [("panel %r" % p["title"], t["expr"]) for p, t in targets(dash)]
    for what, expr in jobs:
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", expr.strip())
        if m:  # what Grafana asks for a label_values() variable
            expr = "count by (%s) (%s)" % (m.group(2), m.group(1))
        expr = substitute(expr, values)
        result, err = query(prometheus, expr)
        checked += 1
        if err:
            errors.append("%s: query error %s: %s" % (what, err, expr))
            continue
        if result:
            continue
        for metric in sorted(set(METRIC_RE.findall(expr))):
            has, _ = query(prometheus, "count(%s)" % metric)
            if has:
                errors.append("%s: empty although %s has data: %s" % (what, metric, expr))
                break
    return errors, checked


def main(argv):
    path = argv[1]
    prometheus = argv[argv.index("--prometheus") + 1] if "--prometheus" in argv else None
    values = {"job": ".*", "instance": ".*", "org": ".*", "tenant": ".*"}
    for i, a in enumerate(argv):
        if a == "--var":
            name, _, value = argv[i + 1].partition("=")
            values[name] = value
    dash = json.load(open(path))
    errors, seen = static_checks(dash)
    print("checked %d panels, %d metrics" % (len(dash["panels"]), len(seen)))
    if prometheus:
        live, n = live_checks(dash, prometheus, values)
        errors += live
        print("ran %d queries against %s with %s" % (n, prometheus, values))
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
