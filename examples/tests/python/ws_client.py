"""One WebSocket session with the `websockets` package, reported on standard output as JSON
lines: {"kind":"upgrade","protocol":...} (the 101's Sec-WebSocket-Protocol), {"kind":"open",
"protocol":...} (what websockets agreed to), {"kind":"pong"}, {"kind":"close","code":...,
"reason":...,"ms":...} (the server's close frame, and how long after ours the closing handshake
and the TCP close completed), or {"kind":"error","message":...}.

Usage: python ws_client.py URL OPTIONS_JSON with OPTIONS {"protocols":[...],"closeCode":N,
"closeReason":"..."}.
"""

import asyncio
import json
import sys
import time


def report(**fields):
    print(json.dumps(fields), flush=True)


async def session(url, options):
    from websockets.asyncio.client import connect

    async with connect(
        url,
        subprotocols=options.get("protocols") or None,
        open_timeout=10,
        close_timeout=10,
    ) as ws:
        report(kind="upgrade", protocol=ws.response.headers.get("Sec-WebSocket-Protocol"))
        report(kind="open", protocol=ws.subprotocol)
        pong = await ws.ping(b"fedi")
        await asyncio.wait_for(pong, 10)
        report(kind="pong", data="fedi")
        started = time.monotonic()
        await ws.close(code=options.get("closeCode", 1000), reason=options.get("closeReason", ""))
        received = ws.protocol.close_rcvd
        report(
            kind="close",
            code=received.code if received else None,
            reason=received.reason if received else None,
            ms=round((time.monotonic() - started) * 1000),
        )


if __name__ == "__main__":
    url, options = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    try:
        asyncio.run(session(url, options))
    except Exception as error:
        report(kind="error", message=repr(error))
