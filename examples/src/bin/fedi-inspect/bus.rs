//! `fedi-inspect bus`: decode WebSocket Bus messages.

use std::io::Read;
use std::process::ExitCode;

use bus_protocol::message::{ClientMessage, DecodeError, ServerMessage};

/// Subcommands of `fedi-inspect bus`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Decode one Bus message from standard input and print `{"kind":K,"message":M}`, where K is
    /// its `type` and M the message as this library writes it back.
    Parse {
        /// Which side sent the message.
        #[arg(long, value_enum)]
        from: Side,
    },
}

/// The sender of a Bus message.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum Side {
    /// A browser or app (subscribe, presence, typing, ping, ...).
    Client,
    /// The server (welcome, action, presence, error, ...).
    Server,
}

/// Runs a `bus` subcommand.
pub(crate) fn run(command: Command) -> ExitCode {
    match command {
        Command::Parse { from } => parse(from),
    }
}

fn parse(from: Side) -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(1);
    }
    match render(from, &input) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let side = match from {
                Side::Client => "client",
                Side::Server => "server",
            };
            eprintln!("error: invalid {side} message: {e}");
            ExitCode::from(1)
        }
    }
}

/// The output line for one message: the encoded message is embedded as written, so its
/// fields keep the protocol's order.
fn render(from: Side, input: &[u8]) -> Result<String, DecodeError> {
    let (kind, message) = match from {
        Side::Client => {
            let m = ClientMessage::decode(input)?;
            (m.kind(), m.to_json_string())
        }
        Side::Server => {
            let m = ServerMessage::decode(input)?;
            (m.kind(), m.to_json_string())
        }
    };
    Ok(format!("{{\"kind\":\"{kind}\",\"message\":{message}}}"))
}
