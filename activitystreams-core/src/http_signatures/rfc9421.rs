//! RFC 9421 HTTP Message Signatures over requests: `Signature-Input` and `Signature`,
//! derived components, `Content-Digest` (RFC 9530).

use std::time::{Duration, SystemTime};

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Request};

use super::components::{Target, joined};
use super::digest;
use super::error::{ComponentError, ParseError, SignError, VerifyError};
use super::keys::{Algorithm, PrivateKey};
use super::structured::{self, BareItem, Item, Member, Parameters};
use super::verify::{Candidate, KeyResolver, Limits, Scheme, Verified, VerifyOptions};

const SIGNATURE_INPUT: &str = "Signature-Input";
const SIGNATURE: &str = "Signature";

/// One line of the signature base for a covered component.
fn component_value(target: &Target<'_>, item: &Item) -> Result<Vec<u8>, ComponentError> {
    let BareItem::String(name) = &item.bare else {
        return Err(ComponentError::Unsupported(describe(item)));
    };
    let unsupported = || ComponentError::Unsupported(describe(item));
    let only_name_param = name == "@query-param";
    for (key, _) in &item.params {
        if !(only_name_param && key == "name") {
            return Err(unsupported());
        }
    }
    let value = match name.as_str() {
        "@method" => target.method.as_str().to_owned(),
        "@target-uri" => target.target_uri()?,
        "@authority" => target.authority()?,
        "@scheme" => target.scheme()?,
        "@request-target" => target.request_target(),
        "@path" => target.path().to_owned(),
        "@query" => format!("?{}", target.uri.query().unwrap_or("")),
        "@query-param" => match structured::param(&item.params, "name") {
            Some(BareItem::String(param)) => target.query_param(param)?,
            _ => return Err(unsupported()),
        },
        derived if derived.starts_with('@') => return Err(unsupported()),
        header => {
            let valid = !header.is_empty()
                && header.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
                });
            if !valid {
                return Err(unsupported());
            }
            return joined(target.headers, header)
                .ok_or_else(|| ComponentError::MissingHeader(header.to_owned()));
        }
    };
    Ok(value.into_bytes())
}

fn describe(item: &Item) -> String {
    let mut out = String::new();
    match structured::write_item(&mut out, item) {
        Some(()) => out,
        None => "(unwritable component)".to_owned(),
    }
}

/// The signature base (RFC 9421 §2.5) of `items` with `params` over a request, and the
/// serialised `@signature-params` value (what `Signature-Input` carries for the label).
fn signature_base(
    target: &Target<'_>,
    items: &[Item],
    params: &Parameters,
) -> Result<(Vec<u8>, String), ComponentError> {
    let mut base = Vec::new();
    let mut seen: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let identifier = describe(item);
        if seen.contains(&identifier) {
            return Err(ComponentError::Duplicate(identifier));
        }
        if matches!(&item.bare, BareItem::String(name) if name == "@signature-params") {
            return Err(ComponentError::Unsupported(identifier));
        }
        let value = component_value(target, item)?;
        base.extend_from_slice(identifier.as_bytes());
        base.extend_from_slice(b": ");
        base.extend_from_slice(&value);
        base.push(b'\n');
        seen.push(identifier);
    }
    let mut signature_params = String::new();
    structured::write_inner_list(&mut signature_params, items, params)
        .ok_or_else(|| ComponentError::Unsupported("@signature-params".to_owned()))?;
    base.extend_from_slice(b"\"@signature-params\": ");
    base.extend_from_slice(signature_params.as_bytes());
    Ok((base, signature_params))
}

