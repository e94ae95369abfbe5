//! The signing keys of local actors: one key per account, RSA or Ed25519 as
//! [`FederationConfig::actor_keys`](crate::hub::FederationConfig::actor_keys) says, made on
//! first use, kept in the database (`actor_keys`) and cached in memory.
//!
//! RSA keys are generated with the RustCrypto `rsa` crate (the only part of it used) and stored
//! as PKCS#8; ring signs with them, as with every other key here. Generation takes tens to
//! hundreds of milliseconds, so it runs on a blocking thread, outside the database threads,
//! one key at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use activitystreams_core::http_signatures::{KeyError, PrivateKey};
use rsa::pkcs8::EncodePrivateKey as _;

use crate::hub::config::ActorKeyKind;
use crate::hub::db::{Arg, Conn, Db, DbError};
use crate::hub::random;
use crate::hub::server::unix_now;

/// The stored `algorithm` of an Ed25519 key (its `secret` is the 32-byte seed).
const ED25519: &str = "ed25519";
/// The stored `algorithm` of an RSA key (its `secret` is the PKCS#8 DER).
const RSA: &str = "rsa";
/// The size of the RSA keys made: Mastodon's.
const RSA_BITS: usize = 2048;

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ActorKeyError {
    /// The database failed.
    #[error("actor key storage")]
    Db(#[from] DbError),
    /// The stored key is unreadable (or of an algorithm this build does not know).
    #[error("stored actor key unusable")]
    Key(#[from] KeyError),
    /// The stored key names an algorithm this build does not make.
    #[error("stored actor key has algorithm {0:?}")]
    Algorithm(String),
    /// A new RSA key could not be made.
    #[error("RSA key generation failed: {0}")]
    Generate(String),
}

/// An actor's key pair.
#[derive(Debug)]
pub(crate) struct ActorKey {
    /// The private key, for signing deliveries.
    pub(crate) private: PrivateKey,
    /// The public key as PEM (`publicKeyPem`).
    pub(crate) public_pem: String,
}

/// The keys of every local actor that has one.
pub(crate) struct ActorKeys {
    db: Db,
    kind: ActorKeyKind,
    /// At most one entry per account (accounts are fixed while the hub runs).
    cache: Mutex<HashMap<String, Arc<ActorKey>>>,
    /// Held while a key is made: one at a time, and never twice for one account.
    making: tokio::sync::Mutex<()>,
}

impl ActorKeys {
    /// Keys read from `db`; an account without one gets a new key of `kind`.
    pub(crate) fn new(db: Db, kind: ActorKeyKind) -> Self {
        ActorKeys {
            db,
            kind,
            cache: Mutex::default(),
            making: tokio::sync::Mutex::const_new(()),
        }
    }

    /// The key of account `name`, made and stored first if it has none. Instances sharing a
    /// database agree: the first insert wins and everyone reads it back.
    ///
    /// # Errors
    /// [`ActorKeyError`] when the database fails or holds an unusable key, or a key cannot be
    /// made.
    pub(crate) async fn get(&self, name: &str) -> Result<Arc<ActorKey>, ActorKeyError> {
        if let Some(key) = self.cached(name) {
            return Ok(key);
        }
        if let Some(key) = self.load(name).await? {
            return Ok(self.remember(name, key));
        }
        let _making = self.making.lock().await;
        // Made by another caller while this one waited?
        if let Some(key) = self.cached(name) {
            return Ok(key);
        }
        let kind = self.kind;
        let fresh = tokio::task::spawn_blocking(move || Fresh::make(kind))
            .await
            .map_err(|e| ActorKeyError::Generate(e.to_string()))??;
        let account = name.to_owned();
        let key = self
            .db
            .run(move |conn| {
                fresh.insert(conn, &account)?;
                load(conn, &account)?.ok_or(ActorKeyError::Db(DbError::Column { column: 0 }))
            })
            .await?;
        Ok(self.remember(name, key))
    }

    async fn load(&self, name: &str) -> Result<Option<ActorKey>, ActorKeyError> {
        let account = name.to_owned();
        self.db.run(move |conn| load(conn, &account)).await
    }

    fn cached(&self, name: &str) -> Option<Arc<ActorKey>> {
        self.lock().get(name).cloned()
    }

    fn remember(&self, name: &str, key: ActorKey) -> Arc<ActorKey> {
        self.lock()
            .entry(name.to_owned())
            .or_insert_with(|| Arc::new(key))
            .clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ActorKey>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
impl ActorKey {
    /// A new key of `kind`, not stored.
    pub(crate) fn generate(kind: ActorKeyKind) -> Self {
        let fresh = Fresh::make(kind).expect("key made");
        ActorKey {
            private: private_key(fresh.algorithm, &fresh.secret).expect("key read back"),
            public_pem: fresh.public_pem,
        }
    }
}

/// A key just made, as it is stored.
struct Fresh {
    algorithm: &'static str,
    secret: Vec<u8>,
    public_pem: String,
}

impl Fresh {
    fn make(kind: ActorKeyKind) -> Result<Self, ActorKeyError> {
        let (algorithm, secret) = match kind {
            ActorKeyKind::Rsa => {
                let key = rsa::PrivateKey::new(&mut getrandom::SysRng, RSA_BITS)
                    .map_err(|e| ActorKeyError::Generate(e.to_string()))?;
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| ActorKeyError::Generate(e.to_string()))?;
                (RSA, der.as_bytes().to_vec())
            }
            ActorKeyKind::Ed25519 => (ED25519, random::seed32().to_vec()),
        };
        let public_pem = private_key(algorithm, &secret)?.public_key().to_pem()?;
        Ok(Fresh {
            algorithm,
            secret,
            public_pem,
        })
    }

    /// Stores the key unless the account has one already.
    fn insert(&self, conn: &mut dyn Conn, account: &str) -> Result<(), DbError> {
        conn.execute(
            "INSERT INTO actor_keys (account, algorithm, secret, public_pem, created_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO NOTHING",
            &[
                account.into(),
                self.algorithm.into(),
                Arg::Bytes(&self.secret),
                self.public_pem.as_str().into(),
                unix_now().into(),
            ],
        )?;
        Ok(())
    }
}

/// The stored key of `account`, if it has one.
fn load(conn: &mut dyn Conn, account: &str) -> Result<Option<ActorKey>, ActorKeyError> {
    let Some(mut row) = conn.query_opt(
        "SELECT algorithm, secret, public_pem FROM actor_keys WHERE account = $1",
        &[account.into()],
    )?
    else {
        return Ok(None);
    };
    let algorithm = row.take_text(0)?;
    Ok(Some(ActorKey {
        private: private_key(&algorithm, &row.take_bytes(1)?)?,
        public_pem: row.take_text(2)?,
    }))
}

fn private_key(algorithm: &str, secret: &[u8]) -> Result<PrivateKey, ActorKeyError> {
    match algorithm {
        ED25519 => Ok(PrivateKey::ed25519_from_seed(secret)?),
        RSA => Ok(PrivateKey::from_pkcs8_der(secret)?),
        other => Err(ActorKeyError::Algorithm(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use activitystreams_core::http_signatures::{Algorithm, KeyKind, PublicKey};

    use super::*;
    use crate::hub::db::Storage;

    #[tokio::test]
    async fn a_key_is_made_once_of_the_configured_kind_and_read_back_after_a_restart() {
        for (kind, expected) in [
            (ActorKeyKind::Rsa, KeyKind::Rsa),
            (ActorKeyKind::Ed25519, KeyKind::Ed25519),
        ] {
            let dir = std::env::temp_dir().join(format!("fedi-hub-keys-{}", random::hex(8)));
            let open = || async { Db::open(Storage::Directory(dir.clone())).await.unwrap() };
            let first = {
                let keys = ActorKeys::new(open().await, kind);
                let key = keys.get("alice").await.unwrap();
                let again = keys.get("alice").await.unwrap();
                assert!(Arc::ptr_eq(&key, &again));
                assert_eq!(key.private.kind(), expected);
                assert_ne!(
                    keys.get("bob").await.unwrap().public_pem,
                    key.public_pem,
                    "every account has its own key"
                );
                key.public_pem.clone()
            };
            // Reopened with the other kind configured: alice keeps hers.
            let other = match kind {
                ActorKeyKind::Rsa => ActorKeyKind::Ed25519,
                _ => ActorKeyKind::Rsa,
            };
            let reopened = ActorKeys::new(open().await, other);
            let key = reopened.get("alice").await.unwrap();
            assert_eq!(key.public_pem, first);
            assert_eq!(key.private.public_key().to_pem().unwrap(), first);
            assert_eq!(key.private.kind(), expected);
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    #[test]
    fn rsa_keys_are_2048_bits_and_sign_rsa_sha256() {
        let fresh = Fresh::make(ActorKeyKind::Rsa).unwrap();
        let private = private_key(fresh.algorithm, &fresh.secret).unwrap();
        assert_eq!(private.default_algorithm(), Algorithm::RsaPkcs1Sha256);
        let public = PublicKey::from_pem(&fresh.public_pem).unwrap();
        let der = public.to_spki_der().unwrap();
        // SPKI of a 2048-bit modulus and exponent 65537: 294 bytes.
        assert_eq!(der.len(), 294);
        let signature = private.sign(Algorithm::RsaPkcs1Sha256, b"message").unwrap();
        assert_eq!(signature.len(), RSA_BITS / 8);
    }
}
