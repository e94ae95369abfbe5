//! `fedi-inspect versia`: sign and verify Versia requests and WebSocket messages.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use versia_ws::clock::MAX_UNIX_SECONDS;
use versia_ws::message::DEFAULT_MAX_MESSAGE_BYTES;
use versia_ws::path::{PathForm, PathMode};
use versia_ws::signature::{SignatureInput, sign_in, verify};
use versia_ws::{
    PrivateKey, PublicKey, Signature, SignedBy, VerifyError, VerifyOptions, Version,
    WebSocketMessage,
};

/// Subcommands of `fedi-inspect versia`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Sign a request body read from standard input; print the base64 signature.
    ///
    /// Signs `{method lower case} {path} {signed_at} {base64(sha256(body))}` with Ed25519. The
    /// body is read exactly as given (a trailing newline is part of it). `POST` and `post` sign
    /// the same string. Exits 1 if the key is not base64 PKCS#8 Ed25519 or the path is not a
    /// request path (starting with `/`, no query), and with `--versia-server-paths` if the body
    /// is not UTF-8 text without a byte-order mark (versia-server would hash other bytes).
    Sign {
        /// Private key: base64 of PKCS#8 DER.
        #[arg(long, value_name = "PKCS8_B64")]
        private_key: String,
        #[command(flatten)]
        request: RequestArgs,
        /// Sign versia-server's `encodeURI(new URL(url).pathname)` form of the path instead, for
        /// a peer running versia-server (give the path as sent).
        #[arg(long)]
        versia_server_paths: bool,
    },
    /// Verify a signature over a request body read from standard input.
    ///
    /// Exits 0 when the signature is valid and 1 when not, with the reason and the HTTP status
    /// the spec maps it to (401 or 422) on standard error. Nothing is printed on standard
    /// output. Without `--now` the 5-minute window is not checked.
    Verify {
        /// Public key: base64 of SPKI DER.
        #[arg(long, value_name = "SPKI_B64")]
        public_key: String,
        #[command(flatten)]
        request: RequestArgs,
        /// The base64 signature (`Versia-Signature`).
        #[arg(long, value_name = "S")]
        signature: String,
        /// Check `signed_at` against this unix time (±300 s).
        #[arg(long, value_name = "T2")]
        now: Option<u64>,
        /// Also accept versia-server's `encodeURI(pathname)` form of the path.
        #[arg(long)]
        versia_server_paths: bool,
    },
    /// Verify a WebSocketMessage (JSON) read from standard input.
    ///
    /// The message is checked as received on the endpoint at `--path` (signed string
    /// `post {path} {signed_at} {base64(sha256(entity))}`), with the given key whatever its
    /// `signed_by`. Exits 0 when valid, 1 when not (reason and status on standard error).
    /// Nothing is printed on standard output. Without `--now` the window is not checked.
    WsVerify {
        /// Public key: base64 of SPKI DER.
        #[arg(long, value_name = "SPKI_B64")]
        public_key: String,
        /// Path of the WebSocket endpoint, e.g. `/.versia/v0.6/ws`.
        #[arg(long, value_name = "P")]
        path: String,
        /// Check `signed_at` against this unix time (±300 s).
        #[arg(long, value_name = "T")]
        now: Option<u64>,
        /// Read `signed_by` by the rules of this version (`0.5` or `0.6`); by default either.
        #[arg(long, value_name = "VERSION", value_parser = parse_version)]
        versia_version: Option<Version>,
        /// Also accept versia-server's `encodeURI(pathname)` form of the path.
        #[arg(long)]
        versia_server_paths: bool,
    },
}

/// What a request signature covers, besides the body.
#[derive(Debug, clap::Args)]
pub(crate) struct RequestArgs {
    /// HTTP method, any case.
    #[arg(long, value_name = "M")]
    method: String,
    /// Request path, without query string (RFC 3986-encoded when signed).
    #[arg(long, value_name = "P")]
    path: String,
    /// Unix seconds (`Versia-Signed-At`).
    #[arg(long, value_name = "T")]
    signed_at: u64,
}

impl RequestArgs {
    /// The signature input over `body`.
    fn input(&self, body: &[u8]) -> Result<SignatureInput, String> {
        SignatureInput::new(&self.method, &self.path, self.signed_at, body)
            .map_err(|error| error.to_string())
    }
}

