//! `fedi-inspect`: a command-line tool over the family's decoders, for people debugging these
//! protocols. Each protocol has a subcommand group; every subcommand reads files or standard
//! input, writes its results to standard output and its diagnostics to standard error, and exits
//! with status 0 on success, 1 when the input is invalid, 2 on a usage error.

#![forbid(unsafe_code)]

mod as2;
mod bus;
mod cattle;
mod sse;
mod versia;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Inspect, check and convert messages of the Fediverse real-time protocols.
#[derive(Debug, Parser)]
#[command(name = "fedi-inspect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Activity Streams 2.0 JSON: check, round-trip, normalise and validate documents.
    #[command(subcommand)]
    As2(as2::Command),
    /// WebSocket Bus messages (Cloudillo-style notification bus).
    #[command(subcommand)]
    Bus(bus::Command),
    /// Cattle Drive messages (cattle_grid's account protocol over AMQP/MQTT).
    #[command(subcommand)]
    Cattle(cattle::Command),
    /// Server-sent events (text/event-stream): decode a capture, encode from JSON lines.
    #[command(subcommand)]
    Sse(sse::Command),
    /// Versia signatures: sign and verify requests and WebSocket messages.
    #[command(subcommand)]
    Versia(versia::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::As2(command) => as2::run(command),
        Command::Bus(command) => bus::run(command),
        Command::Cattle(command) => cattle::run(command),
        Command::Sse(command) => sse::run(command),
        Command::Versia(command) => versia::run(command),
    }
}

/// An error's message followed by its causes' (`not valid JSON: expected ...`).
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        message.push_str(": ");
        message.push_str(&e.to_string());
        cause = e.source();
    }
    message
}
