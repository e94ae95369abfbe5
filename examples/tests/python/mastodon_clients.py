"""Python Mastodon clients against fedi-hub (driven by examples/tests/hub_mastodon_clients.rs).

    python mastodon_clients.py MODE     (HUB_BASE and HUB_TOKEN in the environment)

MODE is one of:
- ``mastodon-sse``: Mastodon.py's ``stream_user`` over server-sent events, after its own
  discovery (``/api/v2/instance/``, ``/api/v1/instance/``) and ``stream_healthy()``;
- ``mastodon-ws``: Mastodon.py's WebSocket streaming (``stream_open_websocket`` with
  websocket-client, ``Authorization`` header), subscribed to ``user``;
- ``websockets``: the websockets library on ``/api/v1/streaming`` offering the token as a
  subprotocol after another value, then subscribing to ``user``.

Prints ``ready …`` once connected, ``update {json}`` for the first status (then exits 0),
``error …`` for any failure the library reports (then exits 1). Gives up after 60 s.
"""

import asyncio
import json
import os
import sys
import threading
import time

BASE = os.environ["HUB_BASE"]
TOKEN = os.environ["HUB_TOKEN"]
DEADLINE = time.monotonic() + 60
lock = threading.Lock()


def say(kind, value):
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    with lock:
        sys.stdout.write(f"{kind} {text}\n")
        sys.stdout.flush()


def status_fields(status):
    """What the library made of a status: its fields, the date as a parsed datetime."""
    created = status["created_at"]
    return {
        "id": status["id"],
        "content": status["content"],
        "acct": status["account"]["acct"],
        "visibility": status["visibility"],
        "created_at": created.isoformat() if hasattr(created, "isoformat") else created,
        "valid_date": hasattr(created, "isoformat"),
    }


def mastodon(mode):
    from mastodon import Mastodon, StreamListener

    received = threading.Event()
    failed = []

    class Listener(StreamListener):
        def on_update(self, status):
            say("update", status_fields(status))
            received.set()

        def on_abort(self, err):
            failed.append(err)
            say("error", f"{type(err).__name__}: {err}")
            received.set()

        def on_unknown_event(self, name, unknown_event=None):
            say("error", f"unknown event {name}")

    api = Mastodon(access_token=TOKEN, api_base_url=BASE)
    me = api.account_verify_credentials()
    healthy = api.stream_healthy()
    listener = Listener()
    if mode == "mastodon-sse":
        handle = api.stream_user(listener, run_async=True)
        # The stream is open once the worker thread reads it.
        while not handle.is_receiving() and time.monotonic() < DEADLINE:
            time.sleep(0.05)
        say("ready", {"transport": "sse", "healthy": healthy, "me": me["acct"]})
    else:
        handle = api.stream_open_websocket(listener)
        api.stream_user(listener, websocket_handle=handle)
        say("ready", {"transport": "websocket", "healthy": healthy, "me": me["acct"]})
    received.wait(max(0.0, DEADLINE - time.monotonic()))
    handle.close()
    if failed or not received.is_set():
        if not received.is_set():
            say("error", "no update within 60 s")
        return 1
    return 0


async def websockets_client():
    from websockets.asyncio.client import connect

    url = BASE.replace("http", "ws", 1) + "/api/v1/streaming"
    async with connect(url, subprotocols=["x-fedi-test", TOKEN]) as socket:
        await socket.send(json.dumps({"type": "subscribe", "stream": "user"}))
        say("ready", {"subprotocol": socket.subprotocol})
        while True:
            frame = json.loads(await asyncio.wait_for(socket.recv(), DEADLINE - time.monotonic()))
            if frame.get("event") == "update":
                status = json.loads(frame["payload"])
                say("update", {"stream": frame["stream"], "id": status["id"],
                               "content": status["content"], "acct": status["account"]["acct"]})
                return 0
            say("error", f"unexpected frame {frame}")
            return 1


def main():
    mode = sys.argv[1]
    try:
        if mode == "websockets":
            return asyncio.run(websockets_client())
        return mastodon(mode)
    except Exception as err:  # report whatever the library raised
        say("error", f"{type(err).__name__}: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
