"""X.509 material (components/certs.py) and its stable resources (keys.py providers): the
issued certificate chains to its CA, carries its SANs, is accepted by OpenSSL in a real
handshake, and a CA key with a passphrase is stored encrypted."""

from __future__ import annotations

import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from components import certs
from components.keys import _CertificateAuthorityProvider, _IssuedCertificateProvider

PUBLIC = "10.0.2.11"


@pytest.fixture(scope="module")
def ca() -> tuple[str, str]:
    return certs.certificate_authority("openstack-lab dev CA")


@pytest.fixture(scope="module")
def server(ca) -> tuple[str, str]:
    return certs.issue(ca[0], ca[1], None, PUBLIC, [PUBLIC, "network"])


def load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def sans(cert: x509.Certificate) -> x509.SubjectAlternativeName:
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def test_ca_is_a_self_signed_ca(ca):
    cert = load(ca[0])
    cert.verify_directly_issued_by(cert)
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == \
        "openstack-lab dev CA"
    key = serialization.load_pem_private_key(ca[1].encode(), None)  # unencrypted
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_issued_certificate_verifies_against_the_ca(ca, server):
    cert, ca_cert = load(server[0]), load(ca[0])
    cert.verify_directly_issued_by(ca_cert)
    assert cert.issuer == ca_cert.subject
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    key = serialization.load_pem_private_key(server[1].encode(), None)
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_issued_certificate_has_the_sans(server):
    names = sans(load(server[0]))
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(PUBLIC)]
    assert names.get_values_for_type(x509.DNSName) == ["network"]


def test_a_tls_client_accepts_it_for_each_san(ca, server):
    """RFC 5280 path validation as a TLS client does it (cryptography's verifier)."""
    store = Store([load(ca[0])])
    for name in (x509.IPAddress(ipaddress.ip_address(PUBLIC)), x509.DNSName("network")):
        chain = PolicyBuilder().store(store).build_server_verifier(name).verify(
            load(server[0]), [])
        assert chain[-1] == load(ca[0])
    with pytest.raises(VerificationError):
        PolicyBuilder().store(store).build_server_verifier(
            x509.IPAddress(ipaddress.ip_address("10.0.2.12"))).verify(load(server[0]), [])


def handshake(ca_pem: str, cert_pem: str, key_pem: str, host: str, tmp_path) -> None:
    """A real OpenSSL handshake in memory: server with cert+key, client trusting the CA
    and checking `host` (what curl --cacert does on the node)."""
    (tmp_path / "cert.pem").write_text(cert_pem)
    (tmp_path / "key.pem").write_text(key_pem)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.load_verify_locations(cadata=ca_pem)
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = client_ctx.wrap_bio(c_in, c_out, server_hostname=host)
    srv = server_ctx.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for side, obj in (("client", client), ("server", srv)):
            if not done[side]:
                try:
                    obj.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def test_openssl_handshake_with_the_ip_and_the_name(ca, server, tmp_path):
    handshake(ca[0], server[0], server[1], PUBLIC, tmp_path)
    handshake(ca[0], server[0], server[1], "network", tmp_path)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(ca[0], server[0], server[1], "10.0.2.99", tmp_path)
    other_ca = certs.certificate_authority("someone else")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(other_ca[0], server[0], server[1], PUBLIC, tmp_path)


def test_ca_key_is_encrypted_with_a_passphrase():
    cert_pem, key_pem = certs.certificate_authority("octavia CA", "p" * 32)
    assert "ENCRYPTED" in key_pem
    with pytest.raises(TypeError):  # a password is required
        serialization.load_pem_private_key(key_pem.encode(), None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(key_pem.encode(), b"wrong")
    key = serialization.load_pem_private_key(key_pem.encode(), ("p" * 32).encode())
    assert key.public_key().public_numbers() == load(cert_pem).public_key().public_numbers()
    # Issuing with it needs the passphrase; the issued key itself is never encrypted.
    cert, key = certs.issue(cert_pem, key_pem, "p" * 32, "octavia-client", usage="client")
    load(cert).verify_directly_issued_by(load(cert_pem))
    assert "ENCRYPTED" not in key
    eku = load(cert).extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    with pytest.raises(x509.ExtensionNotFound):  # no SANs asked, none given
        sans(load(cert))
    with pytest.raises(TypeError):
        certs.issue(cert_pem, key_pem, None, "x")


def test_bad_usage_is_refused(ca):
    with pytest.raises(ValueError, match="usage"):
        certs.issue(ca[0], ca[1], None, "x", usage="both")


def test_each_call_makes_new_material(ca):
    assert certs.certificate_authority("a")[1] != certs.certificate_authority("a")[1]
    first = certs.issue(ca[0], ca[1], None, PUBLIC, [PUBLIC])
    assert first != certs.issue(ca[0], ca[1], None, PUBLIC, [PUBLIC])


# --- the stable resources' providers -------------------------------------------------------

def test_providers_create_and_replace_only_on_their_inputs():
    ca = _CertificateAuthorityProvider().create({"common_name": "lab CA", "passphrase": None})
    assert ca.id == "lab CA" and "BEGIN CERTIFICATE" in ca.outs["cert_pem"]
    props = {"ca_cert": ca.outs["cert_pem"], "ca_key": ca.outs["key_pem"],
             "ca_passphrase": None, "common_name": PUBLIC, "sans": [PUBLIC, "network"],
             "usage": "server"}
    issued = _IssuedCertificateProvider().create(props)
    load(issued.outs["cert_pem"]).verify_directly_issued_by(load(ca.outs["cert_pem"]))
    assert sans(load(issued.outs["cert_pem"])).get_values_for_type(x509.DNSName) == ["network"]

    provider = _IssuedCertificateProvider()
    same = provider.diff(issued.id, issued.outs, dict(props))
    assert not same.changes
    renamed = provider.diff(issued.id, issued.outs, {**props, "sans": [PUBLIC]})
    assert renamed.changes and renamed.replaces == ["sans"]
    new_ca = provider.diff(issued.id, issued.outs, {**props, "ca_cert": "other"})
    assert new_ca.replaces == ["ca_cert"]
    ca_diff = _CertificateAuthorityProvider().diff(ca.id, ca.outs,
                                                   {"common_name": "lab CA", "passphrase": None})
    assert not ca_diff.changes