/// How to make an RFC 9421 signature.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rfc9421Signer {
    /// The `keyid` parameter.
    pub key_id: String,
    /// The label (`sig1` by default).
    pub label: String,
    /// Covered components as written in `Signature-Input` without the quotes of the name:
    /// `@method`, `content-digest`, `@query-param;name="Pet"`. `None`: `@method` and
    /// `@target-uri`, and `content-digest` when the body is not empty.
    pub components: Option<Vec<String>>,
    /// Write the `alg` parameter (default `true`).
    pub include_alg: bool,
    /// Set `expires` this long after `now`.
    pub expires_in: Option<Duration>,
    /// The `nonce` parameter.
    pub nonce: Option<String>,
    /// The `tag` parameter.
    pub tag: Option<String>,
}

impl Rfc9421Signer {
    /// A signer with label `sig1`, the default components and the `alg` parameter.
    #[must_use]
    pub fn new(key_id: impl Into<String>) -> Self {
        Self {
            key_id: key_id.into(),
            label: "sig1".to_owned(),
            components: None,
            include_alg: true,
            expires_in: None,
            nonce: None,
            tag: None,
        }
    }

    /// Sets [`Rfc9421Signer::label`].
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets [`Rfc9421Signer::components`].
    #[must_use]
    pub fn with_components<I, S>(mut self, components: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.components = Some(components.into_iter().map(Into::into).collect());
        self
    }

    /// Sets [`Rfc9421Signer::include_alg`].
    #[must_use]
    pub fn with_alg_parameter(mut self, include: bool) -> Self {
        self.include_alg = include;
        self
    }

    /// Sets [`Rfc9421Signer::expires_in`].
    #[must_use]
    pub fn with_expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }

    /// Sets [`Rfc9421Signer::nonce`].
    #[must_use]
    pub fn with_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// Sets [`Rfc9421Signer::tag`].
    #[must_use]
    pub fn with_tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    fn items(&self, body_empty: bool) -> Result<Vec<Item>, SignError> {
        let components = self.components.clone().unwrap_or_else(|| {
            let mut list = vec!["@method".to_owned(), "@target-uri".to_owned()];
            if !body_empty {
                list.push("content-digest".to_owned());
            }
            list
        });
        components
            .iter()
            .map(|component| {
                let (name, params) = component
                    .split_once(';')
                    .map_or((component.as_str(), ""), |(n, p)| (n, p));
                let mut text = String::from("c=");
                structured::write_string(&mut text, name)
                    .ok_or(SignError::Unwritable("component name"))?;
                if !params.is_empty() {
                    text.push(';');
                    text.push_str(params);
                }
                let parsed = structured::parse_dictionary(text.as_bytes(), "component", 4096, 8)
                    .map_err(|_| SignError::Unwritable("component"))?;
                match parsed.into_iter().next() {
                    Some((_, Member::Item(item))) => Ok(item),
                    _ => Err(SignError::Unwritable("component")),
                }
            })
            .collect()
    }

    /// Signs `request` with `key`: adds `Content-Digest` (SHA-256 of the body) when it is
    /// covered and absent, then appends the label to `Signature-Input` and `Signature`.
    ///
    /// Ed25519 and RSA PKCS#1 v1.5 signatures are deterministic: the same request, key and
    /// time give the same headers.
    ///
    /// # Errors
    ///
    /// [`SignError::OtherSchemePresent`] when the request has a cavage `Signature`,
    /// [`SignError::Component`] for a component the request cannot
    /// give, [`SignError::Unwritable`] for a label, key id, nonce or tag that cannot be
    /// written, [`SignError::BeforeEpoch`] for a time before 1970.
    pub fn sign<B: AsRef<[u8]>>(
        &self,
        now: SystemTime,
        request: &mut Request<B>,
        key: &PrivateKey,
    ) -> Result<(), SignError> {
        if request.headers().contains_key("signature")
            && !request.headers().contains_key("signature-input")
        {
            return Err(SignError::OtherSchemePresent);
        }
        let algorithm = key.default_algorithm();
        let items = self.items(request.body().as_ref().is_empty())?;
        let content_digest = HeaderName::from_static("content-digest");
        let covers_digest = items
            .iter()
            .any(|item| item.bare == BareItem::String("content-digest".to_owned()));
        if covers_digest && !request.headers().contains_key(&content_digest) {
            let value =
                HeaderValue::try_from(digest::content_digest_header(request.body().as_ref()))
                    .map_err(|_| SignError::Unwritable("Content-Digest header"))?;
            request.headers_mut().insert(content_digest, value);
        }
        let created = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| SignError::BeforeEpoch)?
            .as_secs();
        let created = i64::try_from(created).map_err(|_| SignError::BeforeEpoch)?;
        let mut params: Parameters = vec![("created".to_owned(), BareItem::Integer(created))];
        if let Some(lifetime) = self.expires_in {
            let lifetime = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX);
            params.push((
                "expires".to_owned(),
                BareItem::Integer(created.saturating_add(lifetime)),
            ));
        }
        params.push(("keyid".to_owned(), BareItem::String(self.key_id.clone())));
        if self.include_alg {
            params.push((
                "alg".to_owned(),
                BareItem::String(algorithm.rfc9421_name().to_owned()),
            ));
        }
        for (name, value) in [("nonce", &self.nonce), ("tag", &self.tag)] {
            if let Some(value) = value {
                params.push((name.to_owned(), BareItem::String(value.clone())));
            }
        }
        let label_ok = self
            .label
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'*')
            && self
                .label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-.*".contains(&b));
        if !label_ok {
            return Err(SignError::Unwritable("label"));
        }
        let target = Target {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        let (base, signature_params) = signature_base(&target, &items, &params)?;
        let signature = key.sign(algorithm, &base)?;
        let mut signature_value = format!("{}=", self.label);
        structured::write_bare(&mut signature_value, &BareItem::Bytes(signature));
        let input = HeaderValue::try_from(format!("{}={signature_params}", self.label))
            .map_err(|_| SignError::Unwritable("Signature-Input header"))?;
        let signature = HeaderValue::try_from(signature_value)
            .map_err(|_| SignError::Unwritable("Signature header"))?;
        let headers = request.headers_mut();
        headers.append(HeaderName::from_static("signature-input"), input);
        headers.append(HeaderName::from_static("signature"), signature);
        Ok(())
    }
}

