#!/usr/bin/python3
"""gen_signed_seeds.py: write the seed corpora of the fuzz targets whose
inputs carry signatures: TUF metadata and minisign.

Run from the repository root: python3 tests/fuzz/gen_signed_seeds.py
Writes tests/fuzz/corpus/{tuf_client,tuf_meta,canonical,minisign}/ (replayed
by make check) and tests/fuzz/pending/<target>/ (reproducers of known crashes,
replayed only once they are fixed: move them into the corpus then).

Independent of the code under test: OLPC canonical JSON written out here,
BLAKE2b from hashlib, Ed25519, ECDSA P-256 and RSA-PSS from
python3-cryptography, with the RFC 8032 section 7.1 test keys 1 and 2 (the
harnesses trust key 1) and a P-256 and an RSA test key
(tests/fuzz/fuzz_tuf.h holds all four public keys).  Ed25519 signatures
are deterministic; ECDSA and RSA-PSS ones are not, so only the seeds signed
with keys 3 and 4 change when this runs again.

A tuf_meta input is a root (empty: the harness's) and metadata, cut at the
line SEP.  A tuf_client input is slices cut there (see tuf_client_fuzz.c):
  0 pinned root.json (empty: the harness's own root, key 1, version 1)
  1-3 trusted timestamp.json, snapshot.json, targets.json in the state dir
  4, 5 the first and second root the client asks for (N.root.json)
  6 timestamp.json, 7 any snapshot, 8 any targets, 9 every target file
An absent or empty served slice is a 404.
"""
import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

SEP = b"\n@@kit-fuzz@@\n"
EXPIRES = "2099-12-31T23:59:59Z"
K1 = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
K2 = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")


def canonical(obj):
    """OLPC canonical JSON, as securesystemslib writes it: sorted keys, no
    whitespace, strings with only '"' and '\\' escaped (a PEM's newlines
    stay raw), integers, true, false, null."""
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if obj is None:
        return b"null"
    if isinstance(obj, int):
        return str(obj).encode()
    if isinstance(obj, str):
        return b'"' + obj.replace("\\", "\\\\").replace('"', '\\"').encode() + b'"'
    if isinstance(obj, list):
        return b"[" + b",".join(canonical(v) for v in obj) + b"]"
    if isinstance(obj, dict):
        return b"{" + b",".join(canonical(k) + b":" + canonical(obj[k])
                                for k in sorted(obj)) + b"}"
    raise TypeError(obj)


class Key:
    def __init__(self, seed):
        self.priv = Ed25519PrivateKey.from_private_bytes(seed)
        self.pub = self.priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        self.obj = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": self.pub}}
        self.id = hashlib.sha256(canonical(self.obj)).hexdigest()

    def raw_sign(self, data):
        return self.priv.sign(data)

    def sign(self, signed, keyid=None):
        return {"keyid": keyid or self.id, "sig": self.raw_sign(canonical(signed)).hex()}


class PemKey(Key):
    """ECDSA P-256 or RSA-PSS: the public key as a PEM in keyval (as
    securesystemslib writes them).  Their signatures are randomised, so
    seeds signed with them differ from run to run."""
    def __init__(self, priv, keytype, scheme):
        self.priv = priv
        self.scheme = scheme
        self.pub = priv.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
        self.obj = {"keytype": keytype, "scheme": scheme, "keyval": {"public": self.pub}}
        self.id = hashlib.sha256(canonical(self.obj)).hexdigest()

    def raw_sign(self, data):
        if self.scheme == "rsassa-pss-sha256":
            return self.priv.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                    salt_length=32), hashes.SHA256())
        return self.priv.sign(data, ec.ECDSA(hashes.SHA256()))


