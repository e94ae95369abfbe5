//! Cattle Drive over MQTT 5 on the real local Mosquitto (127.0.0.1:1883): a client and a test
//! server built from cattle-drive-types, correlation ids as MQTT 5 Correlation Data.
//!
//! Mosquitto here admits anonymous clients and has no ACLs, so no broker identity exists: the
//! topic rules are enforced by the client's guard (`AccountLink`, `CattleClient::start`) and the
//! correlation machine, which must not take a forged answer for a real one. Names are unique per
//! run (client ids, accounts), so parallel runs do not collide.

#[allow(dead_code, reason = "each test file uses a part of the shared helpers")]
mod cattle_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cattle_common::{BASE_URL, account, config, seed, service_up, spawn_service, unique_suffix};
use cattle_drive_types::client::{Client, ClientConfig, ClientEvent};
use cattle_drive_types::message::{
    Body, CreateActorRequest, InfoRequest, InformationResponse, NameAndVersion, Request, Response,
    Trigger, TriggerMessage,
};
use cattle_drive_types::topic::{
    AccountName, Transport, TriggerMethod, client_filters, server_filters,
};
use fedi_examples::cattle::mqtt::MqttLink;
use fedi_examples::cattle::{AccountLink, CattleClient, Link, LinkError, RequestError};

const HOST: &str = "127.0.0.1";
const PORT: u16 = 1883;

async fn start_server(accounts: &[&AccountName], suffix: &str) -> Arc<Mutex<Vec<String>>> {
    let filters: Vec<String> = accounts
        .iter()
        .flat_map(|a| server_filters(Some(a), Transport::Mqtt))
        .collect();
    let client_id = format!("cattle-test-server-{suffix}");
    let (link, deliveries) = MqttLink::connect(HOST, PORT, &client_id, &filters)
        .await
        .unwrap_or_else(|e| panic!("server: {e}"));
    spawn_service(link, deliveries, accounts, Transport::Mqtt, false)
}

async fn start_client(core: Client, client_id: &str) -> CattleClient {
    let filters = core.subscriptions();
    let (link, deliveries) = MqttLink::connect(HOST, PORT, client_id, &filters)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let link = AccountLink::new(core.account().clone(), Transport::Mqtt, link);
    CattleClient::start(core, link, deliveries).unwrap_or_else(|e| panic!("{e}"))
}

