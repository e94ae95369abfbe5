//! Outgoing HTTP requests to other servers, bounded in time and size and kept off the hub's
//! own network unless configured otherwise.
//!
//! Only `http://` URLs are fetched: the hub links no TLS client (put it behind a proxy that
//! originates TLS, or federate over plain HTTP on a private network).
//!
//! Documents are fetched signed when a local actor's key is at hand ("authorized fetch"):
//! servers that serve actors only to a signed request (cattle_grid, Mastodon in secure mode)
//! answer them; servers that do not check ignore the signature.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZero;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{CavageSigner, SignError};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::keys::ActorKey;
use crate::hub::config::FederationConfig;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FetchError {
    /// Not an absolute `http://` URL with a host.
    #[error("cannot fetch {0:?}: only absolute http:// URLs are fetched")]
    Url(String),
    /// The host resolves to an address the hub may not reach.
    #[error("{host} resolves to the non-public address {address}")]
    Private {
        /// The host.
        host: String,
        /// The address refused.
        address: IpAddr,
    },
    /// The host has no address.
    #[error("{0} has no address")]
    NoAddress(String),
    /// Not done in time.
    #[error("no answer within {0:?}")]
    TimedOut(Duration),
    /// The answer is larger than allowed.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection or the exchange failed.
    #[error("request failed")]
    Io(#[from] std::io::Error),
    /// HTTP failed.
    #[error("HTTP exchange failed")]
    Http(#[from] hyper::Error),
    /// The request could not be built.
    #[error("invalid request")]
    Request(#[from] http::Error),
    /// The request could not be signed.
    #[error("the request could not be signed")]
    Sign(#[from] SignError),
    /// The runtime shut down before the signature was made.
    #[error("signing stopped: the runtime is shutting down")]
    SigningStopped,
}

/// The local actor a fetch is signed as: its key id (`ACTOR#main-key`) and its key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FetchSigner<'a> {
    /// The `keyId` of the signature.
    pub(crate) key_id: &'a str,
    /// The key that signs.
    pub(crate) key: &'a Arc<ActorKey>,
}

/// Permits for signatures being made: as many as the machine runs threads at once, shared by
/// the whole process, like the cores they stand for.
static SIGNING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, NonZero::get))
});

/// `request` signed with `key` as `cavage` says (key id, headers), dated now. The signature is
/// made on a blocking thread, once one of [`SIGNING`]'s permits is free.
///
/// An RSA signature costs about a millisecond of CPU. Made on the threads that serve
/// connections, a burst of deliveries (two signatures each: the recipient's actor fetched,
/// then the POST) or of signed key fetches would hold up every connection those threads serve
/// for as long; the permits keep such a burst to as many signing threads as there are cores.
///
/// # Errors
/// [`FetchError::Sign`] when the key cannot make the signature `cavage` asks for or the request
/// cannot carry it; [`FetchError::SigningStopped`] when the runtime shuts down meanwhile.
pub(crate) async fn sign(
    key: &Arc<ActorKey>,
    cavage: CavageSigner,
    mut request: http::Request<Vec<u8>>,
) -> Result<http::Request<Vec<u8>>, FetchError> {
    let _permit = SIGNING
        .acquire()
        .await
        .map_err(|_| FetchError::SigningStopped)?;
    let key = Arc::clone(key);
    let signed = tokio::task::spawn_blocking(move || {
        cavage.sign(SystemTime::now(), &mut request, &key.private)?;
        Ok(request)
    })
    .await;
    match signed {
        Ok(signed) => signed,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(FetchError::SigningStopped),
    }
}

/// Sends outgoing requests within [`FederationConfig`]'s bounds.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    allow_private: bool,
    max_bytes: usize,
    timeout: Duration,
}

impl Fetcher {
    pub(crate) fn new(config: &FederationConfig) -> Self {
        Fetcher {
            allow_private: config.allow_private_addresses,
            max_bytes: config.fetch_max_bytes,
            timeout: config.fetch_timeout,
        }
    }

    /// `GET url` asking for an ActivityPub document, signed (cavage: `(request-target) host
    /// date accept`, the algorithm the key's kind names) by `signer` when given.
    ///
    /// # Errors
    /// [`FetchError`].
    pub(crate) async fn get_json(
        &self,
        url: &str,
        signer: Option<FetchSigner<'_>>,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        let mut request = http::Request::get(url)
            .header(
                http::header::ACCEPT,
                "application/activity+json, application/ld+json",
            )
            .body(Vec::<u8>::new())?;
        if let Some(signer) = signer {
            let cavage = CavageSigner::new(signer.key_id).with_headers([
                "(request-target)",
                "host",
                "date",
                "accept",
            ]);
            request = sign(signer.key, cavage, request).await?;
        }
        let (parts, body) = request.into_parts();
        self.send(http::Request::from_parts(
            parts,
            Full::new(Bytes::from(body)),
        ))
        .await
    }

