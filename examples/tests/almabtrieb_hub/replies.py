"""almabtrieb against fedi-hub: a trigger of a method listed with `replies: true`.

almabtrieb resolves a request with the first message carrying its correlation id, and the
outgoing event of the trigger carries that id too; the hub must publish the reply first. Run by
examples/tests/almabtrieb_hub.rs with CONNECTION_STRING set to the hub's broker; prints `ok`.

    CONNECTION_STRING=amqp://guest:guest@127.0.0.1:5672/VHOST python replies.py
"""

import asyncio
import os

from almabtrieb import Almabtrieb


async def main() -> None:
    connection = Almabtrieb.from_connection_string(os.environ["CONNECTION_STRING"])
    async with connection:
        info = await connection.info()
        method = connection.method_information_for_routing_key("publish_note")
        assert method is not None and method.replies, info.method_information

        actor = await connection.create_actor(info.base_urls[0])
        actor_id = actor["id"]

        reply = await connection.trigger(
            "publish_note", {"actor": actor_id, "content": "moo"}
        )
        assert isinstance(reply, dict) and list(reply) == ["id"], reply
        note_id = reply["id"]
        assert note_id.startswith(actor_id + "/"), note_id

        outgoing = await connection.outgoing().next()
        assert outgoing["actor"] == actor_id, outgoing
        create = outgoing["data"]["raw"]
        assert create["type"] == "Create", create
        assert create["object"]["id"] == note_id, create

        fetched = await connection.fetch(actor_id, note_id)
        assert fetched.data is not None, fetched
        assert fetched.data["id"] == note_id, fetched
        assert fetched.data["content"] == "moo", fetched
    print("ok")


if __name__ == "__main__":
    asyncio.run(main())
