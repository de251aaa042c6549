"""The metal and gcp keys parse by their real syntax: what passes could not add a line to
an SSH config or known_hosts, a word to a command line, or an invalid GCP name. One
failing case per rule, and values that must pass."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from components.config import ConfigError, Settings
from tests.fixtures.keys import HOST_KEY, fake_private_key, real_private_key

METAL = {"underlay": "metal", "metalHost": "lab.example.org", "metalHostKey": HOST_KEY,
         "metalPrivateKey": real_private_key()}
GCP = {"underlay": "gcp", "profile": "standard", "gcpProject": "lab-project",
       "operatorCidr": "203.0.113.0/24"}
INJECTION = "\n  ProxyCommand sh -c 'id > /tmp/owned'"


def refused(raw: dict, key: str, problem: str) -> ConfigError:
    with pytest.raises(ConfigError, match=problem) as err:
        Settings.from_mapping(raw)
    assert err.value.key == key
    return err.value


def openssh_public(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_private(private, form=serialization.PrivateFormat.PKCS8,
                encryption=serialization.NoEncryption()) -> str:
    return private.private_bytes(serialization.Encoding.PEM, form, encryption).decode()


# --- metalHost ----------------------------------------------------------------------

@pytest.mark.parametrize("host,stored", [
    ("lab.example.org", "lab.example.org"), ("metal", "metal"),
    ("LAB-1.Example.org", "LAB-1.Example.org"), ("192.0.2.10", "192.0.2.10"),
    ("2001:db8::10", "2001:db8::10"), ("2001:DB8:0::10", "2001:db8::10"),
    ("a" * 63 + ".example.org", "a" * 63 + ".example.org"),
])
def test_metal_host_takes_names_and_addresses(host, stored):
    assert Settings.from_mapping({**METAL, "metalHost": host}).metal.host == stored


BAD_HOSTS = [
    ("lab.example.org" + INJECTION, "control character '\\\\n' at position 15"),
    ("lab.example.org\n", "control character"),
    ("lab\texample.org", "control character '\\\\t'"),
    ("lab.example.org\x00", "control character '\\\\x00'"),
    ("lab.example.org\x85", "control character"),  # C1 control (NEL)
    ("", "not a DNS host name"),
    ("lab example.org", "not a DNS host name"),
    ("-lab.example.org", "not a DNS host name"),  # a label starts with a letter or digit
    ("lab-.example.org", "not a DNS host name"),  # ... and ends with one
    ("lab..example.org", "not a DNS host name"),  # empty label
    ("lab.example.org.", "not a DNS host name"),
    ("lab_1.example.org", "not a DNS host name"),
    ("a" * 64 + ".example.org", "not a DNS host name"),  # label > 63
    (".".join(["a" * 63] * 4), "not a DNS host name"),  # 255 > 253 characters
    ("192.0.2.256", "not a DNS host name"),  # neither an address nor a name
    ("root@lab.example.org", "not a DNS host name"),
    ("lab.example.org:22", "not a DNS host name"),
    ("lab.exämple.org", "not a DNS host name"),
    ("fe80::1%eth0", "with a scope is not allowed"),
]


@pytest.mark.parametrize("host,problem", BAD_HOSTS, ids=[repr(h)[:30] for h, _ in BAD_HOSTS])
def test_metal_host_refuses_everything_else(host, problem):
    refused({**METAL, "metalHost": host}, "metalHost", problem)


# --- metalUser ----------------------------------------------------------------------

@pytest.mark.parametrize("user", ["root", "lab", "_svc", "ops-1", "a" * 32])
def test_metal_user_takes_posix_names(user):
    assert Settings.from_mapping({**METAL, "metalUser": user}).metal.user == user


@pytest.mark.parametrize("user,problem", [
    ("lab\n", "control character"), ("la\tb", "control character"),
    ("", "not a POSIX user name"), ("Root", "not a POSIX user name"),
    ("1lab", "not a POSIX user name"), ("-lab", "not a POSIX user name"),
    ("a" * 33, "not a POSIX user name"), ("lab$", "not a POSIX user name"),
    ("lab user", "not a POSIX user name"), ("lab;id", "not a POSIX user name"),
    ("lab@host", "not a POSIX user name"),
])
def test_metal_user_refuses_everything_else(user, problem):
    refused({**METAL, "metalUser": user}, "metalUser", problem)


# --- metalHostKey -------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: ed25519.Ed25519PrivateKey.generate(),
    lambda: ec.generate_private_key(ec.SECP256R1()),
    lambda: ec.generate_private_key(ec.SECP384R1()),
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
], ids=["ed25519", "nistp256", "nistp384", "rsa"])
def test_metal_host_key_takes_a_public_key_of_each_type(make):
    key = openssh_public(make())
    assert Settings.from_mapping({**METAL, "metalHostKey": key}).metal.host_key == key


KIND, DATA = HOST_KEY.split(" ")
BAD_HOST_KEYS = [
    (HOST_KEY + "\nevil.example.org " + HOST_KEY, "control character '\\\\n'"),
    (HOST_KEY + "\n", "control character"),
    (f"{KIND}\t{DATA}", "control character '\\\\t'"),
    ("  ", "is not '<type> <base64>'"),
    (f"lab.example.org {HOST_KEY}", "is not '<type> <base64>'"),  # with the host name
    (f"{HOST_KEY} root@lab", "is not '<type> <base64>'"),  # with a comment
    (f"@cert-authority {HOST_KEY}", "is not '<type> <base64>'"),  # with a marker
    (f"{KIND}  {DATA}", "is not '<type> <base64>'"),  # two spaces
    (DATA, "is not '<type> <base64>'"),  # no type
    (f"ssh-dss {DATA}", "key type 'ssh-dss' is not one of"),
    (f"ssh-rsa {DATA}", "the type field says ssh-rsa but the key is ssh-ed25519"),
    (f"{KIND} {DATA[:-1]}", "is not base64"),  # broken padding
    (f"{KIND} not*base64", "is not base64"),
    # The placeholder the graph tests once used: key-shaped, but not a key.
    (f"{KIND} AAAAC3NzaC1lZDI1NTE5AAAAIMetalHostKeyForTests", "is not base64"),
    (f"{KIND} {DATA[:-4]}", "ssh-ed25519 key does not parse"),  # 3 bytes short
]


@pytest.mark.parametrize("value,problem", BAD_HOST_KEYS,
                         ids=[f"{i}:{p}" for i, (_v, p) in enumerate(BAD_HOST_KEYS)])
def test_metal_host_key_refuses_anything_but_type_and_key(value, problem):
    refused({**METAL, "metalHostKey": value}, "metalHostKey", problem)


# --- metalPrivateKey ----------------------------------------------------------------

@pytest.mark.parametrize("make", [
    real_private_key,
    lambda: pem_private(ed25519.Ed25519PrivateKey.generate()),
    lambda: pem_private(ec.generate_private_key(ec.SECP256R1()),
                        serialization.PrivateFormat.TraditionalOpenSSL),
], ids=["openssh", "pkcs8", "pem-ec"])
def test_metal_private_key_takes_unencrypted_keys(make):
    key = make()
    assert Settings.from_mapping({**METAL, "metalPrivateKey": key}).metal.private_key == key


def test_metal_private_key_is_kept_with_one_final_newline():
    key = real_private_key()
    got = Settings.from_mapping({**METAL, "metalPrivateKey": key.strip()}).metal.private_key
    assert got == key.strip() + "\n"


def corrupted(key: str) -> str:
    lines = key.splitlines()
    lines[2] = lines[2][::-1]
    return "\n".join(lines) + "\n"


BAD_PRIVATE_KEYS = [
    (lambda: real_private_key().replace("\n", "\r\n"), "control character '\\\\r'"),
    (lambda: real_private_key().replace("\n", "\t", 1), "control character '\\\\t'"),
    (lambda: real_private_key() + "\x00", "control character '\\\\x00'"),
    (lambda: fake_private_key("not-a-key"), "is not an unencrypted private key"),
    (lambda: corrupted(real_private_key()), "is not an unencrypted private key"),
    (lambda: HOST_KEY, "is not an unencrypted private key"),
    (lambda: "", "is not an unencrypted private key"),
    (lambda: pem_private(ed25519.Ed25519PrivateKey.generate(),
                         encryption=serialization.BestAvailableEncryption(b"pass")),
     "the key is encrypted"),
]


@pytest.mark.parametrize("make,problem", BAD_PRIVATE_KEYS,
                         ids=[f"{i}:{p}" for i, (_m, p) in enumerate(BAD_PRIVATE_KEYS)])
def test_metal_private_key_refuses_what_does_not_parse_without_showing_it(make, problem):
    key = make()
    err = refused({**METAL, "metalPrivateKey": key}, "metalPrivateKey", problem)
    # A secret: no line of it (beyond the armour every key shares) reaches the message.
    for line in key.splitlines():
        if line.strip() and not line.startswith("-----"):
            assert line.strip() not in str(err)
    # Nor does cryptography's error, which would be printed with it.
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)


# --- gcpProject, gcpRegion, gcpZone, gcpMachineType ---------------------------------

@pytest.mark.parametrize("values", [
    {"gcpProject": "a12345"}, {"gcpProject": "lab-" + "x" * 26},
    {"gcpRegion": "europe-west4", "gcpZone": "europe-west4-b"},
    {"gcpRegion": "northamerica-northeast1", "gcpZone": "northamerica-northeast1-c"},
    {"gcpMachineType": "n1-standard-4"}, {"gcpMachineType": "n2-highmem-16"},
    {"mtu": "1460"}, {"mtu": "1400"},
])
def test_gcp_values_in_their_syntax_pass(values):
    s = Settings.from_mapping({**GCP, **values})
    assert s.gcp is not None


BAD_GCP = [
    ({"gcpProject": "lab-project\n"}, "gcpProject", "control character"),
    ({"gcpProject": "lab-1"}, "gcpProject", "not a GCP project ID"),  # < 6
    ({"gcpProject": "lab-" + "x" * 27}, "gcpProject", "not a GCP project ID"),  # > 30
    ({"gcpProject": "Lab-project"}, "gcpProject", "not a GCP project ID"),
    ({"gcpProject": "1lab-project"}, "gcpProject", "not a GCP project ID"),
    ({"gcpProject": "lab-project-"}, "gcpProject", "not a GCP project ID"),
    ({"gcpProject": "lab_project"}, "gcpProject", "not a GCP project ID"),
    ({"gcpProject": "example.com:lab"}, "gcpProject", "not a GCP project ID"),
    ({"gcpRegion": "us-central1\t"}, "gcpRegion", "control character"),
    ({"gcpRegion": "us-central"}, "gcpRegion", "not a GCP region"),
    ({"gcpRegion": "US-central1"}, "gcpRegion", "not a GCP region"),
    ({"gcpRegion": "us-central1-a"}, "gcpRegion", "not a GCP region"),
    ({"gcpRegion": "uscentral1"}, "gcpRegion", "not a GCP region"),
    ({"gcpZone": "us-central1-a\n"}, "gcpZone", "control character"),
    ({"gcpZone": "us-central1"}, "gcpZone", "not a GCP zone"),
    ({"gcpZone": "us-central1-ab"}, "gcpZone", "not a GCP zone"),
    ({"gcpZone": "us-central1-1"}, "gcpZone", "not a GCP zone"),
    ({"gcpRegion": "europe-west4"}, "gcpZone", "us-central1-a is not in openstack-lab:gcpRegion"),
    ({"gcpZone": "us-east1-b"}, "gcpZone", "not in openstack-lab:gcpRegion \\(us-central1\\)"),
    ({"gcpMachineType": "n2-standard-8\x00"}, "gcpMachineType", "control character"),
    ({"gcpMachineType": "n2-standard"}, "gcpMachineType", "not a predefined GCP machine type"),
    ({"gcpMachineType": "n2-custom-4-16384"}, "gcpMachineType", "not a predefined"),
    ({"gcpMachineType": "N2-standard-8"}, "gcpMachineType", "not a predefined"),
    ({"gcpMachineType": "n2-standard-8 --zone=x"}, "gcpMachineType", "not a predefined"),
    # Nested virtualization: N1 and N2 only.
    ({"gcpMachineType": "n2d-standard-8"}, "gcpMachineType", "nested virtualization needs"),
    ({"gcpMachineType": "e2-standard-8"}, "gcpMachineType", "nested virtualization needs"),
    # One NIC per vCPU: the network node has three.
    ({"gcpMachineType": "n1-standard-2"}, "gcpMachineType", "needs 3 NICs"),
    ({"gcpMachineType": "n2-standard-2"}, "gcpMachineType", "needs 3 NICs"),
    # The VPC's MTU.
    ({"mtu": "1461"}, "mtu", "exceeds the GCP VPC MTU of 1460"),
]


@pytest.mark.parametrize("values,key,problem", BAD_GCP,
                         ids=[f"{k}:{v[k] if k in v else ''}" for v, k, _p in BAD_GCP])
def test_gcp_values_outside_their_syntax_are_refused(values, key, problem):
    refused({**GCP, **values}, key, problem)


def test_the_gcp_keys_parse_even_on_other_underlays():
    # A typo is caught before the underlay is switched to gcp.
    refused({"gcpZone": "us-central1-a\n"}, "gcpZone", "control character")
    refused({"metalUser": "Root"}, "metalUser", "not a POSIX user name")