# Test keys only: a fixed P-256 scalar and an RSA key made for these seeds
# (tests/fuzz/fuzz_tuf.h holds their public halves).
P256_SCALAR = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296 % (2**255)
RSA_TEST_KEY = b"""-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDQIri1W4bsi/sR
+68NI2Q1Zf5Wzr3XuYqqMJ9onaU2LLFest856LUhfaW6iCJl7rM6DFmec4sFmqwl
ZSXg8KlHALUDdcQ7cNuj6t2RFxq5DZRr035dTjkc4aB/tnK9pJgertgzZr+mb1u+
ccoCexD9W2OkCaWc+dtvCneLir4ttpmXuZTETGxtlHfabJNE152eXjjaW1MYnaoZ
487BpgXsBzDODxo1Ild9dx186GJv1XyMRg7myALSWPsK533LO4nvyxBiwQzyFlZz
cfL9stAe+m5Fj9kdGN+HijqDf1nme6Wt8hNXTdBWCogtq5qnLKycL4XLoiXN8EyP
zbhDvVYdAgMBAAECggEAD0ugl6dQbN1unSg0pDpdGLV+8ZcuNAZtGSELSJoJNEgo
MrriFQnebHB6N5EzN0V0Q12j+l/TBXLpQrLtC9ueZ7A2x+MlgW7DnVywXVi9fIBH
JNNn3miAtvgic4WPZ2i19c9IkSJ0ZBab6eIdLn3ScPlV2GNjGdGcyCC/SfBvaxbL
E8HfNZ4gNHTagLw+mYwixM5Vm7oiPn8okHXiR4brjBTRsgMlh5aX/8Zg93UVYWb5
3AydidXVhp+MlBJXMaaDODWs3oNbi7yGbrWJoQcASo4/z9P5i3IMv3ufaAFt6QYy
aRWlchtbxP0CHeIAPp5A5Csa2jFE/JwD+iO+RBY+mwKBgQDvGXXceGAbKA4wQ5g4
24zRydILNHFSQmE5PV+dkQCajpbq8K467AuJBwE+JFtemcbiM6140qd0WkiR/TM6
JLJc0wiNe+DKKImwxU2spPtsrLY+DzAxwfuNtprpn3gSmJH3acH9TYIyNw7uh5ce
hoBPKNiXWzt6FJqaxiRjJSbQKwKBgQDe2PdZCScAGb+0x/dj/73k16tZWLZZAQoS
7CxOdMnKbCtexsmQ9YGZA6LK7ztVlFJX0DHOx3e8qZCCqJvliE6AMsxAiZ0UXqb+
b3u0WtOmTXa1rcK9eOuTGMVZAfaKFhqc3G+8nEN8uMCX5D8gJYl6Q6tSVex6LEEV
b1l0mIqG1wKBgGx17zoovOf0vqL0NrwsE/Aijg6ZJoK7K+FMTvBqE40I+7rtnQuL
ghwRumWXFn+OYGLCMIHrhRzJy7u10SQh+2sSLAIKXMk3pGY0ymxzlr4QhscWGrWn
mlYJrLInrc85uJU0O1SNcW8X/MUFau7k8pV2IPJf51YUvKFTGrSC6N1rAoGBAJ8n
CzgOXkknGo/tBFTpr+AA20I7JjfYky5Cd74skHU93ZeZlxktDTqPqzMNui17eXd3
nCrWsEAQRcHa00QRnibWoKMy5PlIRDGQwyNifqfVyQMlruAMvQnX9hGEYmPqN2Vx
1Wc5nsUzWXDhNOgrhszICVILRZFXi7/YP2YTD1QPAoGBALzDTrGw4nMzzgiuojjf
l9aJo2ZBX3ucJbJv/CKriSqkxOwTGiV2+Eyb+Lm85x1KQE07LxHAGlYBD9Wyo532
Omivm2x6wErGAVPI2SH+Q62HshxrY8BdTMpx3QzFyfm+3K9DmjUZG0ZjoIIOdIfb
Mkv7T6w+h8M6b6JIVckQ7Q3z
-----END PRIVATE KEY-----
"""


