//! Federation with an independent ActivityPub server: a real cattle_grid 0.5.22 (Python, on
//! bovine) and a fedi-hub on loopback exchange notes in both directions over HTTP, each
//! fetching the other's actor with a signed GET and verifying the other's signed POST.
//!
//! cattle_grid runs behind its front (`cattle_common::front`: the signature check a
//! cattle_grid deployment's reverse proxy asks `/auth/auth` for); its account is driven over the
//! Cattle Drive AMQP API. Needs the `cattle-interop` venv, RabbitMQ on 127.0.0.1:5672 and
//! `rabbitmqctl`; skips with a notice without them unless FEDI_TEST_STRICT is set.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;
mod hub_common;

use std::time::Duration;

use activitystreams_core::http_signatures::{KeyKind, PublicKey};
use cattle_common::grid::{CattleGrid, skip, venv_python};
use cattle_common::{account, seed, service_up, unique_suffix};
use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
use cattle_drive_types::message::{
    ActivityMessage, CreateActorRequest, EventInformation, EventType, Request, Response, Trigger,
};
use cattle_drive_types::topic::Transport;
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, TriggerOutcome};
use fedi_examples::hub::ActorKeyKind;
use hub_common::{ALICE, PATIENCE, TestHub, federating, get, post_over_socket};
use serde_json::{Map, Value, json};

/// A federating cattle_grid with the actor `moo` of its account, a hub on loopback, and the
/// account's Cattle Drive client.
struct Peers {
    grid: CattleGrid,
    hub: TestHub,
    client: CattleClient,
    /// moo's actor id.
    moo: String,
    /// moo's followers collection.
    moo_followers: String,
    /// alice's actor id on the hub.
    alice: String,
}

impl Peers {
    /// Starts both, the hub making actor keys of `keys`, or returns `None` (after the notice
    /// `skip` gives) when cattle_grid cannot run here.
    async fn start(keys: ActorKeyKind) -> Option<Peers> {
        if !service_up("127.0.0.1:5672", "RabbitMQ") {
            return None;
        }
        let Some(python) = venv_python() else {
            skip("the cattle-interop venv is missing");
            return None;
        };
        let suffix = unique_suffix();
        let owner = account("peer", &suffix);
        let grid = match CattleGrid::federating(&python, &owner, &suffix) {
            Ok(grid) => grid,
            Err(error) => {
                skip(&format!("cannot start cattle_grid: {error}"));
                return None;
            }
        };
        let mut config = federating();
        config.federation.actor_keys = keys;
        let hub = TestHub::start_with(config).await;
        let alice = format!("{}/users/alice", hub.base);

        let mut config = ClientConfig::new(Transport::Amqp);
        config.request_timeout = Duration::from_secs(1);
        config.trigger_error_window = Duration::from_secs(3);
        let core = Client::new(owner.clone(), config, seed());
        let queue = format!("cattle-peer-client-{suffix}");
        let (link, deliveries) =
            AmqpLink::connect(&grid.amqp_uri(), None, &queue, &core.subscriptions())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        let client = CattleClient::start(core, link, deliveries).unwrap_or_else(|e| panic!("{e}"));
        grid.wait_for_info(&client).await;

        let mut create = CreateActorRequest::new(&grid.base_url);
        create.preferred_username = Some("moo".into());
        create.automatically_accept_followers = Some(true);
        let created = client.request(Request::CreateActor(create)).await;
        let Ok(Response::CreateActor(actor)) = created else {
            panic!("create_actor: {created:?}\n{}", grid.log())
        };
        let moo = actor.id().unwrap_or_default().to_owned();
        assert!(moo.starts_with(&grid.base_url), "{moo}");
        let moo_followers = actor.0["followers"].as_str().unwrap_or_default().to_owned();
        Some(Peers {
            grid,
            hub,
            client,
            moo,
            moo_followers,
            alice,
        })
    }

    /// moo sends `activity` (`send_message`).
    async fn moo_sends(&self, activity: Value) {
        let Value::Object(activity) = activity else {
            panic!("not an object: {activity}")
        };
        let sent = self
            .client
            .trigger(Trigger::SendMessage(ActivityMessage::new(
                &self.moo, activity,
            )))
            .await;
        assert!(
            matches!(sent, Ok(TriggerOutcome::Sent(_))),
            "send_message: {sent:?}"
        );
    }

    /// The next event of the account about an activity of type `kind` in `direction`, the
    /// events before it (the account's other traffic) passed over.
    async fn event(&mut self, kind: &str, direction: EventType) -> EventInformation {
        loop {
            match self.grid.next_event(&mut self.client).await {
                ClientEvent::Event {
                    activity_type,
                    event,
                    ..
                } if activity_type == kind && event.event_type == direction => return event,
                _ => {}
            }
        }
    }

