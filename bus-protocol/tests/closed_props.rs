//! Property tests of rule 6 of the sans-IO contract: once a machine is closed, every input
//! returns `Err(Closed)`, and nothing more comes out. Each machine is driven to closed by
//! varied inputs (and by each way it can close), then fed arbitrary input.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;
use common::wall;

use bus_protocol::client::{Client, ClientConfig, ClientError};
use bus_protocol::hub::{
    ActionRoute, Hub, HubConfig, HubError, NoRelations, PublishError, SessionKey,
};
use bus_protocol::message::{ActionNotice, ActionType, ClientMessage, ServerMessage};
use bus_protocol::session::{
    CloseReason, Dialect, PeerError, Session, SessionConfig, SessionError,
};
use proptest::prelude::*;

const UNIX: i64 = 1_738_483_200;

/// The example frames in `tests/data/<dir>` whose file names start with `prefix`: the seed
/// document's and the deployed Cloudillo server's, so that the machines reach their deeper
/// states.
fn examples(sources: &[(&str, &str)]) -> Vec<String> {
    let mut frames = Vec::new();
    for (dir, prefix) in sources {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(dir);
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy();
            if name.starts_with(prefix) && name.ends_with(".json") {
                frames.push(fs::read_to_string(&path).unwrap());
            }
        }
    }
    assert!(!frames.is_empty(), "{sources:?}");
    frames.sort();
    frames
}

/// What clients send, in both dialects.
fn client_frames() -> Vec<String> {
    examples(&[("seed/client", ""), ("cloudillo", "client-")])
}

/// What servers send.
fn server_frames() -> Vec<String> {
    examples(&[("seed/server", "")])
}

/// A text frame: a well-formed one of `known`, or anything.
fn text(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![prop::sample::select(known), "\\PC{0,80}"]
}

/// An input before the close.
#[derive(Debug, Clone)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    Pong,
    /// Advance the clock this many milliseconds and run the timers.
    Wait(u32),
    /// An action for the session's user (hub) or delivered to the session.
    Action,
}

fn steps(known: Vec<String>) -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            text(known).prop_map(Step::Text),
            prop::collection::vec(any::<u8>(), 0..16).prop_map(Step::Binary),
            Just(Step::Pong),
            (0u32..120_000).prop_map(Step::Wait),
            Just(Step::Action),
        ],
        0..24,
    )
}

/// How the machine is closed after the steps (if the steps did not close it already).
#[derive(Debug, Clone, Copy)]
enum Closer {
    /// The host reports the end of the transport.
    End,
    /// The host reports the access token expired.
    TokenExpired,
    /// The token's expiry instant passes.
    ExpiryInstant,
    /// No frame arrives within the silence timeout.
    Silence,
}

fn closer() -> impl Strategy<Value = Closer> {
    prop::sample::select(vec![
        Closer::End,
        Closer::TokenExpired,
        Closer::ExpiryInstant,
        Closer::Silence,
    ])
}

/// An input after the close.
#[derive(Debug, Clone)]
enum After {
    Text(String),
    Binary(Vec<u8>),
    Pong,
    Timeout(u32),
    TokenExpired,
    End,
    /// The host refuses something, or delivers a message (session); sets a token expiry or
    /// connects another session of the same user (hub).
    Command,
}

fn after(known: Vec<String>) -> impl Strategy<Value = Vec<After>> {
    prop::collection::vec(
        prop_oneof![
            text(known).prop_map(After::Text),
            prop::collection::vec(any::<u8>(), 0..16).prop_map(After::Binary),
            Just(After::Pong),
            (0u32..600_000).prop_map(After::Timeout),
            Just(After::TokenExpired),
            Just(After::End),
            Just(After::Command),
        ],
        1..24,
    )
}

/// A post of alice's: the hub sends it to alice (its creator).
fn action() -> ActionNotice {
    let mut notice = ActionNotice::new(ActionType::Post, "a1", "alice", UNIX);
    notice.content = Some("hello".into());
    notice
}

/// A session on a virtual clock whose outputs are drained after every step.
struct SessionRun {
    session: Session,
    t0: Instant,
    now: Instant,
}

impl SessionRun {
    fn wall(&self) -> std::time::SystemTime {
        wall(UNIX + i64::try_from(self.now.duration_since(self.t0).as_secs()).unwrap())
    }

