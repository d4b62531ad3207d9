#!/usr/bin/env python3
"""Measures how an `orderhub serve` answers hostile, unauthenticated traffic.

It builds nothing and changes nothing: start a hub on loopback first (see
BENCHMARKS.md, "Trust at the edges"), then run

    scripts/edge-audit.py --url http://127.0.0.1:18080 --pid PID

It reports:
  - the hub's RSS before and after N connections that send only the headers
    of a 5 MiB webhook delivery and then stall;
  - the hub's RSS and new files in its temp folder after a large multipart
    sign-in;
  - the status codes of N wrong sign-ins and N wrong bearer tokens.

Only loopback URLs are accepted.
"""
import argparse, os, socket, time, urllib.parse, urllib.request, urllib.error, json, sys


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def header_only(host, port, n, size):
    socks = []
    for i in range(n):
        s = socket.create_connection((host, port))
        s.sendall((f"POST /webhooks/shopify/acme-shopify HTTP/1.1\r\nHost: {host}\r\n"
                   f"Content-Type: application/json\r\nContent-Length: {size}\r\n"
                   f"X-Shopify-Topic: orders/create\r\nX-Shopify-Hmac-Sha256: AAAA\r\n\r\n{{").encode())
        socks.append(s)
    return socks


def multipart_login(host, port, mib):
    boundary = "orderhubauditboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nwrong\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + mib * (1 << 20) + len(tail)
    s = socket.create_connection((host, port))
    s.sendall((f"POST /ui/login HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
               f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
               f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode() + head)
    chunk = b"x" * (1 << 20)
    try:
        for _ in range(mib):
            s.sendall(chunk)
        s.sendall(tail)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.settimeout(30)
    try:
        status = s.recv(64).split(b" ")[1].decode()
    except Exception as e:  # the hub closed early
        status = f"closed ({e.__class__.__name__})"
    s.close()
    return status


def statuses(fn, n):
    out = {}
    for i in range(n):
        try:
            code = fn(i)
        except urllib.error.HTTPError as e:
            code = e.code
        out[code] = out.get(code, 0) + 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--tmpdir", default="/tmp")
    ap.add_argument("--conns", type=int, default=60)
    ap.add_argument("--multipart-mib", type=int, default=40)
    ap.add_argument("--attempts", type=int, default=200)
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("only loopback URLs")
    host, port = u.hostname, u.port

    before = rss_mib(a.pid)
    socks = header_only(host, port, a.conns, 5 << 20)
    time.sleep(2)
    after = rss_mib(a.pid)
    for s in socks:
        s.close()
    print(f"header-only 5 MiB deliveries x{a.conns}: RSS {before:.0f} -> {after:.0f} MiB (+{after - before:.0f})")

    files_before = set(os.listdir(a.tmpdir))
    before = rss_mib(a.pid)
    st = multipart_login(host, port, a.multipart_mib)
    time.sleep(1)
    new = sorted(set(os.listdir(a.tmpdir)) - files_before)
    size = sum(os.path.getsize(os.path.join(a.tmpdir, f)) for f in new if os.path.isfile(os.path.join(a.tmpdir, f)))
    print(f"multipart sign-in of {a.multipart_mib} MiB: status {st}, RSS +{rss_mib(a.pid) - before:.0f} MiB, "
          f"{len(new)} new temp files ({size / (1 << 20):.0f} MiB)")

    def login(i):
        req = urllib.request.Request(a.url + "/ui/login", data=f"token=wrong-{i}".encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": a.url})
        return urllib.request.urlopen(req, timeout=10).status

    def bearer(i):
        req = urllib.request.Request(a.url + "/api/v1/orders", headers={"Authorization": f"Bearer wrong-{i}"})
        return urllib.request.urlopen(req, timeout=10).status

    t0 = time.monotonic()
    s1 = statuses(login, a.attempts)
    t1 = time.monotonic()
    s2 = statuses(bearer, a.attempts)
    t2 = time.monotonic()
    print(f"{a.attempts} wrong sign-ins in {t1 - t0:.1f} s: {s1}")
    print(f"{a.attempts} wrong bearer tokens in {t2 - t1:.1f} s: {s2}")


if __name__ == "__main__":
    main()
