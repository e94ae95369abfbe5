"""Follows an event stream with a Python SSE library and reports on standard output as JSON
lines: {"kind":"open"}, {"kind":"error"}, and every `meta` or `inbox` event as
{"kind":..., "id":..., "data":...}. Runs until standard input closes.

Usage: python sse_client.py httpx-sse|sseclient-py URL TOKEN

Neither library reconnects by itself: both leave it to the application, which records the
last event id from the events the library yields and sends it as `Last-Event-ID`, waiting the
server's `retry:` time in between. The loops below are that application code, written the way
each library's documentation shows.
"""

import json
import os
import sys
import threading
import time


def report(**fields):
    print(json.dumps(fields), flush=True)


def follow_httpx_sse(url, token):
    import httpx
    from httpx_sse import connect_sse

    last_event_id = ""
    delay = 3.0
    with httpx.Client(timeout=httpx.Timeout(10.0, read=None)) as client:
        while True:
            headers = {"Authorization": f"Bearer {token}"}
            if last_event_id:
                headers["Last-Event-ID"] = last_event_id
            try:
                with connect_sse(client, "GET", url, headers=headers) as source:
                    source.response.raise_for_status()
                    report(kind="open")
                    for sse in source.iter_sse():
                        # httpx-sse gives every block the stream's current last event id.
                        last_event_id = sse.id
                        if sse.retry is not None:
                            delay = sse.retry / 1000
                        if sse.event in ("meta", "inbox"):
                            report(kind=sse.event, id=sse.id, data=sse.data)
                report(kind="error", message="stream ended")
            except httpx.HTTPError as error:
                report(kind="error", message=repr(error))
            time.sleep(delay)


def follow_sseclient_py(url, token):
    import urllib3
    from sseclient import SSEClient

    http = urllib3.PoolManager()
    last_event_id = None
    delay = 3.0
    while True:
        headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {token}"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            response = http.request(
                "GET",
                url,
                headers=headers,
                preload_content=False,
                retries=False,
                timeout=urllib3.Timeout(connect=10.0, read=None),
            )
            if response.status != 200:
                raise RuntimeError(f"status {response.status}")
            report(kind="open")
            for event in SSEClient(response).events():
                # sseclient-py yields events with data only; `id` is None without an id line.
                if event.id is not None:
                    last_event_id = event.id
                if event.retry:
                    delay = int(event.retry) / 1000
                if event.event in ("meta", "inbox"):
                    report(kind=event.event, id=event.id, data=event.data)
            report(kind="error", message="stream ended")
        except Exception as error:  # urllib3 raises several kinds on a cut connection
            report(kind="error", message=repr(error))
        time.sleep(delay)


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    library, url, token = sys.argv[1:4]
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    {"httpx-sse": follow_httpx_sse, "sseclient-py": follow_sseclient_py}[library](url, token)