KEY1, KEY2 = Key(K1), Key(K2)
KEY3 = PemKey(ec.derive_private_key(P256_SCALAR, ec.SECP256R1()), "ecdsa", "ecdsa-sha2-nistp256")
KEY4 = PemKey(serialization.load_pem_private_key(RSA_TEST_KEY, None), "rsa", "rsassa-pss-sha256")


def meta(signed, *signers):
    sigs = []
    for s in signers:
        sigs.append(s.sign(signed) if isinstance(s, Key) else s[0].sign(signed, s[1]))
    return (json.dumps({"signed": signed, "signatures": sigs}, indent=1,
                       sort_keys=True) + "\n").encode()


def root_signed(version, keys=None, roles=None, consistent=True):
    keys = keys or {KEY1.id: KEY1.obj}
    r = {n: {"keyids": [KEY1.id], "threshold": 1}
         for n in ("root", "timestamp", "snapshot", "targets")}
    r.update(roles or {})
    return {"_type": "root", "spec_version": "1.0.31", "version": version,
            "expires": EXPIRES, "consistent_snapshot": consistent,
            "keys": keys, "roles": r}


def target_file(text):
    return text.encode()


def targets_signed(version, files, custom=True, delegations=False, sha512=False, upper=False):
    t = {}
    for name, data in files.items():
        e = {"length": len(data), "hashes": {"sha256": hashlib.sha256(data).hexdigest()}}
        if sha512:
            e["hashes"]["sha512"] = hashlib.sha512(data).hexdigest()
        if upper:
            e["hashes"]["sha256"] = e["hashes"]["sha256"].upper()
        if custom:
            camp, off = name.split("/", 1) if "/" in name else ("c", name)
            e["custom"] = {"campaign": camp, "office": off.split(".")[0],
                           "version": version, "content": "0" * 64,
                           "window": {"start": "2016-12-15T00:00:00+01:00",
                                      "end": "2016-12-18T23:59:59+01:00"}}
        t[name] = e
    s = {"_type": "targets", "spec_version": "1.0.31", "version": version,
         "expires": EXPIRES, "targets": t}
    if delegations:
        s["delegations"] = {"keys": {}, "roles": []}
    return s


def listing_signed(role, version, listed, listed_version, listed_bytes=None):
    """Snapshot or timestamp metadata: meta {listed: {version, length?, hashes?}}."""
    m = {"version": listed_version}
    if listed_bytes is not None:
        m["length"] = len(listed_bytes)
        m["hashes"] = {"sha256": hashlib.sha256(listed_bytes).hexdigest()}
    return {"_type": role, "spec_version": "1.0.31", "version": version,
            "expires": EXPIRES, "meta": {listed: m}}


def snapshot_signed(version, targets_version, targets_bytes=None):
    return listing_signed("snapshot", version, "targets.json", targets_version, targets_bytes)


def timestamp_signed(version, snapshot_version, snapshot_bytes=None):
    return listing_signed("timestamp", version, "snapshot.json", snapshot_version, snapshot_bytes)


def repo(version=1, files=None, signer=KEY1, ts_signer=None, hashes=True,
         delegations=False, **kw):
    """Served timestamp, snapshot, targets of one consistent repository."""
    files = files if files is not None else {
        "together-2016/global.tar.zst": target_file("kit version one\n")}
    tg = meta(targets_signed(version, files, delegations=delegations, **kw), signer)
    sn = meta(snapshot_signed(version, version, tg if hashes else None), signer)
    ts = meta(timestamp_signed(version, version, sn if hashes else None),
              *(ts_signer or [signer]))
    return ts, sn, tg, files


def seed(slots):
    """slots: dict index -> bytes; absent ones stay absent."""
    n = max(slots) + 1
    return SEP.join(slots.get(i, b"") for i in range(n))


