#!/usr/bin/env python3
"""Writes a tempest.conf (tempest 47.0.0) for a running Ferrostack cloud.

Usage:
    tempest_conf.py --clouds-yaml DIR/clouds.yaml --log-dir DIR [--output FILE]
                    [--cloud ferrostack-admin] [--auth-url URL] [--admin-password PW]

Admin credentials and the Keystone URL come from the clouds.yaml that `ferrostack up`
writes (cloud `ferrostack-admin`), unless given explicitly.

Option names are those of tempest/config.py in tempest 47.0.0. Only Keystone exists so
far, so every other service is marked unavailable. The identity feature flags that depend
on optional APIs (trusts, access rules, the OS-INHERIT and OS-EC2 extensions) are found by
asking the running cloud (an admin GET on each API: 2xx means present, 404 absent), so
they follow Ferrostack as features land; --no-probe uses the static values below instead.
"""

import argparse
import configparser
import json
import os
import sys
import urllib.error
import urllib.request

import yaml

# Static flags (with --no-probe; "trust" and "access_rules" are otherwise probed).
IDENTITY_FEATURES = {
    "trust": False,
    # /v2.0 does not exist (tempest 47 has no v2 tests left anyway).
    "api_v2": False,
    "api_v2_admin": False,
    "api_v3": True,
    # Application credential access rules (/v3/users/{id}/access_rules).
    "access_rules": True,
    # The [security_compliance] options run.sh writes into ferrostack.toml.
    "security_compliance": True,
    "domain_specific_drivers": False,
    "immutable_user_source": False,
    # Not options of tempest 47 any more (their tests always run; oslo.config ignores
    # unknown keys); written so the intent is visible and older tempests agree.
    "application_credentials": True,
    "project_tags": True,
}

# Identity API extensions (tempest gates the OS-INHERIT and OS-EC2 tests on this list;
# its default "all" would run tests of APIs that may not exist). Probed unless --no-probe.
IDENTITY_EXTENSIONS = ["OS-INHERIT"]

# Must equal [identity.security_compliance] in the ferrostack.toml the cloud runs with.
SECURITY_COMPLIANCE = {
    "user_lockout_failure_attempts": 2,
    "user_lockout_duration": 5,
    "user_unique_last_password_count": 2,
    "user_minimum_password_age": 0,
}

# Probes: feature -> path under /v3 ({uid} is the admin's user id). A 2xx answer means
# the API exists.
FEATURE_PROBES = {
    "trust": "OS-TRUST/trusts",
    "access_rules": "users/{uid}/access_rules",
}
EXTENSION_PROBES = {
    "OS-INHERIT": "OS-INHERIT/domains/default/users/{uid}/roles/inherited_to_projects",
    "OS-EC2": "users/{uid}/credentials/OS-EC2",
    "OS-TRUST": "OS-TRUST/trusts",
    "OS-EP-FILTER": "OS-EP-FILTER/endpoint_groups",
    "OS-OAUTH1": "OS-OAUTH1/consumers",
}


