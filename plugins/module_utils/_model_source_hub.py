# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: ``hf://org/name`` - a model repository on a Hugging Face Hub or a self-hosted mirror of it.

Not a public API. huggingface_hub resolves the revision to a commit, lists the repository's
files with their digests (the LFS SHA-256 for large files, the git blob id for the rest) and
builds the download URLs and auth headers. The bytes themselves go through model_sync's own
range-capable transfer: huggingface_hub 2.x resumes a download only within one process, and a
node must resume after a killed process or a reboot too.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_sources import (
    HttpTransport,
    Listing,
    Source,
    SourceError,
    certificate_error,
    tls_message,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import RemoteFile

DEFAULT_ENDPOINT = "https://huggingface.co"
LIBRARY = "horizon.ai_platform"


class HubSource(HttpTransport, Source):
    scheme = "hf"
    revision_selects = True

    def __init__(self, params, hub):
        super().__init__(params)
        parts = urlsplit(self.uri)
        org, name = parts.netloc, parts.path.strip("/")
        if not org or not name or "/" in name:
            raise SourceError(f"hf:// sources are hf://<org>/<name>, not {self.uri!r}")
        self.repo_id = f"{org}/{name}"
        self.hub = hub
        self.endpoint = (params.get("endpoint_url") or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.ref = params.get("revision") or "main"
        self.token = params.get("token") or False
        headers = hub.utils.build_hf_headers(token=self.token, library_name=LIBRARY)
        self.init_transport(params, headers=headers)
        if urlsplit(self.endpoint).scheme == "https":
            self._use_tls_settings()
        self.api = hub.HfApi(endpoint=self.endpoint, token=self.token, library_name=LIBRARY)
        self.commit = None

    def _use_tls_settings(self):
        """Make huggingface_hub's own requests (the listing) verify TLS as the downloads do: ``validate_certs``, ``ca_path``.

        huggingface_hub sends its API requests through one shared HTTP client; it is replaced by one
        made the same way (same class, same event hooks) but with this source's TLS context and timeout.
        """
        if not hasattr(self.hub.utils, "set_client_factory"):
            if self.ca_path or not self.validate_certs:
                raise SourceError(
                    f"{self.describe()}: ca_path and validate_certs need huggingface_hub's set_client_factory,"
                    f" which huggingface_hub {getattr(self.hub, '__version__', '?')} lacks; upgrade it"
                )
            return
        default = self.hub.utils.get_session()
        client_class, hooks = type(default), dict(default.event_hooks)
        context = self._tls_context()

        def factory():
            return client_class(event_hooks=hooks, follow_redirects=True, timeout=self.timeout, verify=context)

        self.hub.utils.set_client_factory(factory)

    def describe(self):
        return f"hf://{self.repo_id}@{self.ref}" + ("" if self.endpoint == DEFAULT_ENDPOINT else f" ({self.endpoint})")

    def boundary_endpoint(self):
        return self.endpoint, None

    def boundary_facts(self):
        return {"scheme": "hf", "host": urlsplit(self.endpoint).hostname, "region": self.params.get("region"), "repository": self.repo_id}

    def _hub_error(self, exc, what):
        errors = self.hub.errors
        if isinstance(exc, errors.RevisionNotFoundError):
            return SourceError(f"{what}: revision {self.ref!r} not found in {self.repo_id} on {self.endpoint}")
        if isinstance(exc, errors.GatedRepoError):
            return SourceError(f"{what}: {self.repo_id} is gated; accept its terms and give a token with access")
        if isinstance(exc, errors.RepositoryNotFoundError):
            return SourceError(f"{what}: repository {self.repo_id} not found on {self.endpoint}, or the token has no access to it")
        if isinstance(exc, errors.HfHubHTTPError):
            status = getattr(getattr(exc, "response", None), "status_code", "?")
            return SourceError(f"{what}: {self.endpoint} answered HTTP {status}: {str(exc).splitlines()[0]}")
        cert = certificate_error(exc)
        if cert is not None:
            return SourceError(f"{what}: {tls_message(urlsplit(self.endpoint).netloc, cert, self.ca_path if self.validate_certs else None)}")
        return SourceError(f"{what}: cannot reach {self.endpoint}: {exc}")

    def listing(self):
        what = f"reading {self.repo_id}@{self.ref}"
        try:
            info = self.api.model_info(self.repo_id, revision=self.ref, timeout=self.timeout)
            self.commit = info.sha
            entries = list(self.api.list_repo_tree(self.repo_id, revision=self.commit, recursive=True))
        except Exception as exc:  # huggingface_hub raises its own errors and its HTTP client's
            raise self._hub_error(exc, what) from None
        if not self.commit:
            raise SourceError(f"{what}: {self.endpoint} did not say which commit {self.ref!r} is")
        files = []
        for entry in entries:
            if not isinstance(entry, self.hub.hf_api.RepoFile):
                continue  # folders
            if entry.lfs is not None:
                files.append(RemoteFile(entry.path, entry.lfs.size, "sha256", entry.lfs.sha256))
            elif entry.blob_id:
                files.append(RemoteFile(entry.path, entry.size, "git-sha1", entry.blob_id))
            else:
                raise SourceError(f"{what}: {self.endpoint} lists {entry.path!r} without a digest to verify it against")
        if not files:
            raise SourceError(f"{what}: the repository holds no files")
        return Listing(sorted(files, key=lambda f: f.path), self.commit, {"repository": self.repo_id, "ref": self.ref, "commit": self.commit})

    def file_url(self, rf):
        return self.hub.hf_hub_url(self.repo_id, rf.path, revision=self.commit, endpoint=self.endpoint)