    fn drain(&mut self) {
        while self.session.poll_transmit().is_some() {}
        while self.session.poll_event().is_some() {}
    }

    /// A step; host misuse is impossible here (outputs are drained), so only `Closed` may be
    /// refused, once the steps closed the session.
    fn step(&mut self, step: &Step) {
        let (now, wall) = (self.now, self.wall());
        let result = match step {
            Step::Text(text) => self.session.handle_text(now, wall, text),
            Step::Binary(bytes) => self.session.handle_binary(now, wall, bytes),
            Step::Pong => self.session.handle_pong(now, wall),
            Step::Wait(ms) => {
                self.now += Duration::from_millis(u64::from(*ms));
                self.session.handle_timeout(self.now, self.wall())
            }
            Step::Action => self
                .session
                .deliver(&ServerMessage::Action(action()))
                .map(drop),
        };
        if let Err(e) = result {
            let reason = self.session.close_reason();
            assert!(reason.is_some(), "{e:?} on an open session");
            assert_eq!(e, SessionError::Closed(reason.unwrap()));
        }
        self.drain();
    }

    fn close(&mut self, closer: Closer) {
        if self.session.close_reason().is_some() {
            return;
        }
        let silence = self.session.config().silence_timeout.unwrap();
        let wall = self.wall();
        match closer {
            Closer::End => self.session.handle_end(self.now).unwrap(),
            Closer::TokenExpired => self.session.handle_token_expired(wall).unwrap(),
            Closer::ExpiryInstant => {
                let at = self.now + Duration::from_secs(1);
                self.session.set_token_expiry(Some(at));
                self.now = at;
                self.session.handle_timeout(at, self.wall()).unwrap();
            }
            Closer::Silence => {
                self.now += silence;
                self.session.handle_timeout(self.now, self.wall()).unwrap();
            }
        }
        let expected = match closer {
            Closer::End => CloseReason::Ended,
            Closer::TokenExpired | Closer::ExpiryInstant => CloseReason::TokenExpired,
            Closer::Silence => CloseReason::Silent,
        };
        assert_eq!(self.session.close_reason(), Some(expected));
        self.drain();
    }
}

fn session_refuses_everything_once_closed(
    dialect: Dialect,
    steps: &[Step],
    closer: Closer,
    after: &[After],
) {
    let t0 = Instant::now();
    let session = Session::with_dialect(
        t0,
        wall(UNIX),
        Arc::new(SessionConfig::default()),
        "sess_1",
        "alice",
        dialect,
    );
    let mut run = SessionRun {
        session,
        t0,
        now: t0,
    };
    for step in steps {
        run.step(step);
    }
    run.close(closer);
    let closed = Err(SessionError::Closed(run.session.close_reason().unwrap()));
    for input in after {
        let (now, wall) = (run.now, run.wall());
        let s = &mut run.session;
        match input {
            After::Text(text) => assert_eq!(s.handle_text(now, wall, text), closed),
            After::Binary(bytes) => assert_eq!(s.handle_binary(now, wall, bytes), closed),
            After::Pong => assert_eq!(s.handle_pong(now, wall), closed),
            After::Timeout(ms) => {
                run.now += Duration::from_millis(u64::from(*ms));
                let later = run.wall();
                assert_eq!(run.session.handle_timeout(run.now, later), closed);
            }
            After::TokenExpired => assert_eq!(s.handle_token_expired(wall), closed),
            After::End => assert_eq!(s.handle_end(now), closed),
            After::Command => {
                let refusal = PeerError::Permission("no".into());
                assert_eq!(s.reject(wall, refusal), closed);
                let message = ServerMessage::Action(action());
                assert_eq!(s.deliver(&message).map(drop), closed);
            }
        }
        assert_eq!(run.session.poll_transmit(), None, "{input:?}");
        assert_eq!(run.session.poll_event(), None, "{input:?}");
        assert_eq!(run.session.poll_timeout(), None);
    }
}

