//! Well-formedness of BCP 47 language tags (RFC 5646 §2.1), for natural-language maps and
//! `hreflang`.

use std::collections::HashSet;

/// Irregular grandfathered tags, which do not follow the `langtag` production.
const IRREGULAR: &[&str] = &[
    "en-GB-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-BE-FR",
    "sgn-BE-NL",
    "sgn-CH-DE",
];

/// Whether `tag` is a well-formed BCP 47 language tag: it matches the RFC 5646 ABNF
/// (`language[-script][-region]*(-variant)*(-extension)[-privateuse]`, a private-use tag, or a
/// grandfathered tag), with no repeated variant or extension singleton. Subtags are not checked
/// against the IANA registry.
#[must_use]
pub fn is_well_formed_language_tag(tag: &str) -> bool {
    if IRREGULAR.iter().any(|g| g.eq_ignore_ascii_case(tag)) {
        return true;
    }
    let subtags: Vec<&str> = tag.split('-').collect();
    if subtags
        .iter()
        .any(|s| s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return false;
    }
    match subtags.split_first() {
        Some((first, rest)) if first.eq_ignore_ascii_case("x") => !rest.is_empty(),
        Some((first, rest)) => langtag(first, rest),
        None => false,
    }
}

fn alpha(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_variant(s: &str) -> bool {
    (5..=8).contains(&s.len())
        || (s.len() == 4 && s.as_bytes().first().is_some_and(u8::is_ascii_digit))
}

fn langtag(language: &str, rest: &[&str]) -> bool {
    if !alpha(language, 2, 8) {
        return false;
    }
    let mut rest = rest.iter().copied().peekable();
    // Up to three extended language subtags, only after a 2-3 letter language.
    if language.len() <= 3 {
        let mut extlangs = 0;
        while extlangs < 3 && rest.peek().is_some_and(|s| alpha(s, 3, 3)) {
            rest.next();
            extlangs += 1;
        }
    }
    if rest.peek().is_some_and(|s| alpha(s, 4, 4)) {
        rest.next();
    }
    if rest.peek().is_some_and(|s| alpha(s, 2, 2) || digits(s, 3)) {
        rest.next();
    }
    // Repeats are found with a hash set: a tag may list any number of variants.
    let mut variants: HashSet<String> = HashSet::new();
    while let Some(s) = rest.peek().copied().filter(|s| is_variant(s)) {
        if !variants.insert(s.to_ascii_lowercase()) {
            return false;
        }
        rest.next();
    }
    let mut singletons = [false; 256];
    while let Some(s) = rest.next() {
        let [singleton] = s.as_bytes() else {
            return false;
        };
        let singleton = singleton.to_ascii_lowercase();
        if singleton == b'x' {
            // Private use: one or more subtags of 1-8 alphanumerics, to the end.
            return rest.next().is_some();
        }
        match singletons.get_mut(usize::from(singleton)) {
            Some(seen) if !*seen => *seen = true,
            _ => return false,
        }
        let mut parts = 0;
        while rest.peek().is_some_and(|s| s.len() >= 2) {
            rest.next();
            parts += 1;
        }
        if parts == 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_well_formed_language_tag as ok;

    #[test]
    fn accepts_rfc5646_examples() {
        // Examples from RFC 5646 Appendix A.
        for tag in [
            "de",
            "fr",
            "ja",
            "i-enochian",
            "zh-Hant",
            "zh-Hans",
            "sr-Cyrl",
            "sr-Latn",
            "zh-cmn-Hans-CN",
            "cmn-Hans-CN",
            "zh-yue-HK",
            "yue-HK",
            "zh-Hans-CN",
            "sr-Latn-RS",
            "sl-rozaj",
            "sl-rozaj-biske",
            "sl-nedis",
            "de-CH-1901",
            "sl-IT-nedis",
            "hy-Latn-IT-arevela",
            "de-DE",
            "en-US",
            "es-419",
            "de-CH-x-phonebk",
            "az-Arab-x-AZE-derbend",
            "x-whatever",
            "qaa-Qaaa-QM-x-southern",
            "de-Qaaa",
            "sr-Latn-QM",
            "sr-Qaaa-RS",
            "en-US-u-islamcal",
            "zh-CN-a-myext-x-private",
            "en-a-myext-b-another",
            "und",
            "EN-gb",
            "art-lojban",
            "zh-min-nan",
        ] {
            assert!(ok(tag), "{tag}");
        }
    }

    #[test]
    fn rejects_malformed_tags() {
        // "Some Invalid Tags" of RFC 5646 Appendix A, plus the W3C AS2 test case.
        for tag in [
            "de-419-DE",
            "a-DE",
            "ar-a-aaa-b-bbb-a-ccc",
            "",
            "en-",
            "-en",
            "en--US",
            "toolongtag",
            "en-US-x",
            "en_US",
            "e1",
            "sl-rozaj-rozaj",
            "en-a",
            "de-1901-1901",
        ] {
            assert!(!ok(tag), "{tag}");
        }
    }
}