def main():
    seeds, pending = {}, {}

    # A plain update: the pinned root, one target, fetched.
    ts, sn, tg, files = repo()
    first = next(iter(files.values()))
    seeds["plain"] = seed({6: ts, 7: sn, 8: tg, 9: first})

    # No hashes or lengths in the meta entries (they are optional).
    ts2, sn2, tg2, _ = repo(hashes=False)
    seeds["no-hashes"] = seed({6: ts2, 7: sn2, 8: tg2, 9: first})

    # Several targets, one with an unsafe name, delegations present.
    many = {"together-2016/global.tar.zst": target_file("kit version one\n"),
            "together-2016/be.tar.zst": target_file("belgium\n"),
            "../escape.tar.zst": target_file("x\n"),
            "flat.tar.zst": target_file("flat\n")}
    ts3, sn3, tg3, _ = repo(files=many, delegations=True)
    seeds["many-targets"] = seed({6: ts3, 7: sn3, 8: tg3, 9: first})

    # SHA-512 beside SHA-256, and an upper-case hash (refused).
    ts7, sn7, tg7, _ = repo(sha512=True)
    seeds["sha512"] = seed({6: ts7, 7: sn7, 8: tg7, 9: first})
    ts8, sn8, tg8, _ = repo(upper=True)
    seeds["upper-case-hash"] = seed({6: ts8, 7: sn8, 8: tg8, 9: first})

    # Root rotation: 2.root.json moves timestamp and snapshot to key 2,
    # signed by key 1 (the old root) and key 1 (its own root key).
    r2 = root_signed(2, keys={KEY1.id: KEY1.obj, KEY2.id: KEY2.obj},
                     roles={"timestamp": {"keyids": [KEY2.id], "threshold": 1},
                            "snapshot": {"keyids": [KEY2.id], "threshold": 1}})
    tg4 = meta(targets_signed(1, files), KEY1)
    sn4 = meta(snapshot_signed(1, 1, tg4), KEY2)
    ts4 = meta(timestamp_signed(1, 1, sn4), KEY2)
    seeds["rotation"] = seed({4: meta(r2, KEY1), 6: ts4, 7: sn4, 8: tg4, 9: first})

    # Two rotations, the second to root key 2 with threshold 2 for targets.
    r3 = root_signed(3, keys={KEY1.id: KEY1.obj, KEY2.id: KEY2.obj},
                     roles={"root": {"keyids": [KEY2.id], "threshold": 1},
                            "targets": {"keyids": [KEY1.id, KEY2.id], "threshold": 2}})
    tg5 = meta(targets_signed(2, files), KEY1, KEY2)
    sn5 = meta(snapshot_signed(2, 2, tg5), KEY1)
    ts5 = meta(timestamp_signed(2, 2, sn5), KEY1)
    seeds["rotation-threshold"] = seed({4: meta(r2, KEY1), 5: meta(r3, KEY1, KEY2),
                                        6: ts5, 7: sn5, 8: tg5, 9: first})

    # Rotation to ECDSA P-256 and RSA-PSS keys (PEM in keyval): timestamp
    # by key 3, snapshot by key 4, targets by both (threshold 2).
    rp = root_signed(2, keys={KEY1.id: KEY1.obj, KEY3.id: KEY3.obj, KEY4.id: KEY4.obj},
                     roles={"timestamp": {"keyids": [KEY3.id], "threshold": 1},
                            "snapshot": {"keyids": [KEY4.id], "threshold": 1},
                            "targets": {"keyids": [KEY3.id, KEY4.id], "threshold": 2}})
    tgp = meta(targets_signed(1, files), KEY3, KEY4)
    snp = meta(snapshot_signed(1, 1, tgp), KEY4)
    tsp = meta(timestamp_signed(1, 1, snp), KEY3)
    seeds["rotation-ecdsa-rsa"] = seed({4: meta(rp, KEY1), 6: tsp, 7: snp, 8: tgp, 9: first})

    # A repository without consistent snapshots.
    r2n = root_signed(2, consistent=False)
    seeds["not-consistent"] = seed({4: meta(r2n, KEY1), 6: ts, 7: sn, 8: tg, 9: first})

    # Trusted state from an earlier update, a newer repository served.
    ts6, sn6, tg6, _ = repo(version=3)
    seeds["update-from-state"] = seed({1: ts, 2: sn, 3: tg, 6: ts6, 7: sn6, 8: tg6, 9: first})
    # ... and the same timestamp again (nothing changed), and a rollback.
    seeds["unchanged"] = seed({1: ts6, 2: sn6, 3: tg6, 6: ts6, 7: sn6, 8: tg6, 9: first})
    seeds["rollback"] = seed({1: ts6, 2: sn6, 3: tg6, 6: ts, 7: sn, 8: tg})
    seeds["not-modified"] = seed({1: ts6, 2: sn6, 3: tg6, 6: b"!304", 9: first})

    # A pinned root given in the input (slice 0), and a served root signed
    # by the wrong key.
    seeds["pinned-root"] = seed({0: meta(root_signed(1), KEY1), 6: ts, 7: sn, 8: tg, 9: first})
    seeds["root-wrong-key"] = seed({4: meta(r2, KEY2), 6: ts, 7: sn, 8: tg})
    # A transport error and a target file that is too long.
    seeds["network-error"] = seed({6: b"!err"})
    seeds["target-too-long"] = seed({6: ts, 7: sn, 8: tg, 9: first + b"more"})

    # Issue 14: one key listed twice, the second id in upper case (and its
    # public key in upper-case hex), meets a threshold of 2 for timestamp
    # with one real key.  The harness aborts when a threshold is met by
    # fewer distinct real keys.
    up = KEY1.id.upper()
    kdup = dict(KEY1.obj, keyval={"public": KEY1.pub.upper()})
    rdup = root_signed(1, keys={KEY1.id: KEY1.obj, up: kdup},
                       roles={"timestamp": {"keyids": [KEY1.id, up], "threshold": 2}})
    tsd = meta(timestamp_signed(1, 1, sn), KEY1, (KEY1, up))
    seeds["key-twice-upper-case"] = seed({0: meta(rdup, KEY1), 6: tsd, 7: sn, 8: tg, 9: first})
    # Issue 14: a captive portal's HTML page served as 2.root.json.
    html = b"<!DOCTYPE html>\n<html><head><title>Log in</title></head>" \
           b"<body><form action=\"/login\">Wi-Fi login</form></body></html>\n"
    seeds["html-as-root"] = seed({4: html, 6: ts, 7: sn, 8: tg})
    # Issue 14: a pinned root of version 2^63-1 (the next is asked for),
    # and a served root that claims it.
    big = 2**63 - 1
    seeds["pinned-root-max-version"] = seed({0: meta(root_signed(big), KEY1), 6: ts, 7: sn, 8: tg})
    seeds["served-root-max-version"] = seed({4: meta(root_signed(big), KEY1), 6: ts, 7: sn, 8: tg})

    write("tuf_client", seeds, pending)

    # tuf_meta: root and metadata, signed or not, each role.
    r1 = meta(root_signed(1), KEY1)
    write("tuf_meta", {
        "timestamp": seed({1: ts}), "snapshot": seed({1: sn}), "targets": seed({1: tg}),
        "targets-many": seed({1: tg3}), "root": seed({1: r1}),
        "root-rotated": seed({0: meta(r2, KEY1), 1: ts4}),
        "root-threshold-2": seed({0: meta(r3, KEY1, KEY2), 1: tg5}),
        "root-self": seed({0: meta(r3, KEY1, KEY2), 1: meta(r3, KEY1, KEY2)}),
        "wrong-key": seed({1: meta(timestamp_signed(1, 1), KEY2)}),
        "unsigned": seed({1: meta(timestamp_signed(1, 1))}),
        "max-version": seed({1: meta(root_signed(big), KEY1)}),
        "key-twice-upper-case": seed({0: meta(rdup, KEY1), 1: tsd}),
        "ecdsa-rsa": seed({0: meta(rp, KEY1), 1: tgp}),
        "ecdsa-timestamp": seed({0: meta(rp, KEY1), 1: tsp}),
        "encrypted-pem-as-public-key": encrypted_pem_key(),
    }, {})

    # canonical: JSON of every kind.
    write("canonical", {
        "metadata": tg3,
        "escapes": "{\"b\":\"quote \\\" backslash \\\\ slash \\/ tab \\t\",\"a\":[1,-2,0,true,false,null]}".encode(),
        "unicode": json.dumps({"z\u00e9": "\u0151\u4e2d\U0001f600", "\u00e9": {}, "e": []},
                              ensure_ascii=False).encode(),
        "numbers": b"[9223372036854775807,-9223372036854775808,1.5,1e3,-0]",
        "nested": b"[[[[[[[[[[[[[[[[[[[[{\"k\":[[[[[[[[[[]]]]]]]]]]}]]]]]]]]]]]]]]]]]]]]",
        "string": b"\"a \\u0000 b\"",
    }, {})

    # minisign: a signature (4 lines) and the file it signs, by key 1
    # unless said otherwise.
    data = b"kit version one\n"
    write("minisign", {
        "valid": seed({0: minisig(KEY1, data, "timestamp:1481716800 file:global.tar.zst"), 1: data}),
        "crlf": seed({0: minisig(KEY1, data, "crlf").replace(b"\n", b"\r\n"), 1: data}),
        "empty-file": seed({0: minisig(KEY1, b"", ""), 1: b""}),
        "other-key": seed({0: minisig(KEY2, data, "x"), 1: data}),
        "changed-file": seed({0: minisig(KEY1, data, "x"), 1: data + b"!"}),
        "changed-comment": seed({0: minisig(KEY1, data, "x").replace(b"comment: x", b"comment: y"), 1: data}),
    }, {})


