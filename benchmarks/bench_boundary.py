# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Time data-boundary decisions: 10,000 flows against a policy of 1,000 CIDR rules.

Usage (from the repository root): ``.venv/bin/python benchmarks/bench_boundary.py [--flows 10000] [--cidrs 1000] [--repeat 5]``

Builds a policy file with ``--cidrs`` CIDR rules (IPv4 and IPv6, of many prefix lengths and
overlapping), 100 host name rules (exact and ``*.suffix``), 20 boundaries and 50 data rules, and
``--flows`` flows: address literals, host names (each resolving to one to three addresses), S3,
hub and file sources, in and out of their boundaries. Names resolve from a table built here, so
the figure is the policy's work and not the network's. Reports medians of ``--repeat`` runs of:
loading and validating the policy file (YAML, JSON Schema, rules), and deciding every flow.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import random
import statistics
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

from ansible_collections.horizon.ai_platform.plugins.plugin_utils._boundary_policy import load_policy  # noqa: E402

REGIONS = [f"r{i:02d}-{z}" for i in range(40) for z in ("a", "b")]


def build(cidrs, flows, seed=7):
    rng = random.Random(seed)
    boundaries = {f"b{i}": {"regions": rng.sample(REGIONS, 8)} for i in range(20)}
    endpoints, networks, v4, v6 = [], [], [], []
    for i in range(cidrs):
        if i % 4 == 3:
            plen = rng.choice([32, 40, 48, 56, 64])
            net = ipaddress.ip_network((int(ipaddress.ip_address("2001:db8::")) + (rng.getrandbits(32) << 64), plen), strict=False)
        else:
            plen = rng.choice([8, 12, 16, 20, 22, 24, 26, 28, 30, 32])
            net = ipaddress.ip_network((rng.getrandbits(32), plen), strict=False)
        networks.append(net)
        (v6 if net.version == 6 else v4).append(net)
        endpoints.append({"match": str(net), "region": rng.choice(REGIONS)})
    names = []
    for i in range(100):
        host = f"mirror{i}.site{i % 17}.example.net"
        match = host if i % 3 else f"*.site{i % 17}.example.net"
        endpoints.insert(rng.randrange(len(endpoints)), {"match": match, "region": rng.choice(REGIONS)})
        names.append(host)
    data = [{"match": f"hf://org{i}/*", "boundary": f"b{i % 20}"} for i in range(49)] + [{"match": "*", "boundary": "b0"}]
    policy = {"version": 1, "default_boundary": "b0", "boundaries": boundaries, "endpoints": endpoints, "data": data}

    def address_in(net):
        return net.network_address + rng.randrange(min(net.num_addresses, 1 << 16))

    dns = {h: [str(address_in(rng.choice(networks))) for _n in range(rng.randint(1, 3))] for h in names}
    dns["unknown.example.org"] = ["203.0.113.7"]
    kinds = []
    for i in range(flows):
        k = i % 6
        region = rng.choice(REGIONS)
        if k == 0:
            kinds.append((f"http://{address_in(rng.choice(v4))}:8080/m/", {}, region))
        elif k == 1:
            kinds.append((f"http://[{address_in(rng.choice(v6 or v4))}]/m/", {}, region))
        elif k == 2:
            kinds.append((f"https://{rng.choice(names)}/models/x/", {}, region))
        elif k == 3:
            kinds.append(("s3://bucket/m", {"endpoint": f"https://{rng.choice(names)}:9000"}, region))
        elif k == 4:
            kinds.append((f"hf://org{rng.randrange(60)}/model", {"endpoint": f"https://{rng.choice(names)}"}, region))
        else:
            kinds.append((f"file:///srv/models/{i}", {}, region))
    return policy, dns, kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--flows", type=int, default=10000)
    parser.add_argument("--cidrs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    policy_data, dns, flows = build(args.cidrs, args.flows)

    def resolve(host):
        if host not in dns:
            raise OSError("no such host")
        return [ipaddress.ip_address(a) for a in dns[host]]

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "policy.yml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(policy_data, f, sort_keys=False)
        # Each node is in its flow's boundary, so that every flow goes on to its source's rules
        # (a node outside is denied before any lookup, which would flatter the figure).
        placed = load_policy(path)
        rng = random.Random(11)
        flows = [(src, extra, rng.choice(placed.boundaries[placed.boundary_of(src)])) for src, extra, _region in flows]
        loads, decides = [], []
        for _round in range(args.repeat):
            t = time.perf_counter()
            policy = load_policy(path)
            loads.append(time.perf_counter() - t)
            t = time.perf_counter()
            verdicts = [policy.decide(src, host_region=region, resolve=resolve, **extra)["allowed"] for src, extra, region in flows]
            decides.append(time.perf_counter() - t)
    print(f"policy: {len(policy.endpoints)} endpoint rules ({args.cidrs} CIDRs), {len(policy.boundaries)} boundaries, {len(policy.data_rules)} data rules")
    print(f"flows: {len(flows)}, allowed {sum(verdicts)}, denied {len(verdicts) - sum(verdicts)}; medians of {args.repeat}")
    print(f"  load and validate the policy file  {statistics.median(loads):.3f} s")
    print(
        f"  decide every flow                  {statistics.median(decides):.3f} s"
        f"  ({statistics.median(decides) / len(flows) * 1e6:.1f} us per flow; target: 10,000 in under 1 s)"
    )


if __name__ == "__main__":
    main()