proptest! {
    #[test]
    fn a_closed_seed_session_refuses_every_input(
        steps in steps(client_frames()),
        closer in closer(),
        after in after(client_frames()),
    ) {
        session_refuses_everything_once_closed(Dialect::Seed, &steps, closer, &after);
    }

    #[test]
    fn a_closed_cloudillo_session_refuses_every_input(
        steps in steps(client_frames()),
        closer in closer(),
        after in after(client_frames()),
    ) {
        session_refuses_everything_once_closed(Dialect::Cloudillo, &steps, closer, &after);
    }

    #[test]
    fn a_closed_hub_session_refuses_every_input(
        cloudillo in any::<bool>(),
        steps in steps(client_frames()),
        closer in closer(),
        after in after(client_frames()),
    ) {
        hub_session_refuses_everything_once_closed(cloudillo, &steps, closer, &after);
    }

    #[test]
    fn a_stopped_client_refuses_every_input(
        before in prop::collection::vec(client_input(), 0..8),
        steps in prop::collection::vec(client_step(), 0..24),
        after in prop::collection::vec(client_input(), 1..24),
    ) {
        client_refuses_everything_while_stopped(&before, &steps, &after);
    }
}

fn hub_session_refuses_everything_once_closed(
    cloudillo: bool,
    steps: &[Step],
    closer: Closer,
    after: &[After],
) {
    let t0 = Instant::now();
    let mut now = t0;
    let at = |now: Instant| wall(UNIX + i64::try_from((now - t0).as_secs()).unwrap());
    let mut hub = Hub::new(HubConfig::default(), NoRelations);
    let dialect = if cloudillo {
        Dialect::Cloudillo
    } else {
        Dialect::Seed
    };
    let bob = hub.connect(now, at(now), "t", "bob", "s_bob").unwrap();
    let subscribe = r#"{"type":"subscribe","events":["action","presence","typing"]}"#;
    hub.handle_text(now, at(now), bob, subscribe).unwrap();
    let alice = hub
        .connect_with_dialect(now, at(now), "t", "alice", "s_alice", dialect)
        .unwrap();
    let drain = |hub: &mut Hub| {
        while hub.poll_transmit().is_some() {}
        while hub.poll_event().is_some() {}
    };
    let check = |hub: &Hub, result: Result<(), HubError>| {
        if let Err(e) = result {
            assert!(hub.session(alice).is_none(), "{e:?} on an open session");
            assert_eq!(e, HubError::Closed(alice));
        }
    };
    drain(&mut hub);
    for step in steps {
        let result = match step {
            Step::Text(text) => hub.handle_text(now, at(now), alice, text),
            Step::Binary(bytes) => hub.handle_binary(now, at(now), alice, bytes),
            Step::Pong => hub.handle_pong(now, at(now), alice),
            Step::Wait(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                hub.handle_timeout(now, at(now)).unwrap();
                Ok(())
            }
            Step::Action => {
                let post = action();
                let route = ActionRoute {
                    tenant: "t",
                    action: &post,
                    parent_owner: None,
                    participants: &[],
                    recipient: None,
                };
                hub.publish_action(&route).map(drop).map_err(|e| match e {
                    PublishError::Hub(e) => e,
                    other => panic!("{other}"),
                })
            }
        };
        check(&hub, result);
        drain(&mut hub);
    }
    if hub.session(alice).is_some() {
        match closer {
            Closer::End => hub.handle_end(now, at(now), alice).unwrap(),
            Closer::TokenExpired => hub.handle_token_expired(now, at(now), alice).unwrap(),
            Closer::ExpiryInstant => {
                let expiry = now + Duration::from_secs(1);
                hub.set_token_expiry(alice, Some(expiry)).unwrap();
                now = expiry;
                hub.handle_timeout(now, at(now)).unwrap();
            }
            Closer::Silence => {
                now += SessionConfig::default().silence_timeout.unwrap();
                hub.handle_timeout(now, at(now)).unwrap();
            }
        }
    }
    assert!(hub.session(alice).is_none());
    assert!(!hub.sessions_of("alice").contains(&alice));
    drain(&mut hub);
    let closed = Err(HubError::Closed(alice));
    let mut others: Vec<SessionKey> = Vec::new();
    for input in after {
        let wall = at(now);
        match input {
            After::Text(text) => assert_eq!(hub.handle_text(now, wall, alice, text), closed),
            After::Binary(bytes) => assert_eq!(hub.handle_binary(now, wall, alice, bytes), closed),
            After::Pong => assert_eq!(hub.handle_pong(now, wall, alice), closed),
            After::Timeout(ms) => {
                now += Duration::from_millis(u64::from(*ms));
                hub.handle_timeout(now, at(now)).unwrap();
            }
            After::TokenExpired => {
                assert_eq!(hub.handle_token_expired(now, wall, alice), closed);
            }
            After::End => assert_eq!(hub.handle_end(now, wall, alice), closed),
            After::Command => {
                let expiry = Some(now + Duration::from_secs(1));
                assert_eq!(hub.set_token_expiry(alice, expiry), closed);
                // Another session of alice may take the freed slot: the old key stays closed.
                if let Ok(key) = hub.connect_with_dialect(now, wall, "t", "alice", "s2", dialect) {
                    assert_ne!(key, alice);
                    others.push(key);
                }
            }
        }
        // Nothing is ever addressed to the closed session.
        while let Some(t) = hub.poll_transmit() {
            assert!(!t.recipients.as_slice().contains(&alice), "{t:?}");
        }
        while hub.poll_event().is_some() {}
        assert!(hub.session(alice).is_none());
    }
}

