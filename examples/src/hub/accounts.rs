//! The hub's users: accounts, each with one bearer token, kept in the store and held in memory
//! for authentication (accounts are fixed while the hub runs).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// Longest account name.
pub const MAX_NAME_LEN: usize = 32;

/// An account to create (or update) at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSeed {
    /// The name: 1 to [`MAX_NAME_LEN`] characters of `a-z`, `0-9` and `_`.
    pub name: String,
    /// The bearer token that authenticates it (any non-empty printable ASCII without spaces).
    /// `None`: the token the store already has for this account, or a fresh random one (128
    /// bits, hex) for a new account.
    pub token: Option<String>,
}

impl AccountSeed {
    /// An account named `name` with the token `token`.
    #[must_use]
    pub fn new(name: impl Into<String>, token: impl Into<String>) -> Self {
        AccountSeed {
            name: name.into(),
            token: Some(token.into()),
        }
    }

    /// An account named `name` that keeps its stored token, or gets a fresh random one.
    #[must_use]
    pub fn named(name: impl Into<String>) -> Self {
        AccountSeed {
            name: name.into(),
            token: None,
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

/// Checks `seeds` before they reach the store: valid names and tokens, no name twice.
///
/// # Errors
/// [`AccountError`] for an invalid name or token, or a duplicate name.
pub(crate) fn check_seeds(seeds: &[AccountSeed]) -> Result<(), AccountError> {
    let mut names = std::collections::HashSet::new();
    for seed in seeds {
        if !valid_name(&seed.name) {
            return Err(AccountError::InvalidName(seed.name.clone()));
        }
        if let Some(token) = &seed.token
            && !valid_token(token)
        {
            return Err(AccountError::InvalidToken(seed.name.clone()));
        }
        if !names.insert(seed.name.as_str()) {
            return Err(AccountError::DuplicateName(seed.name.clone()));
        }
    }
    Ok(())
}

fn valid_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

impl Accounts {
    /// The accounts `(name, token)` (as the store holds them).
    ///
    /// # Errors
    /// [`AccountError`] for an invalid name or token, or a duplicate.
    pub(crate) fn new<'a>(
        accounts: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, AccountError> {
        let index = Accounts::default();
        for (name, token) in accounts {
            index.add(name, token)?;
        }
        Ok(index)
    }

    /// Adds an account.
    ///
    /// # Errors
    /// As [`Accounts::new`].
    fn add(&self, name: &str, token: &str) -> Result<Arc<Account>, AccountError> {
        if !valid_name(name) {
            return Err(AccountError::InvalidName(name.to_owned()));
        }
        if !valid_token(token) {
            return Err(AccountError::InvalidToken(name.to_owned()));
        }
        let mut index = self.write();
        if index.by_name.contains_key(name) {
            return Err(AccountError::DuplicateName(name.to_owned()));
        }
        if let Some(other) = index.by_token.get(token) {
            return Err(AccountError::DuplicateToken(
                other.name().to_owned(),
                name.to_owned(),
            ));
        }
        let account = Arc::new(Account {
            name: Arc::from(name),
            token: token.to_owned(),
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

    #[test]
    fn tokens_find_their_account() {
        let accounts = Accounts::new([("alice", "t-a"), ("bob", "t-b")]).unwrap();
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
                check_seeds(&[AccountSeed::new(name, "t")]),
                Err(AccountError::InvalidName(_))
            ));
            assert!(matches!(
                Accounts::new([(name, "t")]),
                Err(AccountError::InvalidName(_))
            ));
        }
        for token in ["t t", ""] {
            assert!(matches!(
                check_seeds(&[AccountSeed::new("a", token)]),
                Err(AccountError::InvalidToken(_))
            ));
            assert!(matches!(
                Accounts::new([("a", token)]),
                Err(AccountError::InvalidToken(_))
            ));
        }
        assert!(check_seeds(&[AccountSeed::named("a"), AccountSeed::new("b", "t")]).is_ok());
        assert_eq!(
            check_seeds(&[AccountSeed::named("a"), AccountSeed::new("a", "u")]).unwrap_err(),
            AccountError::DuplicateName("a".into())
        );
        assert_eq!(
            Accounts::new([("a", "t"), ("b", "t")]).unwrap_err(),
            AccountError::DuplicateToken("a".into(), "b".into())
        );
    }
}
