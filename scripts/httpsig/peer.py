"""Independent HTTP Signatures peer for activitystreams-core's interop test.

Reads one JSON object from stdin: {"tasks": [task, ...]}; writes {"results": [...]}, one result
per task, to stdout. Every task describes a request (method, url, headers as [name, value]
pairs, body in base64) and one operation:

* sign-cavage: bovine builds the signing string of (request-target) host date digest and
  signs it with the PEM private key; the result gives the headers to add.
* verify-cavage: bovine's SignatureChecker verifies the request (its Date must be within five
  minutes of now); the result gives the owner it returns, or null.
* sign-rfc9421 / verify-rfc9421: http-message-signatures signs or verifies an RFC 9421
  signature (label sig1) with the named algorithm, checking Content-Digest against the body.

The venv holding both libraries is made by scripts/venv httpsig-peers.
"""

import asyncio
import base64
import datetime
import hashlib
import json
import sys
import types

import bovine.crypto.signature_checker as cavage_checker
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import HttpSignature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.resolvers import MappingKeyResolver

RFC9421_ALGORITHMS = {
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
    "ed25519": algorithms.ED25519,
}


def message(task):
    headers = {}
    for name, value in task["headers"]:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return types.SimpleNamespace(method=task["method"], url=task["url"], headers=headers)


def body_of(task):
    return base64.b64decode(task["body"])


def sign_cavage(task):
    request = message(task)
    body = body_of(task)
    path = task["url"].split("://", 1)[1]
    path = path[path.index("/") :] if "/" in path else "/"
    digest = content_digest_sha256(body, prefix="SHA-256")
    signature = (
        HttpSignature()
        .with_field("(request-target)", f"{task['method'].lower()} {path}")
        .with_field("host", request.headers["host"])
        .with_field("date", request.headers["date"])
        .with_field("digest", digest)
    )
    secret = CryptographicSecret.from_pem(task["key_id"], task["private_pem"])
    if task["algorithm"] == "rsa-sha256":
        header = signature.sign_for_http_draft(secret)
    else:
        value = secret.sign(signature.build_message())
        header = (
            f'keyId="{task["key_id"]}",algorithm="hs2019",'
            f'headers="(request-target) host date digest",signature="{value}"'
        )
    return {"headers": [["digest", digest], ["signature", header]]}


def verify_cavage(task):
    async def retrieve(key_id):
        if key_id != task["key_id"]:
            return None
        return CryptographicIdentifier.from_pem(task["public_pem"], task["owner"])

    async def body():
        return body_of(task)

    checker = cavage_checker.SignatureChecker(retrieve)
    request = message(task)
    owner = asyncio.run(
        checker.validate_signature(request.method, task["url"], request.headers, body)
    )
    return {"owner": owner}


def sign_rfc9421(task):
    request = message(task)
    key = load_pem_private_key(task["private_pem"].encode(), password=None)
    signer = HTTPMessageSigner(
        signature_algorithm=RFC9421_ALGORITHMS[task["alg"]],
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={task["key_id"]: key}),
    )
    signer.sign(
        request,
        key_id=task["key_id"],
        created=datetime.datetime.fromtimestamp(task["created"], datetime.timezone.utc),
        label="sig1",
        covered_component_ids=tuple(task["components"]),
        body=body_of(task),
    )
    names = ("content-digest", "signature-input", "signature")
    added = [[name, value] for name, value in request.headers.items() if name.lower() in names]
    return {"headers": added}


def verify_rfc9421(task):
    verifier = HTTPMessageVerifier(
        signature_algorithm=RFC9421_ALGORITHMS[task["alg"]],
        key_resolver=MappingKeyResolver(
            public_keys={task["key_id"]: task["public_pem"].encode()}, private_keys={}
        ),
    )
    try:
        results = verifier.verify(message(task), max_age=None, body=body_of(task))
    except InvalidSignature as error:
        return {"valid": False, "error": str(error)}
    return {
        "valid": True,
        "keyid": results[0].parameters["keyid"],
        "covered": list(results[0].covered_components),
    }


OPERATIONS = {
    "sign-cavage": sign_cavage,
    "verify-cavage": verify_cavage,
    "sign-rfc9421": sign_rfc9421,
    "verify-rfc9421": verify_rfc9421,
}


def main():
    tasks = json.load(sys.stdin)["tasks"]
    json.dump({"results": [OPERATIONS[task["op"]](task) for task in tasks]}, sys.stdout)


if __name__ == "__main__":
    # bovine logs refusals at warning level on stderr; the test reads stdout only.
    main()
