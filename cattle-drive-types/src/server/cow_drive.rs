//! CowDrive: the protocol spoken by a server with a single actor.

use super::{ClientMessage, Inbound, Outbound, Rejection, Server};
use crate::message::{
    ActorInformation, CATTLE_DRIVE_PROTOCOL, COW_DRIVE_PROTOCOL_NAME, MethodInformation,
    NameAndVersion, Request, Response,
};
use crate::topic::AccountName;

/// What to do with a publish a [`CowDrive`] accepted.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "an action is matched on at once, never stored"
)]
pub enum CowDriveAction {
    /// Publish this: the CowDrive answered by itself (`info`, or an error for a message it
    /// refuses: `create_actor`, another actor).
    Reply(Outbound),
    /// Handle this (`fetch`, a trigger) and answer with the [`Server`] builders.
    Handle(Inbound),
}

/// A single-actor server: one account, one actor. `info` reports the protocol as `CowDrive`
/// with the account's one actor; `create_actor` is refused; a fetch or trigger for any other
/// actor is refused with cattle_grid's "Actor not found" error. Publishes for other accounts
/// are unauthorized.
#[derive(Debug, Clone)]
pub struct CowDrive {
    server: Server,
    account: AccountName,
    actor: ActorInformation,
    base_urls: Vec<String>,
    methods: Vec<MethodInformation>,
}

impl CowDrive {
    /// The CowDrive of `actor` in `account`, offering cattle_grid's built-in methods.
    pub fn new(server: Server, account: AccountName, actor: ActorInformation) -> Self {
        CowDrive {
            server,
            account,
            actor,
            base_urls: Vec::new(),
            methods: MethodInformation::built_in(),
        }
    }

    /// Replaces the methods listed in `info`.
    #[must_use]
    pub fn with_methods(mut self, methods: Vec<MethodInformation>) -> Self {
        self.methods = methods;
        self
    }

    /// Sets the base URLs listed in `info`.
    #[must_use]
    pub fn with_base_urls(mut self, base_urls: Vec<String>) -> Self {
        self.base_urls = base_urls;
        self
    }

    /// The underlying server, for the response, error and event builders.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The one actor.
    pub fn actor(&self) -> &ActorInformation {
        &self.actor
    }

    /// Takes one inbound publish (see [`Server::handle_publish`]); without a `login`, the
    /// CowDrive's own account is the only one authorized.
    pub fn handle_publish(
        &self,
        login: Option<&AccountName>,
        routing_key: &str,
        correlation_id: Option<&str>,
        body: &[u8],
    ) -> Result<CowDriveAction, Rejection> {
        let login = login.unwrap_or(&self.account);
        let inbound = self
            .server
            .handle_publish(Some(login), routing_key, correlation_id, body)?;
        if inbound.key.account != self.account {
            let reason = format!("this CowDrive serves account `{}` only", self.account);
            return Err(Rejection::publish_refused(login, routing_key, reason));
        }
        let reply = match &inbound.message {
            ClientMessage::Request(Request::Info(_)) => {
                let mut info = self.server.info_response(&self.account);
                info.protocol =
                    NameAndVersion::new(COW_DRIVE_PROTOCOL_NAME, CATTLE_DRIVE_PROTOCOL.1);
                info.actors = vec![self.actor.clone()];
                info.base_urls.clone_from(&self.base_urls);
                info.method_information.clone_from(&self.methods);
                self.server.respond(&inbound, &Response::Info(info)).ok()
            }
            ClientMessage::Request(Request::CreateActor(_)) => Some(self.server.fail(
                &inbound,
                "CowDrive serves a single actor: create_actor is not supported",
            )),
            message => match message.actor() {
                Some(actor) if actor != self.actor.id => Some(self.server.fail(
                    &inbound,
                    &format!(
                        "Actor not found for account name {} and actor id {actor}",
                        self.account
                    ),
                )),
                _ => None,
            },
        };
        Ok(match reply {
            Some(outbound) => CowDriveAction::Reply(outbound),
            None => CowDriveAction::Handle(inbound),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Body, ErrorBody, InformationResponse};
    use crate::server::ServerConfig;

    fn cow() -> CowDrive {
        let account = AccountName::new("moo").unwrap_or_else(|_| unreachable!());
        CowDrive::new(
            Server::new(ServerConfig::default()),
            account,
            ActorInformation::new("http://cow/actor", "Cow"),
        )
    }

    #[test]
    fn answers_info_as_cow_drive() {
        let got = cow().handle_publish(None, "send.moo.request.info", Some("c"), b"{}");
        let Ok(CowDriveAction::Reply(out)) = got else {
            panic!("{got:?}")
        };
        let info = InformationResponse::from_json(&out.body);
        let Ok(info) = info else { panic!("{info:?}") };
        assert_eq!(info.protocol.name, "CowDrive");
        assert_eq!(
            info.actors,
            vec![ActorInformation::new("http://cow/actor", "Cow")]
        );
        assert_eq!(info.method_information.len(), 3);
    }

    #[test]
    fn refuses_create_actor_and_other_actors() {
        let cow = cow();
        let got = cow.handle_publish(
            None,
            "send.moo.request.create_actor",
            None,
            br#"{"baseUrl":"http://cow"}"#,
        );
        assert!(
            matches!(got, Ok(CowDriveAction::Reply(ref o)) if o.routing_key == "error.moo"),
            "{got:?}"
        );
        let got = cow.handle_publish(
            None,
            "send.moo.request.fetch",
            None,
            br#"{"actor":"http://other","uri":"u"}"#,
        );
        let Ok(CowDriveAction::Reply(out)) = got else {
            panic!("{got:?}")
        };
        let Ok(ErrorBody::Exception(m)) = ErrorBody::from_json(&out.body) else {
            panic!("ErrorMessage expected")
        };
        assert_eq!(
            m.message,
            vec!["Actor not found for account name moo and actor id http://other"]
        );
        let got = cow.handle_publish(
            None,
            "send.moo.request.fetch",
            None,
            br#"{"actor":"http://cow/actor","uri":"u"}"#,
        );
        assert!(matches!(got, Ok(CowDriveAction::Handle(_))));
        let got = cow.handle_publish(None, "send.bull.request.info", None, b"{}");
        assert!(matches!(got, Err(Rejection::Unauthorized(_))));
    }
}