def minisig(key, data, comment):
    """A minisign "ED" signature: Ed25519 over BLAKE2b-512 of the file, key id
    the first 8 bytes of SHA-256 of the public key (kit's choice), and the
    global signature over the signature and the trusted comment."""
    pub = bytes.fromhex(key.pub)
    kid = hashlib.sha256(pub).digest()[:8]
    sig = key.priv.sign(hashlib.blake2b(data).digest())
    glob = key.priv.sign(sig + comment.encode())
    return (b"untrusted comment: signature from kit-publish key\n" +
            base64.b64encode(b"ED" + kid + sig) + b"\ntrusted comment: " +
            comment.encode() + b"\n" + base64.b64encode(glob) + b"\n")


def encrypted_pem_key():
    """A root whose ECDSA key is an encrypted private key PEM, and a
    timestamp signed under its key id: reading the key must not ask for a
    passphrase."""
    with open(os.path.join("tests", "fuzz", "corpus", "keyfile", "ed25519-aes256.pem")) as f:
        enc = f.read()
    kobj = {"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": enc}}
    kid = hashlib.sha256(canonical(kobj)).hexdigest()
    r = root_signed(1, keys={KEY1.id: KEY1.obj, kid: kobj},
                    roles={"timestamp": {"keyids": [kid], "threshold": 1}})
    return seed({0: meta(r, KEY1), 1: meta(timestamp_signed(1, 1), (KEY1, kid))})


def write(target, seeds, pending):
    for d, items in (("corpus", seeds), ("pending", pending)):
        path = os.path.join("tests", "fuzz", d, target)
        if items:
            os.makedirs(path, exist_ok=True)
        for name, data in items.items():
            with open(os.path.join(path, name), "wb") as f:
                f.write(data)
    print(f"{target}: {len(seeds)} seeds, {len(pending)} pending", file=sys.stderr)


if __name__ == "__main__":
    main()
