//! Signed server-to-server deliveries: the signer's key fetched (bounded, cached), the HTTP
//! signature verified, the signer checked against the activity's actor.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use activitystreams_core::Object;
use activitystreams_core::http_signatures::{
    PublicKey, VerifyOptions, VerifyingKey, signature_key_id, verify,
};
use bytes::Bytes;
use http::StatusCode;
use serde_json::Value;

use super::fetch::{FetchError, FetchSigner, Fetcher};
use crate::hub::config::FederationConfig;

/// Why a delivery is refused, with its status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// No signature, a bad one, an unknown or unreachable key, a date outside the window:
    /// `401`.
    #[error("signature refused: {0}")]
    Unauthorized(String),
    /// The signer is not the activity's actor: `403`.
    #[error("the activity's actor {actor:?} is not the signer {signer:?}")]
    ActorMismatch {
        /// The actor named by the activity.
        actor: String,
        /// The owner of the key that signed.
        signer: String,
    },
    /// Not an activity with an actor: `400`.
    #[error("not an activity: {0}")]
    Invalid(String),
}

impl Refusal {
    /// The status answered.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Refusal::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Refusal::ActorMismatch { .. } => StatusCode::FORBIDDEN,
            Refusal::Invalid(_) => StatusCode::BAD_REQUEST,
        }
    }
}

/// Checks signed deliveries, holding the keys of remote actors it fetched.
pub(crate) struct SignedInbox {
    fetcher: Fetcher,
    config: FederationConfig,
    /// Keys by key id; at most `config.key_cache`, emptied when full.
    keys: Mutex<HashMap<String, VerifyingKey>>,
}

impl SignedInbox {
    pub(crate) fn new(config: &FederationConfig) -> Self {
        SignedInbox {
            fetcher: Fetcher::new(config),
            config: config.clone(),
            keys: Mutex::default(),
        }
    }

    /// Accepts `request` (its URI absolute: the hub's public URL and the path the signer
    /// signed) only when it carries a signature that verifies with its key id's key, made
    /// within the skew of `now`, and its body is an activity whose actor owns that key.
    /// Returns the activity. A key not cached is fetched signed by `signer` (the local actor
    /// whose inbox it is), for servers that serve their actors only to signed requests.
    ///
    /// # Errors
    /// [`Refusal`].
    pub(crate) async fn check(
        &self,
        request: &http::Request<Bytes>,
        now: SystemTime,
        signer: Option<FetchSigner<'_>>,
    ) -> Result<Value, Refusal> {
        let options = VerifyOptions::new(now, self.config.signature_skew);
        let key_id = signature_key_id(request.headers(), &options)
            .map_err(|e| Refusal::Unauthorized(e.to_string()))?;
        let key = self.key(&key_id, signer).await?;
        let verified = verify(
            request,
            &mut |id: &str| (id == key_id).then(|| key.clone()),
            &options,
        )
        .map_err(|e| Refusal::Unauthorized(e.to_string()))?;
        let activity =
            Object::from_slice(request.body()).map_err(|e| Refusal::Invalid(e.to_string()))?;
        let actor = activity
            .actor_id()
            .ok_or_else(|| Refusal::Invalid("no actor".into()))?;
        if actor != verified.owner {
            return Err(Refusal::ActorMismatch {
                actor: actor.to_owned(),
                signer: verified.owner,
            });
        }
        activity
            .to_value()
            .map_err(|e| Refusal::Invalid(e.to_string()))
    }

    /// The key `key_id` names, from the cache or fetched.
    async fn key(
        &self,
        key_id: &str,
        signer: Option<FetchSigner<'_>>,
    ) -> Result<VerifyingKey, Refusal> {
        if let Some(key) = self.lock().get(key_id) {
            return Ok(key.clone());
        }
        let key = self
            .fetch_key(key_id, signer)
            .await
            .map_err(|e| Refusal::Unauthorized(format!("key {key_id:?}: {e}")))?;
        let mut keys = self.lock();
        if keys.len() >= self.config.key_cache {
            keys.clear();
        }
        keys.insert(key_id.to_owned(), key.clone());
        Ok(key)
    }

    /// Fetches the actor document of `key_id` (the key id without its fragment) and reads the
    /// key it lists. Key-id confusion is refused: the document must have the id it was
    /// fetched by, list a `publicKey` whose id is exactly `key_id`, and that key's owner must
    /// be the document itself. (Stand-alone key documents, whose owner would have to be
    /// fetched too, are not accepted.)
    async fn fetch_key(
        &self,
        key_id: &str,
        signer: Option<FetchSigner<'_>>,
    ) -> Result<VerifyingKey, KeyFetchError> {
        let key_url = url::Url::parse(key_id).map_err(|_| KeyFetchError::Shape("key id"))?;
        let mut document_url = key_url.clone();
        document_url.set_fragment(None);
        let (status, body) = self.fetcher.get_json(document_url.as_str(), signer).await?;
        if !status.is_success() {
            return Err(KeyFetchError::Status(status));
        }
        let document: Value = serde_json::from_slice(&body).map_err(KeyFetchError::Json)?;
        if document["id"].as_str() != Some(document_url.as_str()) {
            return Err(KeyFetchError::Shape("document id is not the URL fetched"));
        }
        let keys = match &document["publicKey"] {
            Value::Array(keys) => keys.iter().collect::<Vec<_>>(),
            single => vec![single],
        };
        let entry = keys
            .into_iter()
            .find(|k| k["id"].as_str() == Some(key_id))
            .ok_or(KeyFetchError::Shape("no publicKey with this id"))?;
        let owner = entry["owner"]
            .as_str()
            .ok_or(KeyFetchError::Shape("no owner"))?;
        if owner != document_url.as_str() {
            return Err(KeyFetchError::Shape(
                "the key's owner is not the actor listing it",
            ));
        }
        let pem = entry["publicKeyPem"]
            .as_str()
            .ok_or(KeyFetchError::Shape("no publicKeyPem"))?;
        let key = PublicKey::from_pem(pem).map_err(|_| KeyFetchError::Shape("publicKeyPem"))?;
        Ok(VerifyingKey::new(key, owner))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, VerifyingKey>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
enum KeyFetchError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("answered {0}")]
    Status(StatusCode),
    #[error("not JSON")]
    Json(#[source] serde_json::Error),
    #[error("unusable key document: {0}")]
    Shape(&'static str),
}