    /// Waits until alice's inbox on the hub holds an activity of type `kind` whose object has
    /// `content` (when given).
    async fn alice_receives(&self, kind: &str, content: Option<&str>) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let page = get(
                &format!("{}/users/alice/inbox?page=true", self.hub.base),
                Some(ALICE),
            )
            .await
            .json();
            if let Some(found) = page["orderedItems"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["type"] == kind && content.is_none_or(|c| a["object"]["content"] == c))
            {
                return found.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "alice's inbox: {page}\ncattle_grid log:\n{}",
                self.grid.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// alice posts `activity` over the C2S WebSocket; returns the delivery status reported for
    /// moo.
    async fn alice_posts(&self, activity: &Value) -> String {
        post_over_socket(&self.hub, "alice", ALICE, activity, &self.moo).await
    }
}

/// The `raw` activity of `event`.
fn raw(event: &EventInformation) -> &Map<String, Value> {
    event.raw().unwrap_or_else(|| panic!("{event:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_goes_each_way_between_the_hub_and_cattle_grid() {
    // The default: alice signs with RSA (rsa-sha256), as Mastodon-style servers require.
    a_note_goes_each_way(ActorKeyKind::Rsa, KeyKind::Rsa).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_goes_each_way_with_ed25519_actor_keys() {
    a_note_goes_each_way(ActorKeyKind::Ed25519, KeyKind::Ed25519).await;
}

async fn a_note_goes_each_way(keys: ActorKeyKind, expected: KeyKind) {
    let Some(mut peers) = Peers::start(keys).await else {
        return;
    };
    let (moo, alice) = (peers.moo.clone(), peers.alice.clone());
    let document = get(&alice, None).await.json();
    let pem = document["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        PublicKey::from_pem(pem).map(|k| k.kind()).ok(),
        Some(expected)
    );

    // cattle_grid serves its actors only to signed requests.
    let unsigned = get(&moo, None).await;
    assert_eq!(unsigned.status, 401, "{:?}", unsigned.body);

    // cattle_grid to the hub: cattle_grid fetches alice (signed by its own key-fetching actor),
    // signs the delivery with moo's RSA key (rsa-sha256); the hub fetches moo's key (signed as
    // alice, which cattle_grid's front checks against the hub), verifies and stores.
    let note = format!("{moo}/notes/1");
    peers
        .moo_sends(json!({"@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create", "id": format!("{note}/activity"), "actor": moo, "to": [alice],
            "object": {"type": "Note", "id": note, "attributedTo": moo, "to": [alice],
                       "content": "moo to alice"}}))
        .await;
    let arrived = peers.alice_receives("Create", Some("moo to alice")).await;
    assert_eq!(arrived["actor"], Value::from(moo.clone()));
    assert_eq!(arrived["object"]["id"], Value::from(note));
    peers.event("Create", EventType::Outgoing).await;

    // The hub to cattle_grid: alice's post is delivered to moo's inbox (moo's document fetched
    // signed as alice, the delivery signed with alice's key: rsa-sha256 or hs2019), and
    // cattle_grid hands it to moo's account as an incoming event.
    let post = json!({"type": "Note", "content": "alice to moo", "to": [moo]});
    let status = peers.alice_posts(&post).await;
    assert_eq!(
        status,
        "delivered",
        "cattle_grid log:\n{}",
        peers.grid.log()
    );
    let incoming = peers.event("Create", EventType::Incoming).await;
    assert_eq!(incoming.actor, moo);
    assert_eq!(raw(&incoming).get("actor"), Some(&Value::from(alice)));
    assert_eq!(
        raw(&incoming).get("object").and_then(|o| o.get("content")),
        Some(&json!("alice to moo"))
    );
    peers.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_go_each_way_between_the_hub_and_cattle_grid() {
    let Some(mut peers) = Peers::start(ActorKeyKind::default()).await else {
        return;
    };
    let (moo, alice) = (peers.moo.clone(), peers.alice.clone());

    // moo follows alice: the hub records moo as her follower and sends the Accept, which
    // cattle_grid takes (moo's account sees it come in); alice's post to her followers then
    // reaches moo.
    let follow = format!("{moo}/follows/1");
    peers
        .moo_sends(json!({"@context": "https://www.w3.org/ns/activitystreams",
            "type": "Follow", "id": follow, "actor": moo, "object": alice, "to": [alice]}))
        .await;
    let followed = peers.alice_receives("Follow", None).await;
    assert_eq!(followed["actor"], Value::from(moo.clone()));
    let accept = peers.event("Accept", EventType::Incoming).await;
    assert_eq!(raw(&accept).get("actor"), Some(&Value::from(alice.clone())));
    let followers = format!("{alice}/followers");
    let post = json!({"type": "Note", "content": "alice to her followers", "to": [followers]});
    assert_eq!(peers.alice_posts(&post).await, "delivered");
    let incoming = peers.event("Create", EventType::Incoming).await;
    assert_eq!(
        raw(&incoming).get("object").and_then(|o| o.get("content")),
        Some(&json!("alice to her followers"))
    );

    // alice follows moo, who accepts followers automatically: cattle_grid's Accept reaches
    // alice's inbox, and moo's post to its followers reaches alice.
    let follow = json!({"type": "Follow", "object": moo, "to": [moo]});
    assert_eq!(peers.alice_posts(&follow).await, "delivered");
    let accepted = peers.alice_receives("Accept", None).await;
    assert_eq!(accepted["actor"], Value::from(moo.clone()));
    let note = format!("{moo}/notes/2");
    let moo_followers = peers.moo_followers.clone();
    peers
        .moo_sends(json!({"@context": "https://www.w3.org/ns/activitystreams",
            "type": "Create", "id": format!("{note}/activity"), "actor": moo,
            "to": [moo_followers],
            "object": {"type": "Note", "id": note, "attributedTo": moo, "to": [moo_followers],
                       "content": "moo to its followers"}}))
        .await;
    let arrived = peers
        .alice_receives("Create", Some("moo to its followers"))
        .await;
    assert_eq!(arrived["actor"], Value::from(moo));
    peers.hub.stop().await;
}
