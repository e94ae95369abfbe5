//! The signing keys of local actors: one Ed25519 key per account, made on first use, kept in
//! the database (`actor_keys`) and cached in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use activitystreams_core::http_signatures::{KeyError, PrivateKey};

use crate::hub::db::{Conn, Db, DbError};
use crate::hub::random;
use crate::hub::server::unix_now;

/// The `algorithm` of the keys this hub makes.
const ED25519: &str = "ed25519";

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
    /// At most one entry per account (accounts are fixed while the hub runs).
    cache: Mutex<HashMap<String, Arc<ActorKey>>>,
}

impl ActorKeys {
    pub(crate) fn new(db: Db) -> Self {
        ActorKeys {
            db,
            cache: Mutex::default(),
        }
    }

    /// The key of account `name`, made and stored first if it has none. Instances sharing a
    /// database agree: the first insert wins and everyone reads it back.
    ///
    /// # Errors
    /// [`ActorKeyError`] when the database fails or holds an unusable key.
    pub(crate) async fn get(&self, name: &str) -> Result<Arc<ActorKey>, ActorKeyError> {
        if let Some(key) = self.lock().get(name) {
            return Ok(key.clone());
        }
        let account = name.to_owned();
        let key = Arc::new(
            self.db
                .run(move |conn| load_or_make(conn, &account))
                .await?,
        );
        Ok(self.lock().entry(name.to_owned()).or_insert(key).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ActorKey>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn load_or_make(conn: &mut dyn Conn, account: &str) -> Result<ActorKey, ActorKeyError> {
    let seed = random::seed32();
    let fresh = PrivateKey::ed25519_from_seed(&seed)?;
    let pem = fresh.public_key().to_pem()?;
    conn.execute(
        "INSERT INTO actor_keys (account, algorithm, secret, public_pem, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO NOTHING",
        &[
            account.into(),
            ED25519.into(),
            crate::hub::db::Arg::Bytes(&seed),
            pem.as_str().into(),
            unix_now().into(),
        ],
    )?;
    let mut row = conn
        .query_opt(
            "SELECT algorithm, secret, public_pem FROM actor_keys WHERE account = $1",
            &[account.into()],
        )?
        .ok_or(DbError::Column { column: 0 })?;
    let algorithm = row.take_text(0)?;
    if algorithm != ED25519 {
        return Err(ActorKeyError::Algorithm(algorithm));
    }
    Ok(ActorKey {
        private: PrivateKey::ed25519_from_seed(&row.take_bytes(1)?)?,
        public_pem: row.take_text(2)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::db::Storage;

    #[tokio::test]
    async fn a_key_is_made_once_and_read_back_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("fedi-hub-keys-{}", random::hex(8)));
        let first = {
            let keys = ActorKeys::new(Db::open(Storage::Directory(dir.clone())).await.unwrap());
            let key = keys.get("alice").await.unwrap();
            let again = keys.get("alice").await.unwrap();
            assert!(Arc::ptr_eq(&key, &again));
            assert_ne!(
                keys.get("bob").await.unwrap().public_pem,
                key.public_pem,
                "every account has its own key"
            );
            key.public_pem.clone()
        };
        let reopened = ActorKeys::new(Db::open(Storage::Directory(dir.clone())).await.unwrap());
        let key = reopened.get("alice").await.unwrap();
        assert_eq!(key.public_pem, first);
        assert_eq!(key.private.public_key().to_pem().unwrap(), first);
        let _ = std::fs::remove_dir_all(dir);
    }
}