def _request(method, url, token=None, body=None):
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("X-Auth-Token", token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


# Compute features tempest tests that Ferrostack's compute does not have yet.
COMPUTE_NOT_YET = ["console_output", "shelve_migrate", "cold_migration", "live_migration",
                   "interface_attach", "attach_encrypted_volume", "config_drive", "metadata_service",
                   "resize", "vnc_console", "spice_console", "serial_console", "personality"]
# The scheduler's filters with `ferrostack up`'s default [scheduler] settings.
SCHEDULER_FILTERS = ["AvailabilityZoneFilter", "ComputeFilter", "ComputeCapabilitiesFilter", "ImagePropertiesFilter",
                     "ServerGroupAntiAffinityFilter", "ServerGroupAffinityFilter", "SameHostFilter", "DifferentHostFilter"]

# Catalog service type -> tempest's [service_available] name.
CATALOG_SERVICES = {"image": "glance", "compute": "nova", "network": "neutron", "block-storage": "cinder",
                    "volumev3": "cinder", "object-store": "swift", "placement": "placement", "orchestration": "heat"}


def probe(auth_url, auth):
    """{feature: bool}, [extensions], {catalog service types} and compute's newest
    microversion (None without compute) found by asking the cloud."""
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth.get("username", "admin"), "password": auth["password"],
        "domain": {"name": auth.get("user_domain_name", "Default")}}}},
        "scope": {"project": {"name": auth.get("project_name", "admin"),
                              "domain": {"name": auth.get("project_domain_name", "Default")}}}}}
    status, headers, data = _request("POST", auth_url + "/v3/auth/tokens", body=body)
    if status != 201:
        raise SystemExit(f"tempest_conf.py: admin authentication failed ({status}): {data[:300]!r}")
    token = {k.lower(): v for k, v in headers.items()}["x-subject-token"]
    uid = json.loads(data)["token"]["user"]["id"]
    catalog_types = {entry["type"] for entry in json.loads(data)["token"].get("catalog", [])}

    def present(path):
        code = _request("GET", f"{auth_url}/v3/{path.format(uid=uid)}", token=token)[0]
        if code not in (200, 404):
            print(f"tempest_conf.py: probe GET /v3/{path} answered {code}; treating as absent", file=sys.stderr)
        return 200 <= code < 300

    features = {name: present(path) for name, path in FEATURE_PROBES.items()}
    extensions = [name for name, path in EXTENSION_PROBES.items() if present(path)]
    compute_max = None
    for entry in json.loads(data)["token"].get("catalog", []):
        public = [e["url"] for e in entry.get("endpoints", []) if e.get("interface") == "public"]
        if entry["type"] == "compute" and public:
            code, _, doc = _request("GET", public[0], token=token)
            if code == 200:
                compute_max = json.loads(doc)["version"]["version"]
    return features, extensions, catalog_types, compute_max