/// One labelled signature read from `Signature-Input` and `Signature`.
pub(super) struct Labelled {
    pub(super) label: String,
    items: Vec<Item>,
    params: Parameters,
    signature: Vec<u8>,
    pub(super) key_id: String,
}

pub(super) fn read(
    headers: &HeaderMap,
    input: &[u8],
    label: Option<&str>,
    limits: &Limits,
) -> Result<Labelled, VerifyError> {
    let inputs = structured::parse_dictionary(
        input,
        SIGNATURE_INPUT,
        limits.max_header_bytes,
        limits.max_components,
    )?;
    let signatures = joined(headers, "signature").unwrap_or_default();
    let signatures = structured::parse_dictionary(
        &signatures,
        SIGNATURE,
        limits.max_header_bytes,
        limits.max_components,
    )?;
    let (label, member) = match label {
        Some(wanted) => inputs
            .into_iter()
            .find(|(name, _)| name == wanted)
            .ok_or_else(|| VerifyError::NoSuchLabel(wanted.to_owned()))?,
        None => inputs
            .into_iter()
            .next()
            .ok_or(ParseError::MissingParameter("signature label"))?,
    };
    let Member::InnerList(items, params) = member else {
        return Err(ParseError::Syntax {
            header: SIGNATURE_INPUT,
            offset: 0,
            reason: "a signature input is an inner list",
        }
        .into());
    };
    let signature = match signatures.into_iter().find(|(name, _)| *name == label) {
        Some((
            _,
            Member::Item(Item {
                bare: BareItem::Bytes(bytes),
                ..
            }),
        )) => bytes,
        Some(_) => {
            return Err(ParseError::Syntax {
                header: SIGNATURE,
                offset: 0,
                reason: "a signature is a byte sequence",
            }
            .into());
        }
        None => return Err(VerifyError::NoSuchLabel(label)),
    };
    let key_id = match structured::param(&params, "keyid") {
        Some(BareItem::String(key_id)) => key_id.clone(),
        _ => return Err(ParseError::MissingParameter("keyid").into()),
    };
    Ok(Labelled {
        label,
        items,
        params,
        signature,
        key_id,
    })
}

