"""Independent side of versia-ws's interop test: Ed25519, PKCS#8 and SPKI from pyca/cryptography.

Reads one JSON request on stdin and writes one JSON answer on stdout:
- "rust": keys and signatures made by the Rust crate. For each, check that the PKCS#8 private key
  and the SPKI public key load and match, rebuild the Versia signed string from its parts here,
  compare it with the crate's, verify the crate's signature, and verify a tampered body fails.
- "python": parts for which this side makes a fresh random key, the signed string, the signature
  and a complete WebSocketMessage (JSON text) for the crate to verify.
"""

import base64
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def signed_string(method: str, path: str, signed_at: int, body: bytes) -> str:
    digest = b64(hashlib.sha256(body).digest())
    return f"{method.lower()} {path} {signed_at} {digest}"


def spki(public_key) -> str:
    return b64(
        public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def check_rust(task: dict) -> dict:
    private = serialization.load_der_private_key(base64.b64decode(task["private"]), password=None)
    public = serialization.load_der_public_key(base64.b64decode(task["public"]))
    body = base64.b64decode(task["body"])
    text = signed_string(task["method"], task["path"], task["signed_at"], body)
    signature = base64.b64decode(task["signature"])

    def valid(message: str) -> bool:
        try:
            public.verify(signature, message.encode())
            return True
        except InvalidSignature:
            return False

    return {
        "public_matches": spki(private.public_key()) == task["public"],
        "string_matches": text == task["signed_string"],
        "valid": valid(text),
        "tampered_valid": valid(signed_string(task["method"], task["path"], task["signed_at"], body + b"!")),
    }


def make_python(task: dict) -> dict:
    key = Ed25519PrivateKey.generate()
    body = task["entity"].encode()
    text = signed_string("post", task["path"], task["signed_at"], body)
    signature = b64(key.sign(text.encode()))
    message = json.dumps(
        {
            "signature": signature,
            "signed_at": str(task["signed_at"]),
            "signed_by": task["signed_by"],
            "entity": task["entity"],
        }
    )
    private = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return {
        "private": b64(private),
        "public": spki(key.public_key()),
        "signed_string": text,
        "signature": signature,
        "message": message,
    }


def main() -> None:
    request = json.load(sys.stdin)
    answer = {
        "rust": [check_rust(task) for task in request["rust"]],
        "python": [make_python(task) for task in request["python"]],
    }
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
