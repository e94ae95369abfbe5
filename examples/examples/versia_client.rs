//! Delivers one entity to a Versia instance over its instance WebSocket with versia-ws's
//! `client::connect` (feature `tokio-tungstenite`): a signed upgrade, the peer's signed `101`
//! checked, the entity signed and sent, its acknowledgement awaited, then a normal close.
//!
//! ```sh
//! cargo run -p fedi-examples --example versia_client -- \
//!     ws://127.0.0.1:8080 PEER_DOMAIN PEER_SPKI OUR_DOMAIN OUR_PKCS8 '{"type":"Note",…}'
//! ```
//!
//! The peer (a `fedi-hub` started with `--versia-domain PEER_DOMAIN` and
//! `--versia-peer OUR_DOMAIN=OUR_SPKI`) is reached at `BASE/.versia/v0.6/ws`. Prints
//! `ack<TAB>ID` when the entity is acknowledged (`refused<TAB>STATUS<TAB>CODE` when the peer
//! refuses it) and `closed<TAB>CODE` at the end.

use std::error::Error;

use versia_ws::connection::{CloseCode, Config, Event, Initiator, LocalIdentity};
use versia_ws::{PrivateKey, PublicKey, SignedBy, SignerKey, Version};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base, peer, peer_key, us, our_key, entity] = args.as_slice() else {
        return Err(
            "usage: versia_client BASE PEER_DOMAIN PEER_SPKI OUR_DOMAIN OUR_PKCS8 ENTITY".into(),
        );
    };
    let identity = LocalIdentity {
        signer: SignedBy::instance(us.as_str()),
        key: PrivateKey::from_pkcs8_base64(our_key)?,
    };
    let peer = SignedBy::instance(peer.as_str());
    let keys = SignerKey {
        signer: peer.clone(),
        key: PublicKey::from_spki_base64(peer_key)?,
    };
    let initiator = Initiator::new(Config::new(Version::V0_6), identity, peer);
    let mut client = versia_ws::client::connect(base, initiator, keys).await?;

    let sent = client.send_entity(entity.as_str())?;
    while let Some(event) = client.next_event().await {
        match event {
            Event::Delivered { signature, id } if signature == sent => {
                println!("ack\t{}", id.unwrap_or_default());
                client.close(CloseCode::NORMAL, "delivered");
            }
            Event::Refused { status, code, .. } => {
                println!("refused\t{status}\t{code}");
                client.close(CloseCode::NORMAL, "refused");
            }
            Event::Closed { code, .. } => println!("closed\t{}", code.0),
            other => eprintln!("{other:?}"),
        }
    }
    Ok(())
}
