from cryptography.hazmat.primitives import serialization

from components import crypto


def test_ssh_keypair_round_trips_and_matches():
    private, public = crypto.ssh_keypair("root@controller")
    algo, blob, comment = public.split()
    assert (algo, comment) == ("ssh-ed25519", "root@controller")
    key = serialization.load_ssh_private_key(private.encode(), password=None)
    derived = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                            serialization.PublicFormat.OpenSSH).decode()
    assert derived == f"{algo} {blob}"


def test_each_keypair_is_new():
    assert crypto.ssh_keypair("a")[0] != crypto.ssh_keypair("a")[0]


def test_fingerprint_is_openssh_sha256():
    _, public = crypto.ssh_keypair("x")
    fp = crypto.fingerprint(public)
    assert fp.startswith("SHA256:") and len(fp) == len("SHA256:") + 43


def test_password_alphabet_and_length():
    pw = crypto.password(40)
    assert len(pw) == 40 and set(pw) <= set(crypto.PASSWORD_ALPHABET)
    assert crypto.password() != crypto.password()
