//! Cattle Drive over the real local RabbitMQ (127.0.0.1:5672): a client and a test server built
//! from cattle-drive-types, with per-account broker users whose topic permissions come from
//! `RabbitMqTopicPermissions` (what cattle_grid's auth backend enforces).
//!
//! Each test creates its own users, accounts and exclusive queues under a unique suffix and
//! deletes the users when done, so parallel runs do not collide.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cattle_common::{
    BASE_URL, account, config, rabbitmqctl, seed, service_up, spawn_service, strict, unique_suffix,
};
use cattle_drive_types::client::{Client, ClientConfig};
use cattle_drive_types::message::{
    CreateActorRequest, InfoRequest, Request, Response, Trigger, TriggerMessage,
};
use cattle_drive_types::topic::{
    AccountName, RabbitMqTopicPermissions, Transport, TriggerMethod, server_filters,
};
use fedi_examples::cattle::amqp::AmqpLink;
use fedi_examples::cattle::{CattleClient, Link, LinkError, RequestError};

const BROKER: &str = "127.0.0.1:5672";
const GUEST_URI: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Broker users named after accounts, removed on drop.
struct Users {
    names: Vec<AccountName>,
    password: String,
}

impl Users {
    /// Creates a user per account with full resource rights and the account's topic permissions
    /// on `amq.topic`; `None` (with a notice, or a failure under FEDI_TEST_STRICT) when
    /// rabbitmqctl cannot manage users here.
    fn create(accounts: &[&AccountName], suffix: &str) -> Option<Users> {
        let mut users = Users {
            names: Vec::new(),
            password: format!("pw{suffix}"),
        };
        for account in accounts {
            let name = account.as_str();
            let permissions = RabbitMqTopicPermissions::for_account(account);
            let created = rabbitmqctl(&["add_user", name, &users.password])
                .and_then(|()| rabbitmqctl(&["set_permissions", "-p", "/", name, ".*", ".*", ".*"]))
                .and_then(|()| {
                    rabbitmqctl(&[
                        "set_topic_permissions",
                        "-p",
                        "/",
                        name,
                        permissions.exchange,
                        &permissions.write,
                        &permissions.read,
                    ])
                });
            users.names.push((*account).clone());
            if let Err(error) = created {
                assert!(
                    !strict(),
                    "cannot create RabbitMQ users ({error}): run scripts/test as a user allowed to use rabbitmqctl"
                );
                eprintln!("skipping: cannot create RabbitMQ users: {error}");
                return None;
            }
        }
        Some(users)
    }

    fn uri(&self, account: &AccountName) -> String {
        format!("amqp://{account}:{}@127.0.0.1:5672/%2f", self.password)
    }
}

impl Drop for Users {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = rabbitmqctl(&["delete_user", name.as_str()]);
        }
    }
}

/// The test server: the in-memory account service behind `serve`, connected as guest (as
/// cattle_grid connects as its internal user), bound to the accounts' request and trigger keys.
/// Returns the list the refusals are recorded in.
async fn start_server(accounts: &[&AccountName], suffix: &str) -> Arc<Mutex<Vec<String>>> {
    let filters: Vec<String> = accounts
        .iter()
        .flat_map(|a| server_filters(Some(a), Transport::Amqp))
        .collect();
    let queue = format!("cattle-test-server-{suffix}");
    let (link, deliveries) = AmqpLink::connect(GUEST_URI, None, &queue, &filters)
        .await
        .unwrap_or_else(|e| panic!("server: {e}"));
    spawn_service(link, deliveries, accounts, Transport::Amqp, true)
}

