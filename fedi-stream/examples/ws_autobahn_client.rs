//! A WebSocket client on `fedi_stream::websocket` that runs the Autobahn fuzzing-server
//! protocol, over blocking `std::net` sockets: the engine stays sans-IO, this file is the host.
//! It is the client the Autobahn conformance run (`scripts/autobahn`) checks.
//!
//! ```text
//! cargo run -p fedi-stream --release --example ws_autobahn_client -- ADDRESS [AGENT]
//! ```
//!
//! ADDRESS is the fuzzing server's `HOST:PORT`; AGENT (default `fedi-stream`) names this client
//! in the reports. The client asks `/getCaseCount`, runs every case with
//! `/runCase?case=N&agent=AGENT` (echoing every text and binary message back, as it arrived,
//! until the connection closes), then asks the server to write its reports with
//! `/updateReports?agent=AGENT`. It prints a line for each case in which the server stopped
//! talking (20 s without a byte) and exits non-zero if the server could not be reached or
//! answered wrongly; whether a case passed is for the server's report to say.
//!
//! Nonces and masking keys come from a small generator seeded by the standard library's
//! per-process random hash keys: good enough for a test client, not for production, where a
//! CSPRNG should supply them.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use fedi_stream::websocket::handshake::ClientHandshake;
use fedi_stream::websocket::handshake::head::{self, HeadLimits};
use fedi_stream::websocket::{CloseCode, Connection, Event, InputError, Limits, Message, State};

/// How long a read may block: a case whose server stops talking ends after this.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(address) = args.next() else {
        eprintln!("usage: ws_autobahn_client HOST:PORT [AGENT]");
        return ExitCode::from(2);
    };
    let agent = args.next().unwrap_or_else(|| "fedi-stream".to_owned());
    match run(&address, &agent) {
        Ok(cases) => {
            println!("ws_autobahn_client: ran {cases} cases");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ws_autobahn_client: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the whole protocol; returns the number of cases run.
fn run(address: &str, agent: &str) -> io::Result<u32> {
    let mut random = Random::new();
    let count = session(address, "/getCaseCount", false, &mut random)?;
    let count = match &count.messages[..] {
        [Message::Text(text)] => text.trim().parse::<u32>().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(format!("getCaseCount answered {:?}", count.messages)))?;
    for case in 1..=count {
        let outcome = session(
            address,
            &format!("/runCase?case={case}&agent={agent}"),
            true,
            &mut random,
        )?;
        if let Some(end) = outcome.abnormal_end {
            println!("case {case}: {end}");
        }
    }
    session(
        address,
        &format!("/updateReports?agent={agent}"),
        false,
        &mut random,
    )?;
    Ok(count)
}

/// What one connection received.
struct Outcome {
    /// The messages, in order (none kept when they are echoed).
    messages: Vec<Message>,
    /// Why the connection ended without a closing handshake, if it did.
    abnormal_end: Option<String>,
}

/// One connection to `path`: the opening handshake, then read until the server closes the
/// TCP connection, echoing messages back if `echo`.
fn session(address: &str, path: &str, echo: bool, random: &mut Random) -> io::Result<Outcome> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let uri = format!("ws://{address}{path}")
        .parse()
        .map_err(|e| invalid(format!("{path}: {e}")))?;
    let mut nonce = [0; 16];
    nonce[..8].copy_from_slice(&random.next().to_le_bytes());
    nonce[8..].copy_from_slice(&random.next().to_le_bytes());
    let handshake = ClientHandshake::new(uri, nonce, &[]).map_err(invalid)?;
    let mut out = Vec::new();
    head::write_request(&handshake.request(), &mut out);
    stream.write_all(&out)?;
    out.clear();

    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = Vec::new();
    let (response, used) = loop {
        if let Some(parsed) = head::parse_response(&received, &HeadLimits::default())
            .map_err(|e| invalid(format!("{path}: {e}")))?
        {
            break parsed;
        }
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Err(invalid(format!("{path}: closed during the handshake")));
        }
        received.extend_from_slice(&buffer[..n]);
    };
    handshake
        .check_response(&response)
        .map_err(|e| invalid(format!("{path}: {e}")))?;

    // One event at a time: every message is echoed before a Close or a failure that follows
    // it in the same read is answered.
    let limits = Limits::default().with_max_queued_events(1);
    let mut connection = Connection::client(limits, random.next());
    let mut messages = Vec::new();
    let mut abnormal_end = None;
    let mut input = received.split_off(used);
    let mut fed = 0;
    loop {
        if fed < input.len() {
            match connection.handle_bytes(&input[fed..]) {
                Ok(n) => fed += n,
                Err(InputError::Backpressure { .. }) => {}
                Err(error) => return Err(invalid(error)),
            }
        }
        // Pongs, and the Close answering the server's or reporting a failure.
        let _ = connection.poll_transmit(&mut out);
        while let Some(event) = connection.poll_event() {
            match event {
                // Refused only once a Close is queued; then nothing is left to echo.
                Event::Message(message) if echo => {
                    let _ = connection.send_message(&message, &mut out);
                }
                Event::Message(message) => messages.push(message),
                // Failures are answered with their close code; the report judges them.
                Event::Failed { .. } | Event::Ping(_) | Event::Pong(_) | Event::Close(_) => {}
            }
        }
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        if fed < input.len() {
            continue;
        }
        let n = match stream.read(&mut buffer) {
            Ok(n) => n,
            Err(error) if is_timeout(&error) && connection.state() == State::Open => {
                // The server went quiet: start the closing handshake and wait once more.
                abnormal_end = Some("the server sent nothing for 20 s".to_owned());
                let _ = connection.close(CloseCode::GOING_AWAY, "timeout", &mut out);
                continue;
            }
            Err(error) if is_timeout(&error) => {
                // A client waits for the server to close the TCP connection (RFC 6455 §7.1.1),
                // but not forever.
                abnormal_end.get_or_insert_with(|| "the server kept the TCP connection".into());
                break;
            }
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset => 0,
            Err(error) => return Err(error),
        };
        if n == 0 {
            // Closed for input already if the closing handshake completed: nothing to report.
            let _ = connection.handle_end();
            break;
        }
        if connection.state() == State::Closed {
            // The handshake is over; bytes after it are not read.
            continue;
        }
        input.clear();
        input.extend_from_slice(&buffer[..n]);
        fed = 0;
    }
    Ok(Outcome {
        messages,
        abnormal_end,
    })
}

fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn invalid(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

/// splitmix64, seeded from the standard library's random hash keys.
struct Random(u64);

impl Random {
    fn new() -> Self {
        Self(RandomState::new().hash_one(0u8))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