    /// Sends `request` (whose URI is absolute) and reads the answer: the whole exchange within
    /// the timeout, the answer's body within the size bound. The host is resolved once, every
    /// address it has is checked, and the connection goes to a checked address (a name that
    /// resolves differently a moment later reaches nothing unchecked).
    ///
    /// # Errors
    /// [`FetchError`].
    pub(crate) async fn send(
        &self,
        request: http::Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        tokio::time::timeout(self.timeout, self.exchange(request))
            .await
            .map_err(|_| FetchError::TimedOut(self.timeout))?
    }

    async fn exchange(
        &self,
        mut request: http::Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), FetchError> {
        let uri = request.uri().clone();
        let url = uri.to_string();
        let (Some("http"), Some(host)) = (uri.scheme_str(), uri.host()) else {
            return Err(FetchError::Url(url));
        };
        let port = uri.port_u16().unwrap_or(80);
        let address = self.resolve(host, port).await?;
        let stream = TcpStream::connect(address).await?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        let driver = tokio::spawn(connection);
        if let Some(authority) = uri.authority()
            && let Ok(value) = http::HeaderValue::from_str(authority.as_str())
        {
            request
                .headers_mut()
                .entry(http::header::HOST)
                .or_insert(value);
        }
        *request.uri_mut() = uri
            .path_and_query()
            .map_or_else(|| "/".parse(), |p| p.as_str().parse())
            .map_err(http::Error::from)?;
        let response = sender.send_request(request).await;
        let result = match response {
            Ok(response) => {
                let status = response.status();
                match Limited::new(response.into_body(), self.max_bytes)
                    .collect()
                    .await
                {
                    Ok(body) => Ok((status, body.to_bytes())),
                    Err(_) => Err(FetchError::TooLarge(self.max_bytes)),
                }
            }
            Err(e) => Err(e.into()),
        };
        driver.abort();
        result
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<SocketAddr, FetchError> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((bare, port)).await?.collect();
        if !self.allow_private
            && let Some(refused) = addresses.iter().find(|a| !is_public(a.ip()))
        {
            return Err(FetchError::Private {
                host: host.to_owned(),
                address: refused.ip(),
            });
        }
        addresses
            .first()
            .copied()
            .ok_or_else(|| FetchError::NoAddress(host.to_owned()))
    }
}

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, unique local),
/// link-local, shared (RFC 6598), unspecified, broadcast, multicast, documentation or an
/// IPv4-mapped form of those.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::hub::config::ActorKeyKind;

    /// On a single-threaded runtime, a task that only yields keeps running while eight RSA
    /// signatures are made: they are made on other threads. (Made on the runtime's thread, the
    /// signatures would run one after the other, the task getting a turn only between them.)
    #[tokio::test]
    async fn signatures_are_made_off_the_runtime_thread() {
        let key = Arc::new(ActorKey::generate(ActorKeyKind::Rsa));
        let done = Arc::new(AtomicBool::new(false));
        let ticker = tokio::spawn({
            let done = Arc::clone(&done);
            async move {
                let mut turns = 0u64;
                while !done.load(Ordering::Relaxed) {
                    turns += 1;
                    tokio::task::yield_now().await;
                }
                turns
            }
        });
        let signing: Vec<_> = (0..8)
            .map(|_| {
                let key = Arc::clone(&key);
                tokio::spawn(async move {
                    let request = http::Request::post("http://peer.example/inbox")
                        .body(b"{}".to_vec())
                        .unwrap();
                    sign(
                        &key,
                        CavageSigner::new("http://hub.example/users/bob#main-key"),
                        request,
                    )
                    .await
                })
            })
            .collect();
        for signed in signing {
            let signed = signed.await.unwrap().unwrap();
            let signature = signed.headers()["signature"].to_str().unwrap();
            assert!(
                signature.contains(r#"algorithm="rsa-sha256""#),
                "{signature}"
            );
            assert!(signature.contains(r#"headers="(request-target) host date digest""#));
        }
        done.store(true, Ordering::Relaxed);
        let turns = ticker.await.unwrap();
        assert!(turns > 100, "the runtime's other task ran {turns} times");
    }

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
