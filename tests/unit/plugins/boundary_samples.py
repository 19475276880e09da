# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A data-boundary policy of the shape operators write, and a resolver standing in for DNS.

The resolver answers from a fixed table so that the table-driven tests decide the same way on
every machine; the module and playbook tests resolve real names (localhost) with getaddrinfo.
"""

from __future__ import annotations

import ipaddress
import socket

import yaml

POLICY_YAML = """\
version: 1
description: Sample policy of the unit tests
default_boundary: eu
enforce_repositories: true
boundaries:
  eu: {regions: [eu-west-1, eu-central-1, de-fra-1, fr-par-1]}
  de: {regions: [eu-central-1, de-fra-1], description: Germany only}
  onprem: {regions: [dc-ams-1]}
  us: {regions: [us-east-1]}
endpoints:
  - {match: models.eu.example.com, region: eu-central-1}
  - {match: "*.s3.eu-central-1.amazonaws.com", region: eu-central-1}
  - {match: 10.20.0.0/16, region: de-fra-1}
  - {match: 10.20.99.0/24, region: us-east-1}
  - {match: 10.0.0.0/8, region: dc-ams-1}
  - {match: huggingface.co, region: us-east-1}
  - {match: "2001:db8:e0::/48", region: fr-par-1}
  - {match: "2001:db8::/32", region: us-east-1}
  - {match: "*.example.com", region: eu-west-1}
  - {match: registry.internal, region: dc-ams-1}
  - {match: "*.s3.us-east-1.amazonaws.com", region: us-east-1}
  - {match: 192.0.2.0/24, region: us-east-1}
  - {match: hub.eu.example.com, region: us-east-1}
  - {match: 127.0.0.0/8, region: eu-west-1}
  - {match: "::ffff:198.51.100.0/120", region: us-east-1}
paths:
  - {match: /mnt/nfs-us/*, region: us-east-1}
  - {match: /mnt/nfs-de/*, region: de-fra-1}
  - {match: /mnt/nfs-ap, region: us-east-1}
data:
  - {match: "hf://acme/*", classification: restricted, boundary: de}
  - {match: "patient-*", classification: phi, boundary: de}
  - {match: "oci://registry.internal/onprem/*", classification: confidential, boundary: onprem}
  - {match: "https://models.eu.example.com/restricted/*", classification: restricted, boundary: de}
  - {match: "/data/restricted/*", classification: restricted, boundary: de}
  - {match: "*", classification: internal, boundary: eu}
"""

DNS = {
    "models.eu.example.com": ["10.20.1.5"],
    "evil.example.com": ["192.0.2.10"],
    "dual.example.com": ["10.20.1.6", "2001:db8:e0::5"],
    "dual-bad.example.com": ["10.20.1.7", "2001:db8:1::5"],
    "unknown.internal.net": ["172.16.0.5"],
    "mapped.internal.net": ["10.20.2.2"],
    "split.internal.net": ["10.20.2.3", "10.30.0.1"],
    "bucket.s3.eu-central-1.amazonaws.com": ["52.219.170.1"],
    "bucket.s3.us-east-1.amazonaws.com": ["52.217.1.1"],
    "bucket.s3.amazonaws.com": ["52.216.1.1"],
    "huggingface.co": ["18.239.50.16"],
    "hub.eu.example.com": ["10.20.5.5"],
    "minio.eu.example.com": ["10.20.3.3"],
    "registry.internal": ["10.1.2.3"],
    "leaky.example.com": ["10.20.99.7"],
    "v6only.example.com": ["2001:db8:e0::80"],
    "mapped6.example.com": ["198.51.100.9"],
    "models-eu.s3.eu-central-1.amazonaws.com": ["52.219.170.2"],
}


def policy_data():
    return yaml.safe_load(POLICY_YAML)


def resolver(host):
    """getaddrinfo's answer for the names in ``DNS``; any other name does not resolve."""
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [ipaddress.ip_address(a) for a in DNS[host]]
