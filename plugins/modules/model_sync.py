#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: model_sync
short_description: Deliver a model's files to a node from the operator's own source, verified and atomically
version_added: 0.1.0
description:
  - Copies the files of a model from a local or network path, a plain HTTP(S) mirror, an S3-compatible object store,
    a Hugging Face Hub or a mirror of it, or an OCI registry into a local model store, and publishes them as an
    immutable revision.
  - "Layout: C(<dest>/<name>/<revision>/) holds the files, read-only; C(<dest>/<name>/<revision>.manifest.json) beside it
    lists every file's path, size and SHA-256 with the source, revision and time; C(<dest>/<name>/current) is a symbolic
    link to the newest verified revision, replaced atomically."
  - Every file is verified against the digest its source publishes before the revision is published. Files are
    transferred into C(<dest>/<name>/.staging/), verified, and published with a rename; nothing half-written is ever
    visible under a revision, and a failure leaves the previous revision current and untouched.
  - An interrupted sync (lost network, killed process, reboot) resumes on the next run from the bytes already on disk.
  - A second run with nothing changed decides so from the manifest and the files' size and modification time, without
    hashing them again, and reports no change.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
  - horizon.ai_platform.attributes.action
attributes:
  action:
    support: full
    details:
      - An action plugin on the controller reads O(boundary_policy), has the flow decided on the node and logs the
        decision before the module is sent.
  async:
    support: full
  check_mode:
    support: full
    details:
      - Reads the source's listing, reports what would be transferred and whether anything would change; writes nothing,
        not even the lock file.
  diff_mode:
    support: full
    details:
      - Shows the file list of the current and of the new revision as checksum lists (C(<digest>  <path>)).
  idempotent:
    support: full