fn integer_param(params: &Parameters, name: &'static str) -> Result<Option<i64>, ParseError> {
    match structured::param(params, name) {
        None => Ok(None),
        Some(BareItem::Integer(value)) => Ok(Some(*value)),
        Some(_) => Err(ParseError::Syntax {
            header: SIGNATURE_INPUT,
            offset: 0,
            reason: "created and expires are integers",
        }),
    }
}

pub(super) fn verify<B: AsRef<[u8]>>(
    request: &Request<B>,
    input: &[u8],
    resolver: &mut dyn KeyResolver,
    options: &VerifyOptions,
) -> Result<Verified, VerifyError> {
    let signature = read(
        request.headers(),
        input,
        options.label.as_deref(),
        &options.limits,
    )?;
    let candidate = Candidate {
        covered: signature
            .items
            .iter()
            .map(|item| match &item.bare {
                BareItem::String(name) => name.clone(),
                _ => String::new(),
            })
            .collect(),
        key_id: signature.key_id,
        scheme: Scheme::Rfc9421 {
            label: signature.label,
        },
        signature: signature.signature,
    };
    let covers = |name: &str| candidate.covers(name);
    let requirements = options.requirements;
    if requirements.request_target
        && !(covers("@method")
            && (covers("@target-uri") || covers("@request-target") || covers("@path")))
    {
        return Err(VerifyError::NotCovered("@method and @target-uri"));
    }
    if requirements.host && !(covers("@target-uri") || covers("@authority") || covers("host")) {
        return Err(VerifyError::NotCovered("@authority"));
    }
    candidate.body_digest_covered(request.body().as_ref(), options, "content-digest")?;
    let created = integer_param(&signature.params, "created")?;
    match created {
        Some(created) => options.check_time(created)?,
        None if requirements.time => return Err(VerifyError::NoTime),
        None => {}
    }
    if let Some(expires) = integer_param(&signature.params, "expires")? {
        options.check_expires(expires)?;
    }

    let key = candidate.resolve(resolver)?;
    let algorithm = match structured::param(&signature.params, "alg") {
        None => key.algorithm(),
        Some(BareItem::String(name)) => {
            let named = Algorithm::from_rfc9421_name(name)
                .ok_or_else(|| VerifyError::UnsupportedAlgorithm(name.clone()))?;
            let fits = match key.algorithm {
                Some(pinned) => pinned == named,
                None => named.key_kind() == key.key.kind(),
            };
            if !fits {
                return Err(VerifyError::AlgorithmMismatch {
                    named: name.clone(),
                    key: key.key.kind(),
                });
            }
            named
        }
        Some(_) => {
            return Err(VerifyError::UnsupportedAlgorithm(
                "(not a string)".to_owned(),
            ));
        }
    };
    let target = Target {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
    };
    let (base, _) = signature_base(&target, &signature.items, &signature.params)?;
    candidate.conclude(request, key, algorithm, &base, options)
}

/// The RFC 9421 signature base a request gives for a `Signature-Input` value and label (the
/// first label when `None`): what is signed, for debugging and cross-checks.
///
/// # Errors
///
/// As verification does for a malformed header or a component the request cannot give.
pub fn rfc9421_signature_base<B>(
    request: &Request<B>,
    label: Option<&str>,
    limits: &Limits,
) -> Result<Vec<u8>, VerifyError> {
    let input = joined(request.headers(), "signature-input").ok_or(VerifyError::Unsigned)?;
    let signature = read(request.headers(), &input, label, limits)?;
    let target = Target {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
    };
    Ok(signature_base(&target, &signature.items, &signature.params)?.0)
}
