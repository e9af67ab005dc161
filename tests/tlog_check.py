#!/usr/bin/env python3
"""An independent check of a docseal log proof, written from the C2SP specs
(signed-note, tlog-checkpoint, tlog-cosignature, tlog-proof) and RFC 9162
section 2.1.3.2, sharing no code with docseal.

usage: tlog_check.py VKEY PROOF_FILE ENTRY_FILE
Prints a JSON object {"size", "index", "cosigned_at"} and exits 0 when the
proof holds; prints the reason and exits 1 otherwise.
"""
import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def fail(why):
    print(why)
    sys.exit(1)


def key_id(name, alg_and_key):
    return hashlib.sha256(name.encode() + b"\n" + alg_and_key).digest()[:4]


def parse_vkey(vkey):
    # The base64 key may itself hold `+`.
    name, hexid, b64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(b64)
    if raw[0] != 1 or len(raw) != 33:
        fail("vkey is not Ed25519")
    if key_id(name, raw) != bytes.fromhex(hexid):
        fail("vkey id does not match")
    return name, raw[1:]


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index, size, leaf, path):
    # RFC 9162, 2.1.3.2
    if index >= size:
        fail("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            fail("proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        fail("proof too short")
    return r


def main():
    name, pub = parse_vkey(sys.argv[1])
    proof = open(sys.argv[2], "rb").read().decode()
    entry = open(sys.argv[3], "rb").read()
    head, note = proof.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        fail("not a tlog-proof")
    rest = lines[1:]
    if rest and rest[0].startswith("extra "):
        rest = rest[1:]
    if not rest[0].startswith("index "):
        fail("no index line")
    index = int(rest[0][len("index "):])
    path = [base64.b64decode(h) for h in rest[1:]]

    # signed-note: text, blank line, signature lines "— name base64".
    text, sigs = note.rsplit("\n\n", 1)
    text = (text + "\n").encode()
    key = Ed25519PublicKey.from_public_bytes(pub)
    plain_id = key_id(name, b"\x01" + pub)
    cosig_id = key_id(name, b"\x04" + pub)
    signed, cosigned_at = False, None
    for line in sigs.strip("\n").split("\n"):
        if not line.startswith("\u2014 "):
            fail("malformed signature line")
        sname, b64 = line[2:].split(" ")
        raw = base64.b64decode(b64)
        if sname != name:
            continue
        try:
            if raw[:4] == plain_id:
                key.verify(raw[4:], text)
                signed = True
            elif raw[:4] == cosig_id:
                ts = int.from_bytes(raw[4:12], "big")
                msg = b"cosignature/v1\ntime %d\n" % ts + text
                key.verify(raw[12:], msg)
                cosigned_at = ts
        except InvalidSignature:
            fail("bad signature by " + sname)
    if not signed:
        fail("no signature by the log key")

    # tlog-checkpoint: origin, size, base64 root hash.
    body = text.decode().split("\n")
    if body[0] != name:
        fail("checkpoint origin is not the log's name")
    size = int(body[1])
    root = base64.b64decode(body[2])
    if root_from_inclusion(index, size, leaf_hash(entry), path) != root:
        fail("inclusion proof does not lead to the checkpoint's root")
    print(json.dumps({"size": size, "index": index, "cosigned_at": cosigned_at}))


if __name__ == "__main__":
    main()