fn core(account: &AccountName, timeout: Duration) -> Client {
    Client::new(
        account.clone(),
        config(ClientConfig::new(Transport::Mqtt), timeout),
        seed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_server_exchange_everything_over_mqtt() {
    if !service_up("127.0.0.1:1883", "Mosquitto") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("ml", &suffix);
    let _rejections = start_server(&[&alice], &suffix).await;
    let mut client = start_client(
        core(&alice, Duration::from_secs(3)),
        &format!("cattle-test-{alice}"),
    )
    .await;

    let actor_id = cattle_common::walk_the_protocol(&mut client, &alice).await;

    let (injector, _) = MqttLink::connect(HOST, PORT, &format!("cattle-test-inject-{suffix}"), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    cattle_common::deliver_follow(&injector, Transport::Mqtt, &alice, &mut client, &actor_id).await;
    injector.close().await;

    cattle_common::delete_actor(&mut client, &actor_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_time_out_over_mqtt() {
    if !service_up("127.0.0.1:1883", "Mosquitto") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("mt", &suffix);
    let client = start_client(
        core(&alice, Duration::from_millis(400)),
        &format!("cattle-test-{alice}-1"),
    )
    .await;
    let info = client.request(Request::Info(InfoRequest)).await;
    assert!(matches!(info, Err(RequestError::TimedOut)), "{info:?}");

    let _rejections = start_server(&[&alice], &suffix).await;
    let mut quiet = core(&alice, Duration::from_millis(400));
    quiet.set_method_replies("silent_method", true);
    let client = start_client(quiet, &format!("cattle-test-{alice}-2")).await;
    let created = client
        .request(Request::CreateActor(CreateActorRequest::new(BASE_URL)))
        .await;
    let Ok(Response::CreateActor(actor)) = created else {
        panic!("create_actor: {created:?}")
    };
    let method = TriggerMethod::new("silent_method").unwrap_or_else(|e| panic!("{e}"));
    let message = TriggerMessage::new(actor.id().unwrap_or_default());
    let outcome = client.trigger(Trigger::Extension { method, message }).await;
    assert!(
        matches!(outcome, Err(RequestError::TimedOut)),
        "{outcome:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_accounts_topics_are_refused_and_forgeries_resolve_nothing() {
    if !service_up("127.0.0.1:1883", "Mosquitto") {
        return;
    }
    let suffix = unique_suffix();
    let alice = account("ma", &suffix);
    let bob = account("mb", &suffix);
    let rejections = start_server(&[&alice], &suffix).await;
    let mut client = start_client(
        core(&alice, Duration::from_secs(2)),
        &format!("cattle-test-{alice}"),
    )
    .await;

    // Bob's guarded link publishes only bob's requests and triggers ...
    let (raw, _) = MqttLink::connect(HOST, PORT, &format!("cattle-test-{bob}"), &[])
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let bob_link = AccountLink::new(bob.clone(), Transport::Mqtt, raw);
    for topic in [
        format!("send/{alice}/request/info"),
        format!("receive/{alice}/response/info"),
        format!("error/{alice}"),
    ] {
        let refused = bob_link.publish(&topic, None, b"{}").await;
        assert!(
            matches!(refused, Err(LinkError::Unauthorized(_))),
            "{topic}: {refused:?}"
        );
    }
    // ... and subscribes only to bob's answers.
    let snoop = [format!("receive/{alice}/#")];
    let refused = AccountLink::<MqttLink>::check_filters(&bob, Transport::Mqtt, &snoop);
    assert!(
        matches!(refused, Err(LinkError::Unauthorized(_))),
        "{refused:?}"
    );
    assert!(
        AccountLink::<MqttLink>::check_filters(
            &bob,
            Transport::Mqtt,
            &client_filters(&bob, Transport::Mqtt)
        )
        .is_ok()
    );

    // Unguarded, a rogue client can publish a forged answer: alice's client reports it and
    // resolves nothing with it.
    let forged =
        InformationResponse::new(alice.as_str(), NameAndVersion::new("forger", "1")).to_json();
    let forged_id = "5d2c9f8e-0000-4000-8000-000000000000";
    bob_link
        .inner()
        .publish(
            &format!("receive/{alice}/response/info"),
            Some(forged_id),
            &forged,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match tokio::time::timeout(Duration::from_secs(5), client.next_event()).await {
        Ok(Some(ClientEvent::Unsolicited { correlation_id, .. })) => {
            assert_eq!(correlation_id.as_deref(), Some(forged_id))
        }
        other => panic!("forged answer: {other:?}"),
    }
    // A publish for an account this server does not serve reaches no one; a malformed one for
    // alice is refused with an error message.
    bob_link
        .inner()
        .publish(&format!("send/{bob}/request/info"), None, b"{}")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    bob_link
        .inner()
        .publish(
            &format!("send/{alice}/trigger/delete_actor"),
            Some("c1"),
            br#"{"actor":"x","reason":"bye"}"#,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match tokio::time::timeout(Duration::from_secs(5), client.next_event()).await {
        Ok(Some(ClientEvent::Unsolicited {
            correlation_id,
            message,
            ..
        })) => {
            assert_eq!(correlation_id.as_deref(), Some("c1"));
            assert!(
                matches!(message, cattle_drive_types::message::Message::Error(_)),
                "{message:?}"
            );
        }
        other => panic!("error for the malformed trigger: {other:?}"),
    }
    let seen = rejections.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(
        seen.iter()
            .all(|r| r.starts_with("refused: invalid trigger.delete_actor")),
        "{seen:?}"
    );
    // Alice's own requests still work.
    let info = client.request(Request::Info(InfoRequest)).await;
    let Ok(Response::Info(info)) = info else {
        panic!("{info:?}")
    };
    assert_eq!(info.backend.name, "cattle-drive-types");
    bob_link.inner().close().await;
}
