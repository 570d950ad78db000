"""Amazon Linux 2023's trust-root layout (what provided.al2023 ships) under a temporary root, so
the Lambda benchmark can measure the function's start-up against it on any Linux.

What AL2023 ships (ca-certificates 2023.2.64 / 2025.2.76 .amzn2023, built from Fedora's
pre-2024 packaging; the container image's package list names the versions):
  /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem         PEM bundle, the TLS server roots
  /etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt   "BEGIN TRUSTED CERTIFICATE" bundle
  /etc/pki/tls/certs/ca-bundle.crt       -> the PEM bundle
  /etc/pki/tls/certs/ca-bundle.trust.crt -> the trust bundle
  /etc/pki/tls/cert.pem                  -> the PEM bundle
  /etc/ssl/certs                         -> /etc/pki/tls/certs (Debian compatibility)
No per-certificate files and no hash links: that directory-hash layout arrived in Fedora's
2024.2.69_v8.0.303-5 package, after AL2023's fork.

What rustls-native-certs 0.8 (the AWS SDK's trust roots) then reads, through openssl-probe 0.2:
with neither SSL_CERT_FILE nor SSL_CERT_DIR set, the first existing candidate bundle
(/etc/ssl/certs/ca-certificates.crt is absent, so /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem)
and every existing candidate directory (/etc/ssl/certs and /etc/pki/tls/certs, the same
directory through the symlink): each file in it not already read (by device and inode), which
leaves the trust bundle, whose sections it scans and skips (not a CERTIFICATE label). With only
SSL_CERT_FILE set it reads that file and no directory.

`environment(root, bundle_only)` gives the SSL_CERT_FILE / SSL_CERT_DIR values that make
rustls-native-certs read exactly those paths under `root` (the same file, the same two
directory scans, the same code path: with the variables set it skips openssl-probe's existence
checks, a handful of stat calls). Links are relative so they resolve inside `root`. The
certificates are this machine's Mozilla roots (the same CA program AL2023 takes its roots from).
"""

import subprocess
from pathlib import Path

HOST_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")
PEM_BUNDLE = "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
TRUST_BUNDLE = "etc/pki/ca-trust/extracted/openssl/ca-bundle.trust.crt"
CERTS_DIR = "etc/pki/tls/certs"
SSL_CERTS = "etc/ssl/certs"


def host_certificates():
    for candidate in HOST_BUNDLES:
        path = Path(candidate)
        if path.is_file():
            text = path.read_text()
            blocks = text.split("-----END CERTIFICATE-----")
            return [b[b.index("-----BEGIN CERTIFICATE-----"):] + "-----END CERTIFICATE-----\n"
                    for b in blocks if "-----BEGIN CERTIFICATE-----" in b]
    raise RuntimeError(f"no CA bundle on this machine (looked for {', '.join(HOST_BUNDLES)}): "
                       "apt-get install ca-certificates")


def trusted_form(pem):
    """The OpenSSL "TRUSTED CERTIFICATE" form p11-kit writes into ca-bundle.trust.crt."""
    return subprocess.run(
        ["openssl", "x509", "-addtrust", "serverAuth", "-addtrust", "emailProtection",
         "-addtrust", "codeSigning", "-trustout"],
        input=pem, capture_output=True, text=True, check=True).stdout


def build(root):
    """Writes the layout under `root`; returns its file sizes (bytes) and certificate count."""
    root = Path(root)
    certificates = host_certificates()
    pem_bundle, trust_bundle = root / PEM_BUNDLE, root / TRUST_BUNDLE
    for path in (pem_bundle, trust_bundle, root / CERTS_DIR):
        path.parent.mkdir(parents=True, exist_ok=True)
    (root / CERTS_DIR).mkdir(exist_ok=True)
    pem_bundle.write_text("".join(certificates))
    trust_bundle.write_text("".join(trusted_form(pem) for pem in certificates))
    links = {
        f"{CERTS_DIR}/ca-bundle.crt": "../../ca-trust/extracted/pem/tls-ca-bundle.pem",
        f"{CERTS_DIR}/ca-bundle.trust.crt": "../../ca-trust/extracted/openssl/ca-bundle.trust.crt",
        "etc/pki/tls/cert.pem": "../ca-trust/extracted/pem/tls-ca-bundle.pem",
        SSL_CERTS: "../pki/tls/certs",
    }
    for link, target in links.items():
        (root / link).parent.mkdir(parents=True, exist_ok=True)
        (root / link).symlink_to(target)
    return {"certificates": len(certificates), "pem_bundle_bytes": pem_bundle.stat().st_size,
            "trust_bundle_bytes": trust_bundle.stat().st_size}


def environment(root, bundle_only=False):
    root = Path(root)
    env = {"SSL_CERT_FILE": str(root / PEM_BUNDLE)}
    if not bundle_only:
        env["SSL_CERT_DIR"] = f"{root / SSL_CERTS}:{root / CERTS_DIR}"
    return env
