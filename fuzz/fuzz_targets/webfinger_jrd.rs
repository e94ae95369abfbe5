//! `activitystreams_core::webfinger` on arbitrary bytes: JRD bodies, `acct:` URIs and
//! WebFinger queries. Checks: no panic; a JRD that parses writes JSON that parses to the same
//! JRD, and resolves the same actor; an `acct:` that parses, written as `acct:user@host`,
//! parses to the same account.
#![no_main]

use activitystreams_core::webfinger::{Acct, Jrd, WebFingerQuery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(jrd) = Jrd::from_slice(data) {
        let written = jrd.to_vec().unwrap();
        let again = Jrd::from_slice(&written).unwrap();
        assert_eq!(again, jrd);
        assert_eq!(again.actor_id(), jrd.actor_id());
        if let Some(subject) = jrd.subject.as_deref()
            && let Ok(acct) = Acct::parse(subject)
        {
            let _ = jrd.resolve(&acct);
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(acct) = Acct::parse(text) {
            assert_eq!(Acct::parse(&acct.to_string()).ok(), Some(acct.clone()));
            let _ = acct.webfinger_url();
        }
        let _ = WebFingerQuery::parse(text);
    }
});