async fn start_client(
    users: &Users,
    account: &AccountName,
    suffix: &str,
    timeout: Duration,
) -> (CattleClient, Client) {
    let client = Client::new(
        account.clone(),
        config(ClientConfig::new(Transport::Amqp), timeout),
        seed(),
    );
    let queue = format!("cattle-test-{account}-{suffix}");
    let (link, deliveries) = AmqpLink::connect(
        &users.uri(account),
        Some(account.as_str()),
        &queue,
        &client.subscriptions(),
    )
    .await
    .unwrap_or_else(|e| panic!("client {account}: {e}"));
    let spare = Client::new(account.clone(), ClientConfig::new(Transport::Amqp), 0);
    (
        CattleClient::start(client, link, deliveries).unwrap_or_else(|e| panic!("{e}")),
        spare,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_server_exchange_everything_over_amqp() {
    if !service_up(BROKER, "RabbitMQ") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("al", &suffix);
    let Some(users) = Users::create(&[&alice], &suffix) else {
        return;
    };
    let _rejections = start_server(&[&alice], &suffix).await;
    let (mut client, _) = start_client(&users, &alice, &suffix, Duration::from_secs(3)).await;

    let actor_id = cattle_common::walk_the_protocol(&mut client, &alice).await;

    // An incoming activity, published by the server side.
    let (injector, _) = AmqpLink::connect(GUEST_URI, None, "", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    cattle_common::deliver_follow(&injector, Transport::Amqp, &alice, &mut client, &actor_id).await;
    injector.close().await;

    cattle_common::delete_actor(&mut client, &actor_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_time_out_over_amqp() {
    if !service_up(BROKER, "RabbitMQ") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("to", &suffix);
    let Some(users) = Users::create(&[&alice], &suffix) else {
        return;
    };
    // No server at all: the request is published and nobody answers.
    let started = std::time::Instant::now();
    let (client, _) = start_client(&users, &alice, &suffix, Duration::from_millis(400)).await;
    let info = client.request(Request::Info(InfoRequest)).await;
    assert!(matches!(info, Err(RequestError::TimedOut)), "{info:?}");
    assert!(started.elapsed() >= Duration::from_millis(400));

    // A server that ignores a method said to reply: the trigger times out too.
    let _rejections = start_server(&[&alice], &suffix).await;
    let mut core = Client::new(
        alice.clone(),
        config(
            ClientConfig::new(Transport::Amqp),
            Duration::from_millis(400),
        ),
        seed(),
    );
    core.set_method_replies("silent_method", true);
    let queue = format!("cattle-test-{alice}-{suffix}-2");
    let (link, deliveries) = AmqpLink::connect(
        &users.uri(&alice),
        Some(alice.as_str()),
        &queue,
        &core.subscriptions(),
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let client = CattleClient::start(core, link, deliveries).unwrap_or_else(|e| panic!("{e}"));
    let created = client
        .request(Request::CreateActor(CreateActorRequest::new(BASE_URL)))
        .await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}")
    };
    let actor_id = actor.id().unwrap_or_default();
    let method = TriggerMethod::new("silent_method").unwrap_or_else(|e| panic!("{e}"));
    let trigger = client.trigger(Trigger::Extension {
        method,
        message: TriggerMessage::new(actor_id),
    });
    let outcome = trigger.await;
    assert!(
        matches!(outcome, Err(RequestError::TimedOut)),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_and_server_refuse_other_accounts() {
    if !service_up(BROKER, "RabbitMQ") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("az", &suffix);
    let bob = account("bz", &suffix);
    let Some(users) = Users::create(&[&alice, &bob], &suffix) else {
        return;
    };
    let rejections = start_server(&[&alice, &bob], &suffix).await;
    let (client, _) = start_client(&users, &alice, &suffix, Duration::from_millis(600)).await;

    // The broker refuses bob's publish on alice's key (topic write permission) ...
    let (bob_link, _) = AmqpLink::connect(&users.uri(&bob), Some(bob.as_str()), "", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let forged = bob_link
        .publish(&format!("send.{alice}.request.info"), Some("x"), b"{}")
        .await;
    assert!(matches!(forged, Err(LinkError::Amqp(_))), "{forged:?}");
    // ... bob's binding to alice's responses (topic read permission) ...
    let snoop = AmqpLink::connect(
        &users.uri(&bob),
        None,
        &format!("cattle-test-snoop-{suffix}"),
        &[format!("receive.{alice}.#")],
    )
    .await;
    assert!(matches!(snoop, Err(LinkError::Amqp(_))), "{snoop:?}");
    // ... and a user_id that is not the connection's user.
    let (bob_claims_alice, _) = AmqpLink::connect(&users.uri(&bob), Some(alice.as_str()), "", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let forged = bob_claims_alice
        .publish(&format!("send.{bob}.request.info"), Some("y"), b"{}")
        .await;
    assert!(matches!(forged, Err(LinkError::Amqp(_))), "{forged:?}");

    // The guest user has no topic limits; the server refuses by the broker-checked login.
    let (guest, _) = AmqpLink::connect(GUEST_URI, Some("guest"), "", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    guest
        .publish(&format!("send.{alice}.request.info"), Some("z"), b"{}")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (anonymous, _) = AmqpLink::connect(GUEST_URI, None, "", &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    anonymous
        .publish(&format!("send.{alice}.request.info"), Some("w"), b"{}")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    // Alice's own requests still work, and nothing the others sent reached her.
    let info = client.request(Request::Info(InfoRequest)).await;
    assert!(info.is_ok(), "{info:?}");
    let recorded = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let seen = rejections.lock().unwrap_or_else(|e| e.into_inner()).clone();
            if seen.len() >= 2 {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the server recorded no refusals"));
    assert!(
        recorded
            .iter()
            .any(|r| r.starts_with("unauthorized: account `guest` may not publish")),
        "{recorded:?}"
    );
    assert!(
        recorded.iter().any(|r| r.starts_with("no login:")),
        "{recorded:?}"
    );
    for link in [bob_link, bob_claims_alice, guest, anonymous] {
        link.close().await;
    }
}
