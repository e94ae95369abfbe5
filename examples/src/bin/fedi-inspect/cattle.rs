//! `fedi-inspect cattle`: classify and decode Cattle Drive messages.

use std::io::Read;
use std::process::ExitCode;

use cattle_drive_types::message::{Limits, Message};
use cattle_drive_types::topic::{RoutingKey, Transport};

/// Subcommands of `fedi-inspect cattle`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Decode one message body from standard input, published with `--routing-key`, and print
    /// `{"kind":K,"message":M}`: K the kind its key names (`request.info`, `trigger.generic`,
    /// `event.incoming`, `error`, ...), M the body as cattle_grid's models write it back.
    Parse {
        /// The AMQP routing key (`send.alice.request.fetch`) or MQTT topic
        /// (`send/alice/request/fetch`) the body was published with.
        #[arg(long)]
        routing_key: String,
    },
}

/// Runs a `cattle` subcommand.
pub(crate) fn run(command: Command) -> ExitCode {
    match command {
        Command::Parse { routing_key } => parse(&routing_key),
    }
}

fn parse(routing_key: &str) -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(1);
    }
    match render(routing_key, &input) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// MQTT topics are recognised by their first level; everything else is an AMQP routing key
/// (whose event tail may itself contain `/`).
fn transport_of(key: &str) -> Transport {
    if ["send/", "receive/", "error/"]
        .iter()
        .any(|p| key.starts_with(p))
    {
        Transport::Mqtt
    } else {
        Transport::Amqp
    }
}

/// The output line: the re-encoded body is embedded as written, so its keys keep the model's
/// order.
fn render(routing_key: &str, body: &[u8]) -> Result<String, String> {
    let key =
        RoutingKey::parse(routing_key, transport_of(routing_key)).map_err(|e| e.to_string())?;
    let kind = key.kind();
    let message = Message::decode(&key.route, body, &Limits::default())
        .map_err(|e| format!("invalid {kind} body: {}", crate::with_causes(&e)))?;
    let json = String::from_utf8(message.to_json()).map_err(|e| e.to_string())?;
    Ok(format!("{{\"kind\":\"{kind}\",\"message\":{json}}}"))
}
