# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: the fleet's data-boundary audit report - build it from decisions, render JSON and HTML.

Not a public API. ``build_report()`` takes the decisions of data_boundary (one per host and
flow) and returns the report document; ``render()`` gives its JSON or a self-contained HTML page
that needs no script and loads nothing.
"""

from __future__ import annotations

import html

from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import render_json, utc_now_iso

SCHEMA = "horizon.ai_platform/boundary-audit/v1"
FORMATS = ("json", "html")
DEFAULT_TITLE = "Data-boundary audit"
_FLOW_KEYS = ("src", "name", "kind", "boundary", "classification", "host_region", "source_region", "source_host", "source_path", "verdict", "reason")


def _flow(entry, index):
    if not isinstance(entry, dict):
        raise ValueError(f"decisions[{index}] must be a mapping (a data_boundary result with its host), not {type(entry).__name__}")
    host = entry.get("host")
    if not isinstance(host, str) or not host:
        raise ValueError(f"decisions[{index}] has no host")
    verdict = entry.get("verdict")
    if verdict not in ("allow", "deny"):
        raise ValueError(f"decisions[{index}] ({host}) has no verdict; is it a data_boundary result?")
    flow = {"host": host}
    for key in _FLOW_KEYS:
        value = entry.get(key)
        flow[key] = None if value is None else str(value)
    flow["rules"] = entry.get("rule") if isinstance(entry.get("rule"), dict) else {}
    flow["addresses"] = [str(a) for a in entry.get("addresses") or []]
    return flow


def build_report(decisions, policy_sha256=None, policy_file=None, hosts_not_checked=None, generated_at=None):
    """The audit report for ``decisions`` (each a data_boundary result with ``host``).

    ``hosts_not_checked`` are the play's hosts that gave no decision (unreachable, failed before).
    """
    if not isinstance(decisions, list):
        raise ValueError(f"decisions must be a list, not {type(decisions).__name__}")
    flows = [_flow(d, i) for i, d in enumerate(decisions)]
    flows.sort(key=lambda f: (f["verdict"] != "deny", f["host"], f["src"] or "", f["name"] or ""))
    digests = sorted({d.get("policy_sha256") for d in decisions if isinstance(d, dict) and d.get("policy_sha256")})
    hosts = sorted({f["host"] for f in flows})
    denied_hosts = sorted({f["host"] for f in flows if f["verdict"] == "deny"})
    by_boundary = {}
    for f in flows:
        counts = by_boundary.setdefault(f["boundary"] or "(none)", {"allow": 0, "deny": 0})
        counts[f["verdict"]] += 1
    return {
        "schema": SCHEMA,
        "generated_at": generated_at or utc_now_iso(),
        "policy": {"sha256": policy_sha256 or (digests[0] if len(digests) == 1 else None), "file": policy_file, "digests_seen": digests},
        "summary": {
            "flows": len(flows),
            "allowed": sum(f["verdict"] == "allow" for f in flows),
            "denied": sum(f["verdict"] == "deny" for f in flows),
            "hosts": len(hosts),
            "hosts_with_denials": denied_hosts,
            "hosts_not_checked": sorted(hosts_not_checked or []),
            "by_boundary": dict(sorted(by_boundary.items())),
        },
        "flows": flows,
    }


def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


_STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1b1f24; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
.meta { color: #57606a; margin: 0 0 1rem; } code { font: 12px ui-monospace, monospace; overflow-wrap: anywhere; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; } .card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1rem; min-width: 8rem; }
.card b { display: block; font-size: 1.4rem; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #d8dee4; vertical-align: top; }
th { background: #f6f8fa; } tr.deny td.verdict { color: #a40e26; font-weight: 600; } tr.allow td.verdict { color: #116329; }
.none { color: #57606a; }
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def _rules_text(rules):
    parts = []
    data = rules.get("data") or {}
    if "match" in data:
        parts.append(f"data[{data.get('index')}] {data['match']}")
    elif "default_boundary" in data:
        parts.append(f"default_boundary {data['default_boundary']}")
    endpoint = rules.get("endpoint")
    if endpoint:
        parts.append(f"endpoints[{endpoint.get('index')}] {endpoint.get('match')}")
    for hit in rules.get("addresses") or []:
        parts.append(f"{hit.get('address')}: endpoints[{hit.get('index')}] {hit.get('match')}")
    path = rules.get("path") or {}
    if "match" in path:
        parts.append(f"paths[{path.get('index')}] {path['match']}")
    elif "node_local" in path:
        parts.append("node-local path")
    return "; ".join(parts)


def render_html(report, title=DEFAULT_TITLE):
    s = report["summary"]
    rows = []
    for f in report["flows"]:
        rows.append(
            f'<tr class="{_e(f["verdict"])}"><td>{_e(f["host"])}</td><td><code>{_e(f["src"])}</code>'
            f"{'<br>' + _e(f['name']) if f['name'] else ''}</td><td>{_e(f['boundary'] or '-')}</td>"
            f"<td>{_e(f['host_region'] or '-')}</td><td>{_e(f['source_region'] or '-')}</td>"
            f'<td class="verdict">{_e(f["verdict"])}</td><td>{_e(f["reason"])}</td><td><code>{_e(_rules_text(f["rules"]))}</code></td></tr>'
        )
    boundaries = "".join(f"<tr><td>{_e(name)}</td><td>{counts['allow']}</td><td>{counts['deny']}</td></tr>" for name, counts in s["by_boundary"].items())
    denied = ", ".join(_e(h) for h in s["hosts_with_denials"]) or '<span class="none">none</span>'
    unchecked = ", ".join(_e(h) for h in s["hosts_not_checked"]) or '<span class="none">none</span>'
    policy = report["policy"]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="horizon-generated-at" content="{_e(report["generated_at"])}">
<title>{_e(title)}</title>
<style>{_STYLE}</style>
</head>
<body>
<h1>{_e(title)}</h1>
<p class="meta">Generated {_e(report["generated_at"])} by horizon.ai_platform. Policy {_e(policy.get("file") or "")}
SHA-256 <code>{_e(policy.get("sha256") or "several: " + ", ".join(policy.get("digests_seen") or []))}</code>.</p>
<div class="cards">
<div class="card"><b>{s["flows"]}</b>flows checked</div>
<div class="card"><b>{s["allowed"]}</b>allowed</div>
<div class="card"><b>{s["denied"]}</b>denied</div>
<div class="card"><b>{s["hosts"]}</b>hosts</div>
</div>
<h2>Hosts with a denied flow</h2>
<p>{denied}</p>
<h2>Hosts not checked (unreachable, or failed before their flows were decided)</h2>
<p>{unchecked}</p>
<h2>By boundary</h2>
<table><thead><tr><th>Boundary</th><th>Allowed</th><th>Denied</th></tr></thead><tbody>{boundaries}</tbody></table>
<h2>Flows</h2>
<table><thead><tr><th>Host</th><th>Source</th><th>Boundary</th><th>Host region</th><th>Source region</th><th>Verdict</th>
<th>Reason</th><th>Rules</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body>
</html>
"""


RENDERERS = {"json": render_json, "html": render_html}


def render(report, fmt, title=DEFAULT_TITLE):
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}, expected one of {', '.join(FORMATS)}")
    return RENDERERS[fmt](report, title=title)
