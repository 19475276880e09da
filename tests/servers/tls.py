# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private certificate authority for tests, and TLS for the test servers that run in this process.

``PrivateCA(directory)`` creates a CA (``ca.pem``) with ``cryptography``, as an organisation's
internal CA would be, and issues server certificates signed by it for the names a test asks for
(IP addresses and DNS names both go into the subject alternative names). Nothing is trusted by the
machine: a client trusts the CA only when it is given ``ca.pem``.

``TLSServerMixin`` gives a ``socketserver`` server TLS: each accepted connection is wrapped and its
handshake done in the connection's own thread, so a client that refuses the certificate costs the
server nothing but that connection.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import ssl

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
except ImportError:  # the mirror run as a script (benchmarks) needs only TLSServerMixin, the standard library
    x509 = None


def _write_key(path, key):
    with open(path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(path, 0o600)


def _alt_name(name):
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class PrivateCA:
    """A CA whose certificate is ``self.path`` (PEM); ``issue()`` writes server certificates it signed."""

    def __init__(self, directory, name="horizon test CA"):
        if x509 is None:
            raise RuntimeError("PrivateCA needs the cryptography package")
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.path = os.path.join(self.directory, "ca.pem")
        with open(self.path, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, names, stem="server"):
        """A server certificate for ``names`` (IPs or DNS names); return ``(certificate path, key path)``."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([_alt_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        cert_path = os.path.join(self.directory, f"{stem}.pem")
        key_path = os.path.join(self.directory, f"{stem}.key")
        with open(cert_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return cert_path, key_path

    def client_context(self):
        """An ``ssl.SSLContext`` that trusts this CA only, for fixtures that talk to the servers."""
        return ssl.create_default_context(cafile=self.path)


def probe_context(ca_path):
    """For readiness checks of a server the test started: the chain is verified, the name is not.

    A test may start a server with a certificate for another name on purpose.
    """
    context = ssl.create_default_context(cafile=ca_path)
    context.check_hostname = False
    return context


def server_context(cert_path, key_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class TLSServerMixin:
    """For ``socketserver`` servers: with ``tls_context`` set, connections speak TLS, handshaken per thread."""

    tls_context = None

    def finish_request(self, request, client_address):
        if self.tls_context is None:
            super().finish_request(request, client_address)
            return
        try:
            request.settimeout(30)  # for the handshake only
            tls = self.tls_context.wrap_socket(request, server_side=True)
            tls.settimeout(None)
        except (ssl.SSLError, OSError):
            return  # the client refused the certificate, or went away: its connection only
        try:
            super().finish_request(tls, client_address)
        finally:
            with contextlib.suppress(OSError):
                tls.close()