SERVICES = ["nova", "neutron", "glance", "cinder", "swift", "horizon",
            "placement", "heat", "octavia", "designate", "barbican", "manila",
            "ironic", "aodh", "gnocchi"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clouds-yaml", help="clouds.yaml written by `ferrostack up`")
    p.add_argument("--cloud", default="ferrostack-admin")
    p.add_argument("--auth-url", help="Keystone URL without /v3 (default: from clouds.yaml)")
    p.add_argument("--admin-password", help="default: from clouds.yaml")
    p.add_argument("--region", default="RegionOne")
    p.add_argument("--image-url", help="[image] http_image and http_qcow2_image: a URL the cloud can fetch")
    p.add_argument("--image-ref", help="[compute] image_ref: the image servers boot from")
    p.add_argument("--image-ref-alt", help="[compute] image_ref_alt: a second bootable image")
    p.add_argument("--log-dir", required=True, help="[DEFAULT] log_dir (created)")
    p.add_argument("--output", "-o", help="file to write (default: stdout)")
    p.add_argument("--no-probe", action="store_true",
                   help="do not ask the cloud which optional identity APIs exist; use the static flags")
    args = p.parse_args(argv)

    auth = {}
    if args.clouds_yaml:
        with open(args.clouds_yaml) as f:
            clouds = yaml.safe_load(f)["clouds"]
        if args.cloud not in clouds:
            p.error(f"cloud {args.cloud!r} not in {args.clouds_yaml}")
        auth = clouds[args.cloud]["auth"]
    auth_url = (args.auth_url or auth.get("auth_url") or "").rstrip("/")
    password = args.admin_password or auth.get("password")
    if not auth_url or not password:
        p.error("need --clouds-yaml, or both --auth-url and --admin-password")
    if auth_url.endswith("/v3"):
        auth_url = auth_url[: -len("/v3")]

    features = dict(IDENTITY_FEATURES)
    extensions = list(IDENTITY_EXTENSIONS)
    catalog_types = set()
    compute_max = None
    if not args.no_probe:
        found, extensions, catalog_types, compute_max = probe(auth_url, {**auth, "password": password})
        features.update(found)
        print("tempest_conf.py: identity features found: "
              + ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in found.items())
              + "; extensions: " + (",".join(extensions) or "none"), file=sys.stderr)

    log_dir = os.path.abspath(args.log_dir)
    os.makedirs(log_dir, exist_ok=True)

    c = configparser.ConfigParser(interpolation=None)
    c.optionxform = str  # keep option names as written
    c["DEFAULT"] = {
        "log_dir": log_dir,
        "log_file": "tempest.log",
        # DEBUG makes tempest's rest client log request and response bodies.
        "debug": "true",
        "use_stderr": "false",
    }
    c["auth"] = {
        "use_dynamic_credentials": "true",
        "admin_username": auth.get("username", "admin"),
        "admin_password": password,
        "admin_project_name": auth.get("project_name", "admin"),
        "admin_domain_name": auth.get("user_domain_name", "Default"),
        "admin_user_domain_name": auth.get("user_domain_name", "Default"),
        "admin_project_domain_name": auth.get("project_domain_name", "Default"),
        "default_credentials_domain_name": "Default",
        "create_isolated_networks": "false",
    }
    c["identity"] = {
        "uri_v3": auth_url + "/v3",
        "auth_version": "v3",
        "region": args.region,
        "v3_endpoint_type": "public",
        "catalog_type": "identity",
        "admin_role": "admin",
        "default_domain_id": "default",
        **{k: str(v) for k, v in SECURITY_COMPLIANCE.items()},
    }
    c["identity-feature-enabled"] = {
        **{k: str(v).lower() for k, v in features.items()},
        # An empty list would mean "none"; keep at least one entry tempest ignores.
        "api_extensions": ",".join(extensions) or "none",
    }
    # tempest 47 has no service_available.keystone option (identity is always assumed;
    # oslo.config ignores the key): written so the file says what is there.
    c["service_available"] = {s: "false" for s in SERVICES}
    c["service_available"]["keystone"] = "true"
    for service_type in catalog_types:
        if service_type in CATALOG_SERVICES:
            c["service_available"][CATALOG_SERVICES[service_type]] = "true"
    c["image"] = {"region": args.region, "catalog_type": "image", "endpoint_type": "public"}
    if args.image_url:
        c["image"]["http_image"] = args.image_url
        c["image"]["http_qcow2_image"] = args.image_url
    c["image-feature-enabled"] = {
        "api_v2": "true",
        "api_v1": "false",
        # Interoperable import: the tests run the methods /v2/info/import lists.
        "import_image": "true",
        # Tempest's list tests upload random bytes as qcow2, ami, vhd...; with
        # enforcement on (the default) it skips them for clouds that inspect uploads.
        # Ferrostack stores what it is given, so the tests run.
        "image_format_enforcement": "false",
    }
    # See /work/shared/reference/README.md: settings that otherwise skip interop tests
    # silently once those services exist.
    # devstack points tempest at its m1.nano and m1.micro, which bootstrap creates too.
    # The newest microversion the cloud serves: tempest skips tests of newer ones.
    c["compute"] = {"region": args.region, "min_microversion": "2.1", "max_microversion": compute_max or "latest",
                    "flavor_ref": "42", "flavor_ref_alt": "84"}
    if args.image_ref:
        c["compute"]["image_ref"] = args.image_ref
        c["compute"]["image_ref_alt"] = args.image_ref_alt or args.image_ref
    # What the compute service does today; the actions still answering 501 are off so
    # tempest skips the tests built on them (they are listed in the note).
    c["compute-feature-enabled"] = {
        **{f: "false" for f in COMPUTE_NOT_YET},
        "pause": "true",
        "suspend": "true",
        "enable_instance_password": "true",
        "change_password": "true",
        "scheduler_enabled_filters": ",".join(SCHEDULER_FILTERS),
    }
    c["network-feature-enabled"] = {"ipv6_subnet_attributes": "true"}
    c["volume"] = {"catalog_type": "block-storage"}
    c["validation"] = {"run_validation": "false"}
    c["enforce_scope"] = {"keystone": "false"}

    out = open(args.output, "w") if args.output else sys.stdout
    try:
        out.write("# Generated by compat/tempest_conf.py for a running Ferrostack cloud.\n")
        c.write(out)
    finally:
        if args.output:
            out.close()
            os.chmod(args.output, 0o600)


if __name__ == "__main__":
    main()
