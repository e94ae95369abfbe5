//! Query-string editing shared by the catch-up, proxy and redaction helpers.

use url::Url;

/// `url` with every parameter named in `drop` removed and `add` appended, other parameters
/// kept in order. No `?` is left when nothing remains.
pub(crate) fn with_params(url: &Url, drop: &[&str], add: &[(&str, &str)]) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !drop.contains(&name.as_ref()))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    let mut edited = url.clone();
    if kept.is_empty() && add.is_empty() {
        edited.set_query(None);
        return edited;
    }
    edited
        .query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(add.iter().copied());
    edited
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_keeps_and_appends() {
        let url = Url::parse("https://h.example/p?a=1&b=2&a=3#f").unwrap();
        assert_eq!(
            with_params(&url, &["a"], &[("c", "x y")]).as_str(),
            "https://h.example/p?b=2&c=x+y#f"
        );
        assert_eq!(
            with_params(&url, &["a", "b"], &[]).as_str(),
            "https://h.example/p#f"
        );
    }
}
