"""The lab's OpenStack APIs as the admin, from this machine, for the e2e checks.

Why not the `openstack` CLI on the controller: on a TCG controller its start-up alone
takes minutes per call, which no polling loop can live with. Here a token is fetched once
(through the public TLS endpoint, trusting only the lab's CA) and each check is one GET.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any


class CloudApi:
    def __init__(self, openstack: Mapping[str, Any], timeout: float = 600) -> None:
        self._auth_url = openstack["auth_url"].rstrip("/")
        self._region = openstack["region"]
        self._admin = openstack["admin"]
        self._timeout = timeout
        self._tls = ssl.create_default_context(cadata=openstack["ca_cert"])
        self._token = ""
        self._endpoints: dict[str, str] = {}

    def _request(self, method: str, url: str, body: Any = None) -> tuple[Any, Mapping]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self._token:
            req.add_header("X-Auth-Token", self._token)
        with urllib.request.urlopen(req, timeout=self._timeout, context=self._tls) as resp:
            raw = resp.read()
            return (json.loads(raw) if raw else None), resp.headers

    def login(self) -> None:
        admin = self._admin
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": admin["username"], "password": admin["password"],
                "domain": {"name": admin["user_domain_name"]}}}},
            "scope": {"project": {"name": admin["project_name"],
                                  "domain": {"name": admin["project_domain_name"]}}}}}
        self._token = ""
        answer, headers = self._request("POST", f"{self._auth_url}/auth/tokens", body)
        self._token = headers["X-Subject-Token"]
        self._endpoints = {
            entry["type"]: endpoint["url"].rstrip("/")
            for entry in answer["token"]["catalog"]
            for endpoint in entry["endpoints"]
            if endpoint["interface"] == "public" and endpoint["region_id"] == self._region
        }

    def send(self, method: str, service_type: str, path: str, body: Any = None) -> Any:
        if not self._token:
            self.login()
        url = self._endpoints[service_type] + path
        try:
            return self._request(method, url, body)[0]
        except urllib.error.HTTPError as err:
            if err.code != 401:  # a token outlived by a long e2e run: log in again, once
                raise
        self.login()
        return self._request(method, url, body)[0]

    def get(self, service_type: str, path: str) -> Any:
        return self.send("GET", service_type, path)

    def networks(self) -> dict[str, str]:
        """Every network's id by its name."""
        return {n["name"]: n["id"] for n in self.get("network", "/v2.0/networks")["networks"]}

    def create_network(self, name: str) -> str:
        return self.send("POST", "network", "/v2.0/networks",
                         {"network": {"name": name}})["network"]["id"]

    def delete_network(self, network_id: str) -> None:
        self.send("DELETE", "network", f"/v2.0/networks/{network_id}")

    def server_names(self) -> list[str]:
        return [s["name"] for s in self.get("compute", "/servers?all_tenants=1")["servers"]]

    def project_names(self) -> list[str]:
        return [p["name"] for p in self.get("identity", "/projects")["projects"]]

    def load_balancers(self) -> list[dict]:
        return self.get("load-balancer", "/v2/lbaas/loadbalancers")["loadbalancers"]

    def member_status(self, pool_name: str, member_name: str) -> str:
        pools = self.get("load-balancer", f"/v2/lbaas/pools?name={pool_name}")["pools"]
        assert len(pools) == 1, f"pool {pool_name!r}: {pools}"
        members = self.get("load-balancer",
                           f"/v2/lbaas/pools/{pools[0]['id']}/members?name={member_name}")
        assert len(members["members"]) == 1, f"member {member_name!r}: {members}"
        return members["members"][0]["operating_status"]
