#!/usr/bin/env python3
"""Small stdlib-only client used by identity.sh to set a benchmark up.

Talks only to the identity URL it is given (127.0.0.1 in identity.sh). Subcommands:

  token URL USER PASSWORD [--project NAME]   print a token (X-Subject-Token); unscoped
                                            without --project
  check URL METHOD BODYFILE|- [HEADER=VALUE...]   one request, print the status
  revoke URL ADMIN_TOKEN UNSCOPED_TOKEN N [--threads T] [--deadline SECONDS]
                                            N times: issue a token from UNSCOPED_TOKEN
                                            (token method) and DELETE it; prints counts;
                                            stops at the deadline (900 s) whatever is left
  count-events DB TABLE                      rows in TABLE of a SQLite file (read-only)

URL is the identity base, e.g. http://127.0.0.1:5000 or http://127.0.0.1:8080/identity.
"""
import http.client
import json
import sqlite3
import sys
import threading
import time
import urllib.parse


class Conn:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        assert u.hostname in ("127.0.0.1", "localhost", "::1"), "loopback only"
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")
        self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def req(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        h.update(headers or {})
        data = json.dumps(body) if isinstance(body, (dict, list)) else body
        for attempt in range(2):
            try:
                self.c.request(method, self.prefix + path, body=data, headers=h)
                r = self.c.getresponse()
                payload = r.read()
                return r.status, r.headers, payload
            except (http.client.HTTPException, OSError):
                if attempt:
                    raise
                self.c.close()
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=30)


def password_body(user, password, project=None):
    auth = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}}}
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"name": "Default"}}}
    return {"auth": auth}


def token_body(token, project=None):
    auth = {"identity": {"methods": ["token"], "token": {"id": token}}}
    if project:
        auth["scope"] = {"project": {"name": project, "domain": {"name": "Default"}}}
    return {"auth": auth}


def cmd_token(args):
    url, user, password = args[:3]
    project = args[args.index("--project") + 1] if "--project" in args else None
    status, headers, payload = Conn(url).req("POST", "/v3/auth/tokens?nocatalog",
                                             password_body(user, password, project))
    if status != 201:
        sys.exit(f"token: {status} {payload[:300]!r}")
    print(headers["X-Subject-Token"])


def cmd_check(args):
    url, method, bodyfile = args[:3]
    headers = dict(a.split("=", 1) for a in args[3:])
    body = None
    if bodyfile != "-":
        with open(bodyfile) as f:
            body = f.read()
    path = headers.pop("PATH", "/v3/auth/tokens")
    status, _, payload = Conn(url).req(method, path, body, headers)
    print(status)
    if not 200 <= status < 300:
        print(payload[:500].decode(errors="replace"), file=sys.stderr)


def cmd_revoke(args):
    url, admin, unscoped, n = args[0], args[1], args[2], int(args[3])
    threads = int(args[args.index("--threads") + 1]) if "--threads" in args else 4
    limit = float(args[args.index("--deadline") + 1]) if "--deadline" in args else 900
    done = {"issued": 0, "revoked": 0, "bad": 0, "statuses": []}
    lock = threading.Lock()
    todo = iter(range(n))
    deadline = time.monotonic() + limit  # bounded in time

    def work():
        c = Conn(url)
        while time.monotonic() < deadline:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                s, h, _ = c.req("POST", "/v3/auth/tokens?nocatalog", token_body(unscoped))
                if s != 201:
                    with lock:
                        done["bad"] += 1
                        done["statuses"].append(s)
                    continue
                tok = h["X-Subject-Token"]
                with lock:
                    done["issued"] += 1
                s2, _, _ = c.req("DELETE", "/v3/auth/tokens",
                                 headers={"X-Auth-Token": admin, "X-Subject-Token": tok})
            except (http.client.HTTPException, OSError) as e:  # a timeout (30 s) included
                with lock:
                    done["bad"] += 1
                    done["statuses"].append(type(e).__name__)
                c = Conn(url)
                continue
            with lock:
                if s2 == 204:
                    done["revoked"] += 1
                else:
                    done["bad"] += 1
                    done["statuses"].append(s2)

    t0 = time.monotonic()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"issued={done['issued']} revoked={done['revoked']} bad={done['bad']} "
          f"seconds={time.monotonic() - t0:.1f}"
          + (f" failures={'/'.join(map(str, sorted(set(map(str, done['statuses'])))))}"
             if done["statuses"] else ""))


def cmd_count_events(args):
    db, table = args
    assert table.isidentifier()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    print(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


if __name__ == "__main__":
    cmds = {"token": cmd_token, "check": cmd_check, "revoke": cmd_revoke,
            "count-events": cmd_count_events}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])
