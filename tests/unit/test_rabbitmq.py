"""RabbitMQ's user comes from a definitions file: the hash must be what RabbitMQ checks
(rabbit_password_hashing_sha256: base64(salt ‖ sha256(salt ‖ password)), 4-byte salt)."""

import base64
import hashlib
import json

from components.openstack.rabbitmq import USER, definitions, password_hash


def test_hash_is_rabbitmqs_salted_sha256():
    raw = base64.b64decode(password_hash("s3cret"))
    salt, digest = raw[:4], raw[4:]
    assert len(raw) == 36
    assert digest == hashlib.sha256(salt + b"s3cret").digest()
    assert digest != hashlib.sha256(salt + b"other").digest()


def test_hash_is_stable_so_reruns_change_nothing():
    assert password_hash("a") == password_hash("a")
    assert password_hash("a") != password_hash("b")


def test_definitions_grant_the_openstack_user_everything_on_the_default_vhost():
    d = json.loads(definitions("pw"))
    assert d["users"] == [{"name": USER, "password_hash": password_hash("pw"),
                           "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}]
    assert d["permissions"][0] == {"user": USER, "vhost": "/", "configure": ".*",
                                   "write": ".*", "read": ".*"}
    assert "pw" not in json.dumps(d)