options:
  src:
    description:
      - Where the model comes from, as a URI.
      - V(file:///path) - a directory, on a local or network file system. When it holds O(checksum_file), that file defines
        the model and every file is verified against it; otherwise every regular file under the directory is copied and
        its digest computed while it is read.
      - V(https://host/path/) or V(http://host/path/) - a plain mirror, a directory whose root holds O(checksum_file) in
        the format C(sha256sum) writes, with paths relative to that root; each file is fetched from C(<src>/<path>).
      - V(s3://bucket/prefix) - objects under a prefix of any S3-compatible store, through boto3. A O(checksum_file)
        object under the prefix defines the model; without one every object must carry a full-object SHA-256 checksum.
      - V(hf://org/name) - a model repository on the Hugging Face Hub or a self-hosted mirror of it (O(endpoint_url)),
        through huggingface_hub. O(revision) names the branch, tag or commit; the published revision is the commit.
        Large files are verified against their LFS SHA-256, the others against their git blob id.
      - V(oci://registry/repository:tag) or V(oci://registry/repository@sha256:<digest>) - a model in an OCI registry, either
        an artifact pushed with ORAS (each layer one file, named by its C(org.opencontainers.image.title) annotation),
        or a KServe modelcar image, whose files under C(/models) are the model. Every layer is verified against its
        digest; image layers are then unpacked in order, whiteouts applied. The published revision is the manifest
        digest (C(sha256-<hex>)). An index is resolved to the manifest for the node's architecture.
    type: str
    required: true
  name:
    description:
      - Name of the model in the store, one directory name (letters, digits, C(.), C(_), C(+), C(-)).
    type: str
    required: true
  dest:
    description:
      - Root directory of the model store.
    type: path
    default: /var/lib/horizon/models
  revision:
    description:
      - For V(hf://) sources, the branch, tag or commit to sync (default V(main)); the revision directory is named after
        the commit it resolves to.
      - For the other sources, the name of the revision directory to publish.
      - For V(oci://) sources it defaults to the manifest digest, C(sha256-<hex>).
      - By default it is derived from the source, the first 16 hexadecimal digits of a SHA-256 over the checksum list of
        the files synced (those O(allow_patterns) and O(ignore_patterns) select), so the same content always lands in
        the same revision and new content, or another selection, in a new one.
      - A revision, once published, is immutable. Naming a published revision while the source holds other content fails.
    type: str
  checksum_file:
    description:
      - Name of the checksum list at the root of a V(file://), V(http(s\)://) or V(s3://) source.
    type: str
    default: SHA256SUMS
  allow_patterns:
    description:
      - Shell-style patterns; when given, only files whose path matches one of them are synced.
      - A pattern also matches the files below a directory it names.
    type: list
    elements: str
  ignore_patterns:
    description:
      - Shell-style patterns of files not to sync, for example V(*.bin) and V(*.pth) where V(*.safetensors) hold the same
        weights.
    type: list
    elements: str
  endpoint_url:
    description:
      - URL of an S3-compatible endpoint for V(s3://) sources, such as Ceph RGW or MinIO. Path-style addressing is used
        whenever it is set.
      - For V(hf://) sources, the hub to use, such as a self-hosted mirror; by default the environment variable
        E(HF_ENDPOINT), else V(https://huggingface.co).
    type: str
    aliases: [endpoint]
  region:
    description:
      - Region of the V(s3://) source's bucket.
    type: str
  access_key:
    description:
      - Access key ID for V(s3://) sources. When neither it nor O(secret_key) is set, boto3 looks for credentials as it
        always does (environment, shared files, instance metadata).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - Secret access key for V(s3://) sources.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - Session token for temporary V(s3://) credentials.
    type: str
    aliases: [aws_session_token]
  username:
    description:
      - User name for HTTP basic authentication on V(http(s\)://) mirrors, or for the V(oci://) registry. A registry
        that uses token authentication gets the token from its token service with these credentials.
    type: str
  password:
    description:
      - Password for O(username).
    type: str
  token:
    description:
      - Bearer token sent to V(http(s\)://) mirrors, or the access token for V(hf://) sources (gated and private
        repositories). It is sent to the mirror or hub only, never to a host it redirects to.
      - For V(oci://) sources, a registry access token sent as a bearer token instead of O(username)/O(password).
    type: str
  validate_certs:
    description:
      - Whether to verify the TLS certificates of the source (for every network source, and an OCI registry's token service).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of certificate authorities to trust for the source, for sources behind a private CA. When set, only
        these authorities are trusted, not the system's.
      - It applies to HTTPS mirrors, the S3 endpoint (boto3), an OCI registry and its token service, and
        a Hugging Face hub (its API and its downloads).
      - A path that is not a readable PEM file of certificates fails the task before any request.
    type: path
  plain_http:
    description:
      - For V(oci://) sources, talk to the registry over plain HTTP instead of HTTPS, like C(oras --plain-http). For
        registries on a trusted network only.
    type: bool
    default: false
  parallel:
    description:
      - How many files to transfer at the same time.
    type: int
    default: 4
  page_cache:
    description:
      - What becomes of a large file's pages in the page cache (files of 16 MiB or more) once they are on disk.
      - V(drop) streams the file through a few MiB of page cache. Its data is written to disk while the rest is still
        arriving, in windows of 8 MiB, and each window leaves the page cache once written, so that a model of
        hundreds of GB does not push the node's other cached data out. A server that loads the model later reads it
        from disk. On the project's virtual machine it was also much faster than keeping the pages (the collection's
        C(docs/performance.md)).
      - V(keep) writes the same way but leaves the pages cached, for a model that fits in memory and is loaded right
        after the sync.
      - Small files always stay cached. Either way every file is flushed to disk before it is published.
    type: str
    choices: [drop, keep]
    default: drop
  timeout:
    description:
      - Seconds to wait for the source to connect or to send the next bytes.
    type: int
    default: 60
  keep_revisions:
    description:
      - How many published revisions of the model to keep, the current one included; others are removed after a
        successful sync, oldest first. The current revision is never removed, and while O(keep_revisions) allows two,
        neither is the revision that was current before the sync (the one to roll back to).
      - V(0) keeps every revision.
    type: int
    default: 0
  verify:
    description:
      - How a published revision is checked before it is declared unchanged.
      - V(quick) compares each file's size and modification time with the manifest.
      - V(full) hashes every file again. Either way, damaged files are fetched again and the revision republished.
    type: str
    choices: [quick, full]
    default: quick
  write_checksums:
    description:
      - Also publish a checksum list named O(checksum_file) in the revision directory, listing every file in the format
        C(sha256sum) writes. A web server that serves C(<dest>/<name>/current/) is then a plain mirror that other nodes
        can sync from with an V(https://) source, which is how a regional mirror is seeded.
      - The list is part of the revision and of its manifest, and is counted in RV(files) and RV(bytes).
      - Set on a revision already published without the list, it republishes that revision with the list added, its
        files hard-linked; nothing is transferred.
    type: bool
    default: false
  boundary_policy:
    description:
      - A regional data-boundary policy to check the source against before any byte is requested; see
        M(horizon.ai_platform.data_boundary) for its rules and the collection's C(docs/data-boundary.md) for its format.
      - A mapping, or the path on the controller to a YAML or JSON file (looked for as M(horizon.ai_platform.data_boundary)
        looks for it).
      - "The controller reads and validates the policy, the flow is decided on the node and the decision, allowed or
        denied, is appended to the audit log (O(boundary_audit_log)); a denied flow fails the task before model_sync runs.
        An allowed one is checked again by model_sync itself, on the node, before its first request."
      - The model's O(name) is matched by the policy's C(data) rules as well as O(src).
    type: raw
  host_region:
    description:
      - The node's region for O(boundary_policy). Defaults to the host's inventory variable C(horizon_region).
    type: str
  boundary_audit_log:
    description:
      - The audit log on the controller for O(boundary_policy) decisions, as O(horizon.ai_platform.data_boundary#module:audit_log).
    type: path
  lock_timeout:
    description:
      - Seconds to wait for another sync of the same model on the node to finish.
    type: int
    default: 600
notes:
  - Remote file names that are absolute, contain C(..) or C(.) components, control characters or backslashes, name one
    file both as a file and as a directory, or would lead out of the revision directory through a symbolic link are
    refused before anything is written.
  - Free space is checked before the first byte is downloaded; the sync needs the bytes it has left to transfer plus
    64 MiB. Files unchanged since an earlier revision are hard-linked from it and cost no space and no transfer.
  - A resumed file that fails verification is transferred once more from its start before the sync fails, in case the
    bytes already on disk were damaged by a crash.
  - While a sync runs, C(<dest>/<name>/.staging/progress.json) holds its progress (bytes and files done and in total,
    rate), rewritten at most once a second; run the task with C(async) and read the file to follow a long transfer.
  - Credentials are never logged, returned or written to the manifest; the source is recorded without user name,
    password or query string.
requirements:
  - boto3 for V(s3://) sources.
  - huggingface_hub for V(hf://) sources.
seealso:
  - name: sha256sum
    description: The checksum list format of plain mirrors.
    link: https://www.gnu.org/software/coreutils/manual/html_node/sha2-utilities.html
"""

EXAMPLES = r"""
- name: Sync a model from the regional HTTP mirror
  horizon.ai_platform.model_sync:
    src: https://models.eu-west.example.com/llama-3.1-8b-instruct/
    name: llama-3.1-8b-instruct
    ca_path: /etc/pki/tls/certs/corp-ca.pem

- name: Sync from the in-region object store, keeping two revisions
  horizon.ai_platform.model_sync:
    src: s3://models/mistral-7b-instruct/v0.3
    name: mistral-7b-instruct
    endpoint_url: https://rgw.dc1.example.com
    region: eu-central-1
    access_key: "{{ vault_models_access_key }}"
    secret_key: "{{ vault_models_secret_key }}"
    keep_revisions: 2
    ignore_patterns: ["*.bin", "*.pth"]

- name: Sync a modelcar image from the in-region registry, pinned by digest
  horizon.ai_platform.model_sync:
    src: oci://registry.dc1.example.com/models/granite-3.1-8b@sha256:4f9a0c1e1b6f0f5c8a3b2d7e9c6a1f0b3d5e7a9c1b2d4f6e8a0c2e4b6d8f0a1c
    name: granite-3.1-8b
    username: "{{ vault_registry_user }}"
    password: "{{ vault_registry_password }}"

- name: Sync a long transfer in the background and show its progress
  horizon.ai_platform.model_sync:
    src: file:///mnt/models/granite-3.1-8b
    name: granite-3.1-8b
  async: 7200
  poll: 30
"""

RETURN = r"""
boundary:
  description:
    - With O(boundary_policy), the decision that allowed the sync (see M(horizon.ai_platform.data_boundary)'s return
      values); when the flow is denied, the whole decision, on the failed task.
  returned: when O(boundary_policy) is given
  type: dict
  sample: {"boundary": "eu", "host_region": "eu-west-1", "source_region": "eu-central-1", "rule": {"data": {"index": 1, "match": "*"}}}
path:
  description: The published revision's directory.
  returned: always
  type: str
  sample: /var/lib/horizon/models/llama-3.1-8b-instruct/3f1c2a9e0b7d4c55
current:
  description: The symbolic link that points at the current revision; point the serving stack here.
  returned: always
  type: str
  sample: /var/lib/horizon/models/llama-3.1-8b-instruct/current
revision:
  description: The revision now current.
  returned: always
  type: str
  sample: 3f1c2a9e0b7d4c55
previous_revision:
  description: The revision that was current before this run, or V(null).
  returned: always
  type: str
  sample: 9ab07e52c1d3f640
manifest:
  description: Path of the revision's manifest.
  returned: success
  type: str
  sample: /var/lib/horizon/models/llama-3.1-8b-instruct/3f1c2a9e0b7d4c55.manifest.json
files:
  description:
    - Number of files in the revision, the checksum list of O(write_checksums) included.
    - In check mode for a V(oci://) image, the number of its layers, since the files inside are only known after download.
  returned: success
  type: int
  sample: 12
bytes:
  description: Total size of the revision's files, the checksum list of O(write_checksums) included.
  returned: success
  type: int
  sample: 16060617648
transferred_bytes:
  description:
    - Bytes of the revision's files downloaded by this run (in check mode, that a run would download).
    - A file that had to start over (a server that ignores C(Range), or resumed bytes that failed verification)
      counts in full; the bytes it discarded do not count.
  returned: success
  type: int
  sample: 16060617648
reused_bytes:
  description: Bytes hard-linked from revisions already published instead of being transferred.
  returned: success
  type: int
  sample: 0
resumed_bytes:
  description:
    - Bytes of the revision's files that were already in staging from an interrupted run, and were not transferred
      again. A partial file that had to start over counts for nothing.
    - In check mode, the bytes of partial files waiting in staging.
  returned: success
  type: int
  sample: 1073741824
pruned:
  description: Revisions removed (in check mode, that would be removed) because of O(keep_revisions).
  returned: success
  type: list
  elements: str
  sample: [9ab07e52c1d3f640]
preview:
  description:
    - In check mode, when the run would publish a revision - what it would publish, and the model's C(config.json)
      read from the source into memory (nothing is written on the node), so that a server can be planned for the
      model before it is there (the C(inference_server) role does, in check mode).
  returned: in check mode, when a revision would be published
  type: dict
  contains:
    revision:
      description: The revision that would be published.
      type: str
    manifest:
      description: The manifest's C(name), C(revision), C(source) and C(files) (each C(path) and C(size)).
      type: dict
    config:
      description: The model's C(config.json) (up to 1 MiB), or null where it could not be read.
      type: dict
    config_error:
      description: Why C(config) is null.
      type: str
      returned: when config.json could not be read
  sample:
    revision: 9ab07e52c1d3f640
    manifest:
      name: tiny-llama
      revision: 9ab07e52c1d3f640
      source: http://mirror.eu-central-1.example.com/tiny-llama/
      files: [{path: config.json, size: 612}, {path: model.safetensors, size: 4194456}]
    config: {architectures: [LlamaForCausalLM], num_attention_heads: 4, torch_dtype: bfloat16}
repaired:
  description: Files of a damaged published revision that were fetched again.
  returned: when a published revision was damaged
  type: list
  elements: str
  sample: [model-00001-of-00004.safetensors]
source:
  description: The source, without credentials.
  returned: always
  type: str
  sample: s3://models/mistral-7b-instruct/v0.3
progress_file:
  description: Where the progress of the transfer was written.
  returned: when files were transferred
  type: str
  sample: /var/lib/horizon/models/llama-3.1-8b-instruct/.staging/progress.json
"""

import importlib
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_source_hub import HubSource
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_source_oci import OciSource
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_sources import (
    FileSource,
    HttpSource,
    S3Source,
    scheme_of,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import StoreError
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_sync import BoundaryError, sync
from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact


def import_libraries(module, names, package, scheme):
    """Import ``names`` only for the source that needs them: together they cost half a second at start."""
    try:
        return [importlib.import_module(name) for name in names]
    except ImportError:
        module.fail_json(msg=missing_required_lib(package, reason=f"for {scheme}:// sources"), exception=traceback.format_exc())
        return None


def argument_spec():
    return dict(
        src=dict(type="str", required=True),
        name=dict(type="str", required=True),
        dest=dict(type="path", default="/var/lib/horizon/models"),
        revision=dict(type="str"),
        checksum_file=dict(type="str", default="SHA256SUMS"),
        allow_patterns=dict(type="list", elements="str"),
        ignore_patterns=dict(type="list", elements="str"),
        endpoint_url=dict(type="str", aliases=["endpoint"]),
        region=dict(type="str"),
        access_key=dict(type="str", no_log=True, aliases=["aws_access_key_id"]),
        secret_key=dict(type="str", no_log=True, aliases=["aws_secret_access_key"]),
        session_token=dict(type="str", no_log=True, aliases=["aws_session_token"]),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        token=dict(type="str", no_log=True),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        plain_http=dict(type="bool", default=False),
        parallel=dict(type="int", default=4),
        page_cache=dict(type="str", choices=["drop", "keep"], default="drop"),
        timeout=dict(type="int", default=60),
        keep_revisions=dict(type="int", default=0),
        verify=dict(type="str", choices=["quick", "full"], default="quick"),
        write_checksums=dict(type="bool", default=False),
        lock_timeout=dict(type="int", default=600),
        boundary_policy=dict(type="raw"),
        host_region=dict(type="str"),
        boundary_audit_log=dict(type="path"),
    )


def make_source(module, params):
    scheme = scheme_of(params["src"])
    if scheme == "file":
        return FileSource(params)
    if scheme in ("http", "https"):
        return HttpSource(params)
    if scheme == "s3":
        boto3, botocore = import_libraries(module, ("boto3", "botocore", "botocore.config", "botocore.exceptions"), "boto3", scheme)[:2]
        return S3Source(params, boto3, botocore)
    if scheme == "hf":
        names = ("huggingface_hub", "huggingface_hub.errors", "huggingface_hub.hf_api", "huggingface_hub.utils")
        return HubSource(params, import_libraries(module, names, "huggingface_hub", scheme)[0])
    return OciSource(params)


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = dict(module.params)
    for key in ("parallel", "timeout", "lock_timeout"):
        if params[key] < 1:
            module.fail_json(msg=f"{key} must be at least 1, got {params[key]}")
    if params["keep_revisions"] < 0:
        module.fail_json(msg=f"keep_revisions must be 0 (keep all) or more, got {params['keep_revisions']}")
    params["diff"] = module._diff
    warnings = []
    try:
        source = make_source(module, params)
        result = sync(params, source, check_mode=module.check_mode, warn=warnings.append)
    except (StoreError, OSError) as exc:
        for w in warnings:
            module.warn(w)
        msg = str(exc) if isinstance(exc, StoreError) else f"model sync failed: {exc}"
        extra = {"boundary": exc.decision} if isinstance(exc, BoundaryError) and exc.decision else {}
        module.fail_json(msg=msg, source=redact(params["src"]), **extra)
    for w in warnings:
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