fn parse_version(text: &str) -> Result<Version, String> {
    Version::parse(text).ok_or_else(|| format!("`{text}` is not 0.5 or 0.6"))
}

/// Runs a `versia` subcommand.
pub(crate) fn run(command: Command) -> ExitCode {
    let outcome = match command {
        Command::Sign {
            private_key,
            request,
            versia_server_paths,
        } => run_sign(&private_key, &request, path_form(versia_server_paths)),
        Command::Verify {
            public_key,
            request,
            signature,
            now,
            versia_server_paths,
        } => run_verify(
            &public_key,
            &request,
            &signature,
            now.map(wall_clock),
            path_mode(versia_server_paths),
        ),
        Command::WsVerify {
            public_key,
            path,
            now,
            versia_version,
            versia_server_paths,
        } => run_ws_verify(
            &public_key,
            &path,
            now.map(wall_clock),
            versia_version,
            path_mode(versia_server_paths),
        ),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("{reason}");
            ExitCode::from(1)
        }
    }
}

fn path_mode(versia_server_paths: bool) -> PathMode {
    if versia_server_paths {
        PathMode::AlsoVersiaServer
    } else {
        PathMode::Strict
    }
}

fn path_form(versia_server_paths: bool) -> PathForm {
    if versia_server_paths {
        PathForm::VersiaServer
    } else {
        PathForm::Strict
    }
}

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    io::stdin()
        .read_to_end(&mut body)
        .map_err(|error| format!("cannot read standard input: {error}"))?;
    Ok(body)
}

fn invalid(error: &VerifyError) -> String {
    format!("invalid: {error} (HTTP {})", error.status().as_u16())
}

fn run_sign(private_key: &str, request: &RequestArgs, form: PathForm) -> Result<(), String> {
    let key = PrivateKey::from_pkcs8_base64(private_key)
        .map_err(|error| format!("--private-key: {error}"))?;
    let input = request.input(&read_stdin()?)?;
    let signature = sign_in(&key, &input, form).map_err(|error| error.to_string())?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{signature}").map_err(|error| error.to_string())
}

/// The wall clock at `--now` unix seconds. The verifiers clamp a clock past
/// [`MAX_UNIX_SECONDS`] to that limit, so clamping here first changes no verdict and cannot
/// overflow `SystemTime`.
fn wall_clock(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix.min(MAX_UNIX_SECONDS))
}

fn run_verify(
    public_key: &str,
    request: &RequestArgs,
    signature: &str,
    now: Option<SystemTime>,
    path_mode: PathMode,
) -> Result<(), String> {
    let mut key = PublicKey::from_spki_base64(public_key)
        .map_err(|error| format!("--public-key: {error}"))?;
    let input = request.input(&read_stdin()?)?;
    let signature = Signature::from_base64(signature).map_err(|error| invalid(&error))?;
    // The signer does not enter the signed string; the key is taken as the signer's.
    let signer = SignedBy::instance("cli.invalid");
    let options = VerifyOptions::new(Version::V0_6).with_path_mode(path_mode);
    verify(&options, &input, &signer, &signature, now, &mut key)
        .map(|_| ())
        .map_err(|error| invalid(&error))
}

fn run_ws_verify(
    public_key: &str,
    path: &str,
    now: Option<SystemTime>,
    version: Option<Version>,
    path_mode: PathMode,
) -> Result<(), String> {
    let mut key = PublicKey::from_spki_base64(public_key)
        .map_err(|error| format!("--public-key: {error}"))?;
    let text =
        String::from_utf8(read_stdin()?).map_err(|_| "standard input is not UTF-8".to_owned())?;
    let message = WebSocketMessage::decode(&text, DEFAULT_MAX_MESSAGE_BYTES)
        .map_err(|error| format!("invalid: {error} (HTTP 400)"))?;
    let version = match version {
        Some(version) => version,
        None if message.signer(Version::V0_6).is_ok() => Version::V0_6,
        None => Version::V0_5,
    };
    let options = VerifyOptions::new(version).with_path_mode(path_mode);
    message
        .verify(&options, path, now, &mut key)
        .map(|_| ())
        .map_err(|error| invalid(&error))
}
