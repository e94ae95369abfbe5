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
use std::time::{Duration, SystemTime};

use activitystreams_core::http_signatures::{CavageSigner, PrivateKey, SignError};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

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
}

/// The local actor a fetch is signed as: its key id (`ACTOR#main-key`) and its key.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FetchSigner<'a> {
    /// The `keyId` of the signature.
    pub(crate) key_id: &'a str,
    /// The key that signs.
    pub(crate) key: &'a PrivateKey,
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
            CavageSigner::new(signer.key_id)
                .with_headers(["(request-target)", "host", "date", "accept"])
                .sign(SystemTime::now(), &mut request, signer.key)?;
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
    use super::*;

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
