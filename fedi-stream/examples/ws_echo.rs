//! A WebSocket echo server on `fedi_stream::websocket`, over blocking `std::net` sockets with a
//! thread per connection: the engine stays sans-IO, this file is the host. It is the server
//! the Autobahn conformance run (`scripts/autobahn`) drives.
//!
//! ```text
//! cargo run -p fedi-stream --release --example ws_echo -- [ADDRESS]
//! ```
//!
//! ADDRESS defaults to `127.0.0.1:9001`; with port 0 the system picks a free port. The first
//! line on standard output is `listening on ws://HOST:PORT`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

use fedi_stream::websocket::handshake::UpgradeRequest;
use fedi_stream::websocket::handshake::head::{self, HeadLimits};
use fedi_stream::websocket::{Connection, Event, InputError, Limits, State};

fn main() -> ExitCode {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let listener = match TcpListener::bind(&address) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("ws_echo: cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(bound) => println!("listening on ws://{bound}"),
        Err(error) => {
            eprintln!("ws_echo: {error}");
            return ExitCode::FAILURE;
        }
    }
    let _ = io::stdout().flush();
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || {
                    if let Err(error) = serve(stream) {
                        eprintln!("ws_echo: connection ended with {error}");
                    }
                });
            }
            Err(error) => eprintln!("ws_echo: accept failed: {error}"),
        }
    }
    ExitCode::SUCCESS
}

/// Runs one connection: the opening handshake, then echo until the connection is closed.
fn serve(mut stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut received = Vec::new();
    let (request, used) = loop {
        match head::parse_request(&received, &HeadLimits::default()) {
            Ok(Some(parsed)) => break parsed,
            Ok(None) => {}
            Err(error) => {
                stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")?;
                return Err(io::Error::new(io::ErrorKind::InvalidData, error));
            }
        }
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        received.extend_from_slice(&buffer[..n]);
    };
    let mut out = Vec::new();
    let upgrade = match UpgradeRequest::parse(&request) {
        Ok(upgrade) => upgrade,
        Err(refused) => {
            head::write_response(&refused.response(), &mut out);
            stream.write_all(&out)?;
            return Err(io::Error::new(io::ErrorKind::InvalidData, refused));
        }
    };
    let response = upgrade
        .response(None)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    head::write_response(&response, &mut out);
    stream.write_all(&out)?;
    out.clear();

    // One event at a time: every message is echoed before a Close or a failure that follows
    // it in the same read is answered (Autobahn cases 3.3 and 5.15 check this order).
    let mut connection = Connection::server(Limits::default().with_max_queued_events(1));
    let mut input = received.split_off(used);
    let mut fed = 0;
    loop {
        if fed < input.len() {
            match connection.handle_bytes(&input[fed..]) {
                Ok(n) => fed += n,
                Err(InputError::Backpressure { .. }) => {}
                Err(error) => return Err(io::Error::other(error)),
            }
        }
        // Pongs, and the Close answering the peer's or reporting a failure.
        let _ = connection.poll_transmit(&mut out);
        while let Some(event) = connection.poll_event() {
            match event {
                Event::Message(message) => {
                    // Refused only once a Close is queued; then there is nothing left to echo.
                    let _ = connection.send_message(&message, &mut out);
                }
                Event::Failed { error, frame_start } => {
                    eprintln!(
                        "ws_echo: peer failed the connection at stream byte {frame_start}: {error}"
                    );
                }
                Event::Ping(_) | Event::Pong(_) | Event::Close(_) => {}
            }
        }
        if !out.is_empty() {
            stream.write_all(&out)?;
            out.clear();
        }
        if connection.state() == State::Closed {
            // The server closes the TCP connection first (RFC 6455 §7.1.1).
            return stream.shutdown(Shutdown::Both);
        }
        if fed < input.len() {
            continue;
        }
        let n = stream.read(&mut buffer)?;
        if n == 0 {
            // Not closed for input here (the state is not `Closed`), so this cannot fail.
            let _ = connection.handle_end();
        } else {
            input.clear();
            input.extend_from_slice(&buffer[..n]);
            fed = 0;
        }
    }
}
