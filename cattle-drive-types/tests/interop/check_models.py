"""Check Cattle Drive bodies written by cattle-drive-types against the real pydantic models.

Reads JSON lines from standard input, each {"label": str, "kind": KIND, "body": BODY}, where
KIND is a MessageKind name (request.info, trigger.update_actor, event.outgoing, error, ...).
For each body it checks that

  * every model that consumes that kind accepts it: the server's (cattle_grid 0.5.22) and,
    for what the server sends, the client's (almabtrieb 0.3.0);
  * for kinds that have a cattle_grid model, the body is exactly what that model writes:
    the validated model dumped by alias equals the body (so no key is dropped, renamed,
    defaulted or reordered in value).

Prints one line per body, "ok LABEL" or "FAIL LABEL: reason", and exits 1 if any failed.
Uses the packages pinned in scripts/venvs/cattle-interop.txt.
"""

import json
import logging
import sys

logging.disable(logging.WARNING)  # cattle_grid warns about missing configuration on import

from pydantic import BaseModel, ConfigDict, ValidationError

import almabtrieb.model as client
import cattle_grid.model as exchange
import cattle_grid.model.account as account
import cattle_grid.model.exchange as exchange_methods


class NoBody(BaseModel):
    """send.NAME.request.info: the handler reads no body; clients send {}."""

    model_config = ConfigDict(extra="forbid")


def dump(model: BaseModel):
    return model.model_dump(mode="json", by_alias=True)


def accept(model, body):
    """Validate like faststream does (python mode, lax); raise on refusal."""
    return model.model_validate(body)


def same(body, model_cls):
    """The body must be what cattle_grid writes for it."""
    written = dump(accept(model_cls, body))
    if written != body:
        raise ValueError(f"{model_cls.__name__} writes {json.dumps(written)}")


def check_request_info(body):
    accept(NoBody, body)


def check_create_actor(body):
    same(body, account.CreateActorRequest)


def check_fetch(body):
    same(body, account.FetchMessage)
    accept(client.FetchMessage, body)


def check_trigger(body):
    accept(account.TriggerMessage, body)
    accept(client.TriggerMessage, body)


def check_trigger_method(method_model):
    """A trigger passes the account router's TriggerMessage, then its method's own model."""

    def check(body):
        check_trigger(body)
        same(body, method_model)

    return check


def check_response_info(body):
    same(body, account.InformationResponse)
    accept(client.InformationResponse, body)


def check_response_create_actor(body):
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise ValueError("an actor object with a string id is expected")


def check_response_fetch(body):
    same(body, account.FetchResponse)
    accept(client.FetchResponse, body)


def check_response_trigger(body):
    json.dumps(body)


def check_event(direction):
    def check(body):
        same(body, account.EventInformation)
        if body.get("event_type") != direction:
            raise ValueError(f"event_type is not {direction}")

    return check


def check_error(body):
    if isinstance(body, dict) and set(body) >= {"message", "routing_key", "original_message_body"}:
        same(body, account.ErrorMessage)
    elif isinstance(body, dict) and isinstance(body.get("error"), str):
        pass
    else:
        raise ValueError("neither ErrorMessage nor {'error': str}")


CHECKS = {
    "request.info": check_request_info,
    "request.create_actor": check_create_actor,
    "request.fetch": check_fetch,
    "trigger.send_message": check_trigger_method(exchange.ActivityMessage),
    "trigger.update_actor": check_trigger_method(exchange_methods.UpdateActorMessage),
    "trigger.delete_actor": check_trigger_method(exchange_methods.DeleteActorMessage),
    "trigger.generic": check_trigger_method(account.TriggerMessage),
    "response.info": check_response_info,
    "response.create_actor": check_response_create_actor,
    "response.fetch": check_response_fetch,
    "response.trigger": check_response_trigger,
    "event.incoming": check_event("incoming"),
    "event.outgoing": check_event("outgoing"),
    "error": check_error,
}


def main() -> int:
    failures = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        label, kind, body = item["label"], item["kind"], item["body"]
        try:
            CHECKS[kind](body)
        except (ValidationError, ValueError, KeyError) as error:
            failures += 1
            reason = " ".join(str(error).split())
            print(f"FAIL {label}: {reason}")
            continue
        print(f"ok {label}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
