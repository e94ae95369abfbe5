//! Message kinds.

use std::fmt;

use serde::Serialize;

use super::{RequestMethod, ResponseMethod, TriggerMethod};

/// What a routing key carries. The names (`request.info`, `trigger.generic`, …) are those of
/// the kind registry used to check messages against cattle_grid's models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MessageKind {
    /// `send.NAME.request.info`.
    RequestInfo,
    /// `send.NAME.request.create_actor`.
    RequestCreateActor,
    /// `send.NAME.request.fetch`.
    RequestFetch,
    /// `send.NAME.trigger.send_message`.
    TriggerSendMessage,
    /// `send.NAME.trigger.update_actor`.
    TriggerUpdateActor,
    /// `send.NAME.trigger.delete_actor`.
    TriggerDeleteActor,
    /// `send.NAME.trigger.METHOD` for any other method.
    TriggerGeneric,
    /// `receive.NAME.response.info`.
    ResponseInfo,
    /// `receive.NAME.response.create_actor`.
    ResponseCreateActor,
    /// `receive.NAME.response.fetch`.
    ResponseFetch,
    /// `receive.NAME.response.trigger`.
    ResponseTrigger,
    /// `receive.NAME.incoming.TYPE`.
    EventIncoming,
    /// `receive.NAME.outgoing.TYPE`.
    EventOutgoing,
    /// `error.NAME`.
    Error,
}

impl MessageKind {
    /// Every kind, in declaration order.
    pub const ALL: [MessageKind; 14] = [
        MessageKind::RequestInfo,
        MessageKind::RequestCreateActor,
        MessageKind::RequestFetch,
        MessageKind::TriggerSendMessage,
        MessageKind::TriggerUpdateActor,
        MessageKind::TriggerDeleteActor,
        MessageKind::TriggerGeneric,
        MessageKind::ResponseInfo,
        MessageKind::ResponseCreateActor,
        MessageKind::ResponseFetch,
        MessageKind::ResponseTrigger,
        MessageKind::EventIncoming,
        MessageKind::EventOutgoing,
        MessageKind::Error,
    ];

    /// The kind's name, e.g. `request.create_actor`, `trigger.generic`, `event.incoming`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::RequestInfo => "request.info",
            MessageKind::RequestCreateActor => "request.create_actor",
            MessageKind::RequestFetch => "request.fetch",
            MessageKind::TriggerSendMessage => "trigger.send_message",
            MessageKind::TriggerUpdateActor => "trigger.update_actor",
            MessageKind::TriggerDeleteActor => "trigger.delete_actor",
            MessageKind::TriggerGeneric => "trigger.generic",
            MessageKind::ResponseInfo => "response.info",
            MessageKind::ResponseCreateActor => "response.create_actor",
            MessageKind::ResponseFetch => "response.fetch",
            MessageKind::ResponseTrigger => "response.trigger",
            MessageKind::EventIncoming => "event.incoming",
            MessageKind::EventOutgoing => "event.outgoing",
            MessageKind::Error => "error",
        }
    }

    /// The kind named `name` (see [`as_str`](Self::as_str)).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether clients publish this kind (requests and triggers) rather than the server.
    pub fn is_client_to_server(self) -> bool {
        matches!(
            self,
            MessageKind::RequestInfo
                | MessageKind::RequestCreateActor
                | MessageKind::RequestFetch
                | MessageKind::TriggerSendMessage
                | MessageKind::TriggerUpdateActor
                | MessageKind::TriggerDeleteActor
                | MessageKind::TriggerGeneric
        )
    }

    /// Whether this kind is an event (`receive.NAME.{incoming,outgoing}.TYPE`) rather than an
    /// answer to a request or trigger (a response or an error) or a client message.
    pub fn is_event(self) -> bool {
        matches!(
            self,
            MessageKind::EventIncoming | MessageKind::EventOutgoing
        )
    }

    pub(crate) fn of_request(method: RequestMethod) -> Self {
        match method {
            RequestMethod::Info => MessageKind::RequestInfo,
            RequestMethod::CreateActor => MessageKind::RequestCreateActor,
            RequestMethod::Fetch => MessageKind::RequestFetch,
        }
    }

    pub(crate) fn of_trigger(method: &TriggerMethod) -> Self {
        match method.as_str() {
            TriggerMethod::SEND_MESSAGE => MessageKind::TriggerSendMessage,
            TriggerMethod::UPDATE_ACTOR => MessageKind::TriggerUpdateActor,
            TriggerMethod::DELETE_ACTOR => MessageKind::TriggerDeleteActor,
            _ => MessageKind::TriggerGeneric,
        }
    }

    pub(crate) fn of_response(method: ResponseMethod) -> Self {
        match method {
            ResponseMethod::Info => MessageKind::ResponseInfo,
            ResponseMethod::CreateActor => MessageKind::ResponseCreateActor,
            ResponseMethod::Fetch => MessageKind::ResponseFetch,
            ResponseMethod::Trigger => MessageKind::ResponseTrigger,
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in MessageKind::ALL {
            assert_eq!(MessageKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(MessageKind::from_name("event"), None);
    }

    #[test]
    fn only_the_two_event_kinds_are_events() {
        let events: Vec<MessageKind> = MessageKind::ALL
            .into_iter()
            .filter(|k| k.is_event())
            .collect();
        assert_eq!(
            events,
            [MessageKind::EventIncoming, MessageKind::EventOutgoing]
        );
    }
}