/// An input a client host hands in.
#[derive(Debug, Clone)]
enum ClientInput {
    Open,
    Text(String),
    End,
    Timeout(u32),
}

fn client_input() -> impl Strategy<Value = ClientInput> {
    prop_oneof![
        Just(ClientInput::Open),
        text(server_frames()).prop_map(ClientInput::Text),
        Just(ClientInput::End),
        (0u32..600_000).prop_map(ClientInput::Timeout),
    ]
}

/// A step of a started client: an input, or a command of the host.
#[derive(Debug, Clone)]
enum ClientStep {
    Input(ClientInput),
    SetToken,
    Send,
}

fn client_step() -> impl Strategy<Value = ClientStep> {
    prop_oneof![
        4 => client_input().prop_map(ClientStep::Input),
        1 => Just(ClientStep::SetToken),
        1 => Just(ClientStep::Send),
    ]
}

/// Hands `input` to `client`, advancing `now` for a timeout.
fn feed(client: &mut Client, now: &mut Instant, input: &ClientInput) -> Result<(), ClientError> {
    match input {
        ClientInput::Open => client.handle_open(*now),
        ClientInput::Text(text) => client.handle_text(*now, text),
        ClientInput::End => client.handle_end(*now),
        ClientInput::Timeout(ms) => {
            *now += Duration::from_millis(u64::from(*ms));
            client.handle_timeout(*now)
        }
    }
}

fn client_refuses_everything_while_stopped(
    before: &[ClientInput],
    steps: &[ClientStep],
    after: &[ClientInput],
) {
    let mut now = Instant::now();
    let mut client = Client::new(ClientConfig::default(), 7);
    let drain = |client: &mut Client| {
        while client.poll_transmit().is_some() {}
        while client.poll_event().is_some() {}
    };
    // Not started yet: closed.
    for input in before {
        assert_eq!(feed(&mut client, &mut now, input), Err(ClientError::Closed));
        assert_eq!(client.poll_transmit(), None);
        assert_eq!(client.poll_event(), None);
    }
    client.start(now, "token").unwrap();
    for step in steps {
        match step {
            // Outputs are drained after every step: a started client refuses nothing.
            ClientStep::Input(input) => feed(&mut client, &mut now, input).unwrap(),
            ClientStep::SetToken => client.set_token(now, "fresh", None),
            ClientStep::Send => {
                let sent = client.send(ClientMessage::Ping);
                assert!(sent.is_ok() || sent == Err(ClientError::NotConnected));
            }
        }
        assert!(!client.is_closed());
        drain(&mut client);
    }
    client.stop();
    assert!(client.is_closed());
    drain(&mut client);
    for input in after {
        assert_eq!(feed(&mut client, &mut now, input), Err(ClientError::Closed));
        // A fresh token does not restart a stopped client; only `start` does.
        client.set_token(now, "fresh", None);
        assert_eq!(client.poll_transmit(), None, "{input:?}");
        assert_eq!(client.poll_event(), None, "{input:?}");
        assert_eq!(client.poll_timeout(), None);
    }
}
