# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real S3-compatible server on loopback for tests: moto's standalone server, in its own process.

``moto_server`` speaks the S3 REST API over HTTP; tests talk to it with boto3 exactly as a node
talks to Ceph or MinIO. Authentication is real: the server lets the first three requests through
unauthenticated (``INITIAL_NO_AUTH_ACTION_COUNT``), which create an IAM user, its access key and a
policy; from then on every request's signature is checked, so a wrong secret key is refused with
``SignatureDoesNotMatch`` and an unknown key with ``InvalidAccessKeyId``.

The first requests also create a role the user's policy applies to and assume it through STS, for
temporary credentials (``S3Server.session``: access key, secret key and session token). moto checks
the session token of such a key: a request with a wrong one is refused with ``InvalidToken``.

With ``tls=(certificate, key, ca)``, moto serves HTTPS with that certificate (``moto_server
--ssl-cert/--ssl-key``) and the fixture's own clients trust ``ca`` only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys

import boto3

from ansible_collections.horizon.ai_platform.tests.servers.process import free_port, server_process
from ansible_collections.horizon.ai_platform.tests.servers.tls import probe_context

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
REGION = "us-east-1"


TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'
# Requests moto lets through unauthenticated: the user, its key and policy; the role, its policy; AssumeRole.
BOOTSTRAP_REQUESTS = 6


class S3Server:
    def __init__(self, url, access_key, secret_key, verify=True):
        self.url = url
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = REGION
        self.verify = verify
        self.session = None  # (access key, secret key, session token) of an assumed role, when auth is on

    def client(self, secret_key=None):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            verify=self.verify,
        )


@contextlib.contextmanager
def moto_s3(log=None, auth=True, tls=None):
    """Run ``moto_server`` on a free loopback port; yield an ``S3Server``.

    With ``auth`` (the default) signatures are checked. moto then mis-checks requests whose query
    string holds an encoded ``/`` (getmoto/moto#5948): listing a prefix with a ``/`` inside fails with
    SignatureDoesNotMatch. Tests of nested prefixes use a server with ``auth=False``.
    """
    exe = shutil.which("moto_server") or os.path.join(os.path.dirname(sys.executable), "moto_server")
    port = free_port()
    env = dict(os.environ)
    if auth:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(BOOTSTRAP_REQUESTS)
    env["AWS_DEFAULT_REGION"] = REGION
    argv = [exe, "-H", "127.0.0.1", "-p", str(port)]
    verify, context = True, None
    if tls:
        cert, key_file, verify = tls
        argv += ["--ssl-cert", cert, "--ssl-key", key_file]
        context = probe_context(verify)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    with server_process(argv, url + "/moto-api/", log=log, env=env, context=context):
        bootstrap = {"endpoint_url": url, "region_name": REGION, "aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap", "verify": verify}
        iam = boto3.client("iam", **bootstrap)
        iam.create_user(UserName="models")
        key = iam.create_access_key(UserName="models")["AccessKey"]
        iam.put_user_policy(UserName="models", PolicyName="models", PolicyDocument=POLICY)
        server = S3Server(url, key["AccessKeyId"], key["SecretAccessKey"], verify)
        if auth:
            role = iam.create_role(RoleName="models-reader", AssumeRolePolicyDocument=TRUST)["Role"]
            iam.put_role_policy(RoleName="models-reader", PolicyName="models", PolicyDocument=POLICY)
            sts = boto3.client("sts", **bootstrap)
            creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="node")["Credentials"]
            server.session = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        yield server
