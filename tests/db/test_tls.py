"""Database TLS end to end: a local PostgreSQL serving a certificate from a CA made here, and
the service's own settings path (PGSSLMODE and PGSSLROOTCERT, as the chart and the prod overlay
set them, read by libpq under `sports-analytics migrate`, the command the migration Job runs).

verify-full connects with the right CA bundle, and refuses a wrong CA, a host name the
certificate does not name, and a missing bundle, each with one clear JSON error line and at
once: waiting for the database cannot fix a TLS setting, so `migrate` does not retry it."""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers.pgharness import PgCluster, wait_for

CLI = Path(sys.executable).with_name("sports-analytics")
# migrate's retry budget; a refusal that came after retrying would take at least this long
WAIT_SECONDS = 30


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def make_server_cert(ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate,
                     ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A server certificate for the host name `localhost` only (not for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


class TlsPgCluster(PgCluster):
    """The harness cluster with ssl=on and the given certificate and key."""

    def __init__(self, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        super().__init__()
        self.cert_file = self.root / "server.crt"
        self.key_file = self.root / "server.key"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(_pem_key(key))
        self.key_file.chmod(0o600)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            for path in (self.cert_file, self.key_file):
                os.chown(path, pw.pw_uid, pw.pw_gid)
        # TCP connections must use TLS: hostssl only (the socket stays trusted for pg_ctl)
        hba = self.datadir / "pg_hba.conf"
        hba.write_text("local all all trust\nhostssl all all 127.0.0.1/32 trust\n"
                       "hostnossl all all 127.0.0.1/32 reject\n")

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c ssl=on -c ssl_cert_file={self.cert_file} -c ssl_key_file={self.key_file}")
        self._run("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "start")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TlsPgCluster, Path, Path]]:
    ca_key, ca = make_ca("sports-analytics test CA")
    _, other_ca = make_ca("some other CA")
    key, cert = make_server_cert(ca_key, ca)
    cluster = TlsPgCluster(cert, key)
    cluster.start()
    bundles = tmp_path_factory.mktemp("ca")
    right, wrong = bundles / "ca.crt", bundles / "other-ca.crt"
    right.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    wrong.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
    try:
        wait_for(f"postgresql://postgres@localhost:{cluster.port}/postgres?sslmode=verify-full"
                 f"&sslrootcert={right}")
        yield cluster, right, wrong
    finally:
        cluster.destroy()


def migrate(port: int, *, host: str = "localhost", sslmode: str = "verify-full",
            root: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`sports-analytics migrate` configured the way the chart configures the Job: POSTGRES_*
    parts, PGSSLMODE from the ConfigMap and PGSSLROOTCERT pointing at the mounted bundle."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "POSTGRES_", "DATABASE_URL"))}
    env.update({"APP_ENV": "development", "LOG_FORMAT": "json", "POSTGRES_HOST": host,
                "POSTGRES_PORT": str(port), "POSTGRES_DB": "postgres", "POSTGRES_USER": "postgres",
                "POSTGRES_PASSWORD": "unused-trust-auth", "PGSSLMODE": sslmode,
                "DB_WAIT_SECONDS": str(WAIT_SECONDS), "DB_CONNECT_TIMEOUT_SECONDS": "3"})
    if root is not None:
        env["PGSSLROOTCERT"] = str(root)
    return subprocess.run([str(CLI), "migrate"], capture_output=True, text=True, timeout=120, env=env)


def error_line(proc: subprocess.CompletedProcess[str]) -> dict[str, object]:
    """The one error line of a refused connection, given without any retry."""
    lines = [json.loads(line) for line in (proc.stdout + proc.stderr).splitlines() if line.startswith("{")]
    failed = [line for line in lines if line.get("level") == "error"]
    assert len(failed) == 1, proc.stdout + proc.stderr
    assert not [line for line in lines if line.get("event") == "database not ready, retrying"]
    assert str(failed[0]["error"]).startswith("database refused the connection: ")
    return failed[0]


def test_verify_full_connects_with_the_right_ca(tls_server: tuple[TlsPgCluster, Path, Path]) -> None:
    cluster, right, _ = tls_server
    proc = migrate(cluster.port, root=right)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # and the session really is encrypted: the server reports TLS for a verify-full connection
    import psycopg

    with psycopg.connect(host="localhost", port=cluster.port, user="postgres", dbname="postgres",
                         sslmode="verify-full", sslrootcert=str(right)) as conn:
        row = conn.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert row is not None and row[0] is True and str(row[1]).startswith("TLS")


def test_verify_full_refuses_a_wrong_ca(tls_server: tuple[TlsPgCluster, Path, Path]) -> None:
    cluster, _, wrong = tls_server
    proc = migrate(cluster.port, root=wrong)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    line = error_line(proc)
    assert line["event"] == "command failed" and line["command"] == "migrate"
    assert "certificate verify failed" in str(line["error"])


def test_verify_full_refuses_a_host_the_certificate_does_not_name(
    tls_server: tuple[TlsPgCluster, Path, Path]
) -> None:
    cluster, right, _ = tls_server
    proc = migrate(cluster.port, host="127.0.0.1", root=right)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert 'does not match host name "127.0.0.1"' in str(error_line(proc)["error"])
    # verify-ca checks the chain only, so the same connection is accepted
    assert migrate(cluster.port, host="127.0.0.1", sslmode="verify-ca", root=right).returncode == 0


def test_verify_full_without_the_bundle_says_which_file_is_missing(
    tls_server: tuple[TlsPgCluster, Path, Path], tmp_path: Path
) -> None:
    cluster, _, _ = tls_server
    missing = tmp_path / "not-mounted" / "ca.crt"
    proc = migrate(cluster.port, root=missing)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    message = str(error_line(proc)["error"])
    assert "root certificate file" in message and str(missing) in message


def test_the_server_refuses_plaintext(tls_server: tuple[TlsPgCluster, Path, Path]) -> None:
    cluster, _, _ = tls_server
    proc = migrate(cluster.port, sslmode="disable")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "no encryption" in str(error_line(proc)["error"]) or "pg_hba.conf" in str(error_line(proc)["error"])


class Serve:
    """`sports-analytics serve` (one worker) with the same TLS settings as the API pods."""

    def __init__(self, port: int, root: Path, tmp_path: Path) -> None:
        from tests.helpers.pgharness import free_port

        self.base = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PG", "POSTGRES_", "DATABASE_", "GUNICORN_", "PROMETHEUS_"))}
        env.update({"APP_ENV": "development", "LOG_FORMAT": "json", "WEB_CONCURRENCY": "1",
                    "GUNICORN_CMD_ARGS": f"--bind {self.base.removeprefix('http://')}",
                    "POSTGRES_HOST": "localhost", "POSTGRES_PORT": str(port),
                    "POSTGRES_DB": "postgres", "POSTGRES_USER": "postgres",
                    "POSTGRES_PASSWORD": "unused-trust-auth", "PGSSLMODE": "verify-full",
                    "PGSSLROOTCERT": str(root)})
        self.log = (tmp_path / "serve.log").open("wb")
        self.proc = subprocess.Popen([str(CLI), "serve"], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, str]:
        import time
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.base + path, timeout=5) as resp:
                    return resp.status, resp.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode()
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def test_the_api_turns_ready_only_with_the_right_ca(
    tls_server: tuple[TlsPgCluster, Path, Path], tmp_path: Path
) -> None:
    """Both of a worker's pools (SQLAlchemy for /readyz, the read pool for the data routes) take
    the same settings; with a wrong bundle the process lives but never turns ready."""
    cluster, right, wrong = tls_server
    assert migrate(cluster.port, root=right).returncode == 0
    good = Serve(cluster.port, right, tmp_path)
    try:
        assert good.get("/readyz")[0] == 200
        status, body = good.get("/api/v1/teams")
        assert status == 200, body
    finally:
        good.stop()
    bad = Serve(cluster.port, wrong, tmp_path)
    try:
        assert bad.get("/healthz")[0] == 200
        status, body = bad.get("/readyz")
        assert status == 503, body
        assert json.loads(body)["checks"]["database"] != "ok"
    finally:
        bad.stop()
