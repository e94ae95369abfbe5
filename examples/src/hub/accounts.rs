//! The hub's users: in-memory accounts, each with one bearer token.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use crate::hub::random;

/// Longest account name.
pub const MAX_NAME_LEN: usize = 32;

/// An account to create at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSeed {
    /// The name: 1 to [`MAX_NAME_LEN`] characters of `a-z`, `0-9` and `_`.
    pub name: String,
    /// The bearer token that authenticates it (any non-empty printable ASCII without spaces).
    pub token: String,
}

impl AccountSeed {
    /// An account named `name` with a fresh random token (128 bits, hex).
    #[must_use]
    pub fn with_random_token(name: impl Into<String>) -> Self {
        AccountSeed {
            name: name.into(),
            token: random::token(),
        }
    }
}

/// An account seed the hub refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The name is empty, too long or has a character outside `a-z0-9_`.
    #[error("account name `{0}` must be 1 to 32 characters of a-z, 0-9 and _")]
    InvalidName(String),
    /// The token is empty or has a character outside printable ASCII (or a space).
    #[error("the token of account `{0}` must be non-empty printable ASCII without spaces")]
    InvalidToken(String),
    /// Two seeds have the same name.
    #[error("account `{0}` is listed twice")]
    DuplicateName(String),
    /// Two accounts have the same token.
    #[error("accounts `{0}` and `{1}` have the same token")]
    DuplicateToken(String, String),
}

/// A user of the hub.
#[derive(Debug, PartialEq, Eq)]
pub struct Account {
    name: Arc<str>,
    token: String,
}

impl Account {
    /// The account name (also the name of its actor, and its Bus user id).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name as a shared string.
    #[must_use]
    pub fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// The bearer token.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// Every account, by name and by token.
#[derive(Debug, Default)]
pub(crate) struct Accounts {
    inner: RwLock<Index>,
}

#[derive(Debug, Default)]
struct Index {
    by_name: BTreeMap<Arc<str>, Arc<Account>>,
    by_token: HashMap<String, Arc<Account>>,
}

impl Accounts {
    /// The accounts of `seeds`.
    ///
    /// # Errors
    /// [`AccountError`] for an invalid name or token, or a duplicate.
    pub(crate) fn new(seeds: &[AccountSeed]) -> Result<Self, AccountError> {
        let accounts = Accounts::default();
        for seed in seeds {
            accounts.add(seed)?;
        }
        Ok(accounts)
    }

    /// Adds an account.
    ///
    /// # Errors
    /// As [`Accounts::new`].
    pub(crate) fn add(&self, seed: &AccountSeed) -> Result<Arc<Account>, AccountError> {
        if !valid_name(&seed.name) {
            return Err(AccountError::InvalidName(seed.name.clone()));
        }
        if seed.token.is_empty() || !seed.token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AccountError::InvalidToken(seed.name.clone()));
        }
        let mut index = self.write();
        if index.by_name.contains_key(seed.name.as_str()) {
            return Err(AccountError::DuplicateName(seed.name.clone()));
        }
        if let Some(other) = index.by_token.get(&seed.token) {
            return Err(AccountError::DuplicateToken(
                other.name().to_owned(),
                seed.name.clone(),
            ));
        }
        let account = Arc::new(Account {
            name: Arc::from(seed.name.as_str()),
            token: seed.token.clone(),
        });
        index
            .by_name
            .insert(account.name.clone(), Arc::clone(&account));
        index
            .by_token
            .insert(account.token.clone(), Arc::clone(&account));
        Ok(account)
    }

    /// The account a bearer token belongs to.
    #[must_use]
    pub(crate) fn authenticate(&self, token: &str) -> Option<Arc<Account>> {
        self.read().by_token.get(token).cloned()
    }

    /// Whether an account is named `name`.
    #[must_use]
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.read().by_name.contains_key(name)
    }

    /// Every account, ordered by name.
    #[must_use]
    pub(crate) fn all(&self) -> Vec<Arc<Account>> {
        self.read().by_name.values().cloned().collect()
    }

    /// Every account name, ordered.
    #[must_use]
    pub(crate) fn names(&self) -> Vec<String> {
        self.read().by_name.keys().map(|n| n.to_string()).collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        // A poisoned lock only means another thread panicked mid-insert of a complete entry.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(name: &str, token: &str) -> AccountSeed {
        AccountSeed {
            name: name.into(),
            token: token.into(),
        }
    }

    #[test]
    fn tokens_find_their_account() {
        let accounts = Accounts::new(&[seed("alice", "t-a"), seed("bob", "t-b")]).unwrap();
        assert_eq!(accounts.authenticate("t-b").unwrap().name(), "bob");
        assert!(accounts.authenticate("t-c").is_none());
        assert!(accounts.authenticate("").is_none());
        let names: Vec<_> = accounts.all().iter().map(|a| a.name().to_owned()).collect();
        assert_eq!(names, ["alice", "bob"]);
    }

    #[test]
    fn bad_seeds_are_refused() {
        for name in ["", "Alice", "a b", "é", &"x".repeat(33)] {
            assert!(matches!(
                Accounts::new(&[seed(name, "t")]),
                Err(AccountError::InvalidName(_))
            ));
        }
        assert!(matches!(
            Accounts::new(&[seed("a", "t t")]),
            Err(AccountError::InvalidToken(_))
        ));
        assert!(matches!(
            Accounts::new(&[seed("a", "")]),
            Err(AccountError::InvalidToken(_))
        ));
        assert_eq!(
            Accounts::new(&[seed("a", "t"), seed("a", "u")]).unwrap_err(),
            AccountError::DuplicateName("a".into())
        );
        assert_eq!(
            Accounts::new(&[seed("a", "t"), seed("b", "t")]).unwrap_err(),
            AccountError::DuplicateToken("a".into(), "b".into())
        );
    }

    #[test]
    fn random_tokens_differ() {
        let a = AccountSeed::with_random_token("a");
        let b = AccountSeed::with_random_token("b");
        assert_eq!(a.token.len(), 32);
        assert_ne!(a.token, b.token);
    }
}
