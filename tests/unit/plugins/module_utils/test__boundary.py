# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-boundary decision, flow by flow, and the policy's validation."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy, PolicyError, node_affinity, policy_digest
from ansible_collections.horizon.ai_platform.tests.unit.plugins.boundary_samples import policy_data, resolver


@pytest.fixture(scope="module")
def policy():
    return Policy.from_data(policy_data())


# id, src, host region, extra (name, endpoint, region, real_path), verdict, boundary, source region, reason fragment
FLOWS = [
    # Host names: exact and *.suffix rules, case and trailing dots.
    ("exact-name", "https://models.eu.example.com/llama/", "eu-west-1", {}, "allow", "eu", "eu-central-1", "inside boundary 'eu'"),
    ("uppercase-name", "https://MODELS.EU.Example.COM/llama/", "eu-west-1", {}, "allow", "eu", "eu-central-1", ""),
    ("trailing-dot", "https://models.eu.example.com./llama/", "fr-par-1", {}, "allow", "eu", "eu-central-1", ""),
    ("suffix-rule", "https://dual.example.com/m/", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    ("suffix-is-not-the-domain", "https://example.com/m/", "eu-west-1", {}, "deny", "eu", None, "does not resolve"),
    # The first name rule in the list wins, even over a later exact rule (endpoints[12]).
    ("first-name-rule-wins", "https://hub.eu.example.com/m/", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    # A name rule cannot whitewash an address known to be outside.
    ("name-resolves-outside", "https://evil.example.com/m/", "eu-west-1", {}, "deny", "eu", "eu-west-1", "resolves to 192.0.2.10"),
    ("one-address-of-two-outside", "https://dual-bad.example.com/m/", "eu-west-1", {}, "deny", "eu", "eu-west-1", "2001:db8:1::5"),
    ("overlap-specific-cidr-outside", "https://leaky.example.com/m/", "eu-west-1", {}, "deny", "eu", "eu-west-1", "endpoints[3] 10.20.99.0/24"),
    ("name-in-policy-address-inside", "https://models.eu.example.com/m/", "de-fra-1", {}, "allow", "eu", "eu-central-1", ""),
    # No name rule: the addresses decide, every one of them.
    ("no-name-rule-address-maps", "https://mapped.internal.net/m/", "eu-central-1", {}, "allow", "eu", "de-fra-1", ""),
    ("no-name-rule-address-unmapped", "https://unknown.internal.net/m/", "eu-west-1", {}, "deny", "eu", None, "172.16.0.5"),
    ("no-name-rule-addresses-two-regions", "https://split.internal.net/m/", "eu-west-1", {}, "deny", "eu", None, "dc-ams-1"),
    ("unresolvable", "https://nowhere.invalid/m/", "eu-west-1", {}, "deny", "eu", None, "does not resolve"),
    # Address literals: CIDRs, most specific first, IPv4 and IPv6.
    ("ipv4-literal", "http://10.20.4.4:8080/m/", "de-fra-1", {}, "allow", "eu", "de-fra-1", ""),
    ("ipv4-overlap-more-specific", "http://10.20.99.1/m/", "de-fra-1", {}, "deny", "eu", "us-east-1", "10.20.99.0/24"),
    ("ipv4-overlap-wider", "http://10.77.0.1/m/", "eu-west-1", {}, "deny", "eu", "dc-ams-1", "10.0.0.0/8"),
    ("ipv4-no-rule", "http://203.0.113.9/m/", "eu-west-1", {}, "deny", "eu", None, "no endpoint rule"),
    ("ipv6-literal", "http://[2001:db8:e0::7]:8443/m/", "eu-west-1", {}, "allow", "eu", "fr-par-1", ""),
    ("ipv6-overlap-wider", "http://[2001:db8:5::7]/m/", "eu-west-1", {}, "deny", "eu", "us-east-1", "2001:db8::/32"),
    ("ipv6-name", "https://v6only.example.com/m/", "fr-par-1", {}, "allow", "eu", "eu-west-1", ""),
    ("ipv4-mapped-ipv6", "http://[::ffff:10.20.1.1]/m/", "de-fra-1", {}, "allow", "eu", "de-fra-1", ""),
    ("loopback", "http://127.0.0.1:8000/m/", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    # Credentials, ports and query strings never reach the decision's output.
    ("credentials-and-port", "https://ops:s3cret@models.eu.example.com:8443/m/?token=abc", "eu-west-1", {}, "allow", "eu", "eu-central-1", ""),
    # S3: the endpoint's host, or AWS's regional endpoint.
    ("s3-aws-regional", "s3://bucket/llama", "eu-west-1", {"region": "eu-central-1"}, "allow", "eu", "eu-central-1", ""),
    ("s3-aws-us", "s3://bucket/llama", "eu-west-1", {"region": "us-east-1"}, "deny", "eu", "us-east-1", "outside boundary 'eu'"),
    ("s3-aws-no-region", "s3://bucket/llama", "eu-west-1", {}, "deny", "eu", None, "bucket.s3.amazonaws.com"),
    ("s3-endpoint-url", "s3://bucket/llama", "eu-west-1", {"endpoint": "https://minio.eu.example.com:9000"}, "allow", "eu", "eu-west-1", ""),
    ("s3-endpoint-ip", "s3://bucket/llama", "eu-west-1", {"endpoint": "http://10.20.7.7:9000"}, "allow", "eu", "de-fra-1", ""),
    ("s3-endpoint-outside", "s3://bucket/llama", "eu-west-1", {"endpoint": "http://192.0.2.1:9000"}, "deny", "eu", "us-east-1", ""),
    # Hugging Face: huggingface.co unless an endpoint is given.
    ("hf-public-hub-eu-policy", "hf://meta-llama/Llama-3-8B", "eu-west-1", {}, "deny", "eu", "us-east-1", "huggingface.co is in region 'us-east-1'"),
    ("hf-restricted-public-hub", "hf://acme/secret-model", "de-fra-1", {}, "deny", "de", "us-east-1", "boundary 'de'"),
    ("hf-restricted-eu-mirror", "hf://acme/secret-model", "de-fra-1", {"endpoint": "https://models.eu.example.com"}, "allow", "de", "eu-central-1", ""),
    (
        "hf-restricted-node-outside",
        "hf://acme/secret-model",
        "fr-par-1",
        {"endpoint": "https://models.eu.example.com"},
        "deny",
        "de",
        None,
        "node's region 'fr-par-1'",
    ),
    # Data rules: by URI, by model name, first match wins.
    ("data-rule-by-name", "https://models.eu.example.com/p/", "fr-par-1", {"name": "patient-notes"}, "deny", "de", None, "outside boundary 'de'"),
    ("data-rule-by-name-inside", "https://models.eu.example.com/p/", "de-fra-1", {"name": "patient-notes"}, "allow", "de", "eu-central-1", ""),
    ("oci-onprem", "oci://registry.internal/onprem/llama:1", "dc-ams-1", {}, "allow", "onprem", "dc-ams-1", ""),
    ("oci-onprem-node-elsewhere", "oci://registry.internal/onprem/llama:1", "eu-west-1", {}, "deny", "onprem", None, "outside boundary 'onprem'"),
    ("oci-general-rule", "oci://registry.internal/public/llama:1", "eu-west-1", {}, "deny", "eu", "dc-ams-1", "outside boundary 'eu'"),
    # The node's region.
    ("node-without-region", "https://models.eu.example.com/m/", None, {}, "deny", "eu", None, "node's region is unknown"),
    ("node-region-empty", "https://models.eu.example.com/m/", "", {}, "deny", "eu", None, "horizon_region"),
    ("node-region-outside", "https://models.eu.example.com/m/", "us-east-1", {}, "deny", "eu", None, "node's region 'us-east-1'"),
    # Paths on the node: its own region, unless a paths rule says the mount is elsewhere.
    ("file-local", "file:///srv/models/llama", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    ("file-plain-path", "/srv/models/llama", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    ("file-nfs-us", "file:///mnt/nfs-us/models/llama", "eu-west-1", {}, "deny", "eu", "us-east-1", "outside boundary 'eu'"),
    ("file-nfs-us-mount-point", "file:///mnt/nfs-us", "eu-west-1", {}, "deny", "eu", "us-east-1", ""),
    ("file-dotdot-into-nfs", "file:///srv/../mnt/nfs-us/m", "eu-west-1", {}, "deny", "eu", "us-east-1", ""),
    ("file-nfs-de", "file:///mnt/nfs-de/models", "eu-west-1", {}, "allow", "eu", "de-fra-1", ""),
    ("file-link-to-nfs-us", "file:///srv/models/llama", "eu-west-1", {"real_path": "/mnt/nfs-us/llama"}, "deny", "eu", "us-east-1", "/mnt/nfs-us/llama"),
    ("file-remote-host", "file://nas.example.com/models", "eu-west-1", {}, "deny", None, None, "remote host"),
    # Another spelling of the same source reaches the same data rule (its canonical URI is matched).
    ("data-rule-canonical", "https://models.eu.example.com/restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-default-port", "https://models.eu.example.com:443/restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-percent-encoded", "https://models.eu.example.com/%72estricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-double-slash", "https://MODELS.eu.example.com//restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-dotdot", "https://models.eu.example.com/a/../restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-path", "/data//restricted/./x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-file-uri", "file:///data/restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-without-trailing-slash", "https://models.eu.example.com/restricted", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-dot-at-the-end", "https://models.eu.example.com/restricted/.", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-directory-itself", "/data/restricted", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-fullwidth-host", "https://\uff4dodels.eu.example.com/restricted/x", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("data-rule-hub-case", "hf://ACME/secret-model", "fr-par-1", {}, "deny", "de", None, "boundary 'de'"),
    ("ipv4-mapped-literal", "http://[::ffff:10.20.0.5]/m/", "de-fra-1", {}, "allow", "eu", "de-fra-1", ""),
    # Paths: a leading '//', a '#' in a plain path, a directory rule without a glob.
    ("file-four-slashes", "file:////mnt/nfs-us/llama", "eu-west-1", {}, "deny", "eu", "us-east-1", ""),
    ("file-hash-in-path", "/srv/#/../../mnt/nfs-us/llama", "eu-west-1", {}, "deny", "eu", "us-east-1", ""),
    ("file-directory-rule", "/mnt/nfs-ap/llama", "eu-west-1", {}, "deny", "eu", "us-east-1", ""),
    ("file-directory-rule-sibling", "/mnt/nfs-apx/llama", "eu-west-1", {}, "allow", "eu", "eu-west-1", ""),
    ("file-relative", "file:models/llama", "eu-west-1", {}, "deny", None, None, "not an absolute path"),
    # A CIDR written as IPv4-mapped IPv6 holds the IPv4 addresses a name resolves to.
    ("mapped-cidr-rule", "https://mapped6.example.com/m/", "eu-west-1", {}, "deny", "eu", "eu-west-1", "198.51.100.9"),
    # Credentials in an s3:// URI stay out of the host and the reason.
    ("s3-credentials-in-uri", "s3://AKIAEXAMPLE:s3cret@models-eu/llama", "eu-west-1", {"region": "eu-central-1"}, "allow", "eu", "eu-central-1", ""),
    ("s3-endpoint-unparsable", "s3://bucket/llama", "eu-west-1", {"endpoint": "https://[::1"}, "deny", None, None, "not a valid URI"),
    # Sources the policy cannot place.
    ("unknown-scheme", "ftp://models.eu.example.com/m/", "eu-west-1", {}, "deny", None, None, "no scheme"),
    ("no-host", "https:///m/", "eu-west-1", {}, "deny", None, None, "names no host"),
]


@pytest.mark.parametrize(("src", "host_region", "extra", "verdict", "boundary", "source_region", "reason"), [f[1:] for f in FLOWS], ids=[f[0] for f in FLOWS])
def test_flow(policy, src, host_region, extra, verdict, boundary, source_region, reason):
    extra = dict(extra)
    real = extra.pop("real_path", None)
    d = policy.decide(src, host_region=host_region, resolve=resolver, real_path=(lambda p: real) if real else None, **extra)
    assert (d["verdict"], d["allowed"]) == (verdict, verdict == "allow"), d["reason"]
    assert d["boundary"] == boundary
    assert d["source_region"] == source_region, d
    assert reason in d["reason"]
    assert d["reason"]
    assert "s3cret" not in repr(d) and "token=abc" not in repr(d) and "AKIAEXAMPLE" not in repr(d)
    if boundary:
        assert d["boundary_regions"] == policy.boundaries[boundary]
    if verdict == "allow":
        assert "data" in d["rule"]  # the evidence names the rules that decided
        assert "endpoint" in d["rule"] or "path" in d["rule"] or "addresses" in d["rule"]


def test_there_are_at_least_forty_flows():
    assert len(FLOWS) >= 40
    assert {f[4] for f in FLOWS} == {"allow", "deny"}


def test_rules_are_named_in_the_evidence(policy):
    d = policy.decide("https://evil.example.com/m/", host_region="eu-west-1", resolve=resolver)
    assert d["rule"]["endpoint"] == {"index": 8, "match": "*.example.com"}
    assert d["rule"]["addresses"] == [{"address": "192.0.2.10", "index": 11, "match": "192.0.2.0/24", "region": "us-east-1"}]
    assert d["rule"]["data"] == {"index": 5, "match": "*"}
    assert d["addresses"] == ["192.0.2.10"]
    assert d["policy_sha256"] == policy_digest(policy_data())


def test_without_default_boundary_an_unmatched_flow_is_denied():
    data = policy_data()
    del data["default_boundary"]
    data["data"] = [r for r in data["data"] if r["match"] != "*"]
    d = Policy.from_data(data).decide("https://models.eu.example.com/m/", host_region="eu-west-1", resolve=resolver)
    assert not d["allowed"] and "no data rule matches" in d["reason"] and "no default_boundary" in d["reason"]


def test_default_boundary_applies_when_no_data_rule_matches():
    data = policy_data()
    data["data"] = [r for r in data["data"] if r["match"] != "*"]
    d = Policy.from_data(data).decide("https://models.eu.example.com/m/", host_region="eu-west-1", resolve=resolver)
    assert d["allowed"] and d["rule"]["data"] == {"default_boundary": "eu"} and d["classification"] is None


def test_without_resolution_name_rules_alone_decide(policy):
    # The weaker mode the filters offer: the name rule's region stands, the addresses are not looked up.
    assert policy.decide("https://evil.example.com/m/", host_region="eu-west-1", resolve=None)["allowed"]
    d = policy.decide("https://mapped.internal.net/m/", host_region="eu-west-1", resolve=None)
    assert not d["allowed"] and "not looked up" in d["reason"]


def test_region_of_and_boundary_of(policy):
    assert policy.region_of("https://MODELS.eu.example.com./x") == "eu-central-1"
    assert policy.region_of("http://10.20.99.3/") == "us-east-1"
    assert policy.region_of("https://mapped.internal.net/") is None
    assert policy.region_of("https://mapped.internal.net/", resolve=resolver) == "de-fra-1"
    assert policy.region_of("https://unknown.internal.net/", resolve=resolver) is None
    assert policy.region_of("/mnt/nfs-de/x") == "de-fra-1"
    assert policy.region_of("/srv/x", host_region="fr-par-1") == "fr-par-1"
    assert policy.region_of("hf://org/model") == "us-east-1"
    assert policy.boundary_of("hf://acme/x") == "de"
    assert policy.boundary_of("https://x/", name="patient-records") == "de"
    assert policy.boundary_of("https://x/") == "eu"


def test_node_affinity_lists_the_boundarys_regions(policy):
    affinity = node_affinity(policy, "de")
    term = affinity["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term == {"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu-central-1", "de-fra-1"]}
    with pytest.raises(PolicyError, match="boundary 'mars' is not defined"):
        node_affinity(policy, "mars")


def _set(data, path, value):
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value


# (what is changed, new value or KeyError to delete it, the key named, a fragment of the problem)
BAD = [
    (("version",), 2, "version", "not a policy version"),
    (("version",), KeyError, "version", "missing"),
    (("version",), True, "version", "not a policy version"),
    (("boundaries",), KeyError, "boundaries", "missing"),
    (("boundaries",), {}, "boundaries", "is empty"),
    (("boundaries",), ["eu"], "boundaries", "must be a mapping"),
    (("boundaries", "eu", "regions"), [], "boundaries.eu.regions", "is empty"),
    (("boundaries", "eu", "regions"), "eu-west-1", "boundaries.eu.regions", "must be a list"),
    (("boundaries", "eu", "regions", 1), "eu central", "boundaries.eu.regions[1]", "not a valid region name"),
    (("boundaries", "eu", "zones"), ["a"], "boundaries.eu.zones", "unknown key"),
    (("default_boundary",), "mars", "default_boundary", "does not define"),
    (("enforce_repositories",), "yes", "enforce_repositories", "must be true or false"),
    (("endpoints", 2, "match"), "10.20.0.0/33", "endpoints[2].match", "not a valid CIDR"),
    (("endpoints", 2, "match"), "10.20.300.0/16", "endpoints[2].match", "not a valid CIDR"),
    (("endpoints", 0, "match"), "models..example.com", "endpoints[0].match", "not a host name"),
    (("endpoints", 1, "match"), "*.", "endpoints[1].match", "not a host name"),
    (("endpoints", 1, "match"), "*.-bad.com", "endpoints[1].match", "not a host name pattern"),
    (("endpoints", 0, "match"), "", "endpoints[0].match", "non-empty string"),
    (("endpoints", 0, "region"), KeyError, "endpoints[0].region", "missing"),
    (("endpoints", 0, "region"), 17, "endpoints[0].region", "the number 17"),
    (("endpoints", 0, "regoin"), "x", "endpoints[0].regoin", "unknown key"),
    (("endpoints",), {"match": "x"}, "endpoints", "must be a list"),
    (("paths", 0, "match"), "mnt/nfs-us/*", "paths[0].match", "not an absolute path"),
    (("data", 0, "boundary"), "dee", "data[0].boundary", "does not define"),
    (("data", 0, "match"), KeyError, "data[0].match", "missing"),
    (("data", 1, "classification"), "top secret", "data[1].classification", "not a valid classification"),
    (("colour",), "blue", "colour", "unknown key"),
]


@pytest.mark.parametrize(("path", "value", "key", "problem"), BAD, ids=[f"{'.'.join(map(str, b[0]))}={b[1]!r}" for b in BAD])
def test_malformed_policy_names_the_key(path, value, key, problem):
    data = copy.deepcopy(policy_data())
    _set(data, path, value)
    with pytest.raises(PolicyError) as info:
        Policy.from_data(data)
    assert info.value.path == key
    assert problem in str(info.value)


@pytest.mark.parametrize("data", [None, [], "version: 1", 1], ids=["null", "list", "string", "number"])
def test_a_policy_is_a_mapping(data):
    with pytest.raises(PolicyError, match="a policy must be a mapping"):
        Policy.from_data(data)
