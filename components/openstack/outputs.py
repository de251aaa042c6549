"""The underlay's OpenStack contract for the overlay stack and the operator: endpoints,
region, CA, credentials (secret), external network, amphora settings, clouds.yaml/openrc."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from components.openstack.service import CloudFacts
from components.render import render

KEYSTONE_PORT = 5000


def operator_files(stack: str, directory: str, auth_url: str, region: str,
                   password: str) -> dict[str, str]:
    ctx = dict(stack=stack, directory=directory, auth_url=auth_url, region=region,
               password=password, cloud_name=f"openstack-lab-{stack}")
    return {"clouds.yaml": render("operator/clouds.yaml.j2", **ctx),
            "openrc": render("operator/openrc.j2", **ctx)}


def openstack_outputs(stack: str, directory: str, facts: CloudFacts,
                      admin_password: pulumi.Output[str], ca_cert: pulumi.Input[str],
                      external_network: str, amphora: Mapping[str, str] | None,
                      smoke: pulumi.Output[str]) -> dict[str, pulumi.Input]:
    auth_url = facts.public_url(KEYSTONE_PORT, "/v3")
    files = pulumi.Output.secret(admin_password.apply(
        lambda password: operator_files(stack, directory, auth_url, facts.region, password)))
    return {
        "auth_url": auth_url,
        "internal_auth_url": facts.internal_url(KEYSTONE_PORT, "/v3"),
        "region": facts.region,
        "ca_cert": ca_cert,
        "external_network": external_network,
        "external_cidr": facts.external_cidr,
        "amphora": dict(amphora) if amphora else None,
        "admin": pulumi.Output.secret(admin_password.apply(lambda password: {
            "username": "admin", "password": password, "project_name": "admin",
            "user_domain_name": "Default", "project_domain_name": "Default"})),
        "operator_files": files,
        "operator_directory": directory,
        "horizon_url": f"https://{facts.public_host}/",
        "smoke": smoke,
    }
