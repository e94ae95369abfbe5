//! `fedi-inspect sse`: decode a captured `text/event-stream` body, or write one from JSON lines.

use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use fedi_stream::sse::{Decoder, Encoder, Limits, OutgoingEvent, Output};
use serde::{Deserialize, Serialize};

/// Subcommands of `fedi-inspect sse`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Decode a `text/event-stream` body from standard input into JSON lines.
    ///
    /// Decodes the raw bytes as a browser's EventSource would and prints one JSON line per
    /// output, in stream order:
    /// `{"type":T,"data":D,"last_event_id":L}` per dispatched event, `{"retry":MS}` per valid
    /// retry field, `{"comment":C}` per comment (with --comments), and finally
    /// `{"final_last_event_id":L}`. Exits 1 if the stream exceeds the limits (reported on
    /// standard error; decoding resumes after the next blank line).
    Decode {
        /// Feed the decoder N bytes at a time (default: all at once).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        chunk: Option<u64>,
        /// Start with this last event ID, as after a reconnect with `Last-Event-ID`.
        #[arg(long, value_name = "ID", default_value = "")]
        last_event_id: String,
        /// Also print comment lines.
        #[arg(long)]
        comments: bool,
        /// Longest line accepted, other than data lines (bytes).
        #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_LINE_LENGTH)]
        max_line_length: usize,
        /// Most data one event may carry (bytes).
        #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_EVENT_SIZE)]
        max_event_size: usize,
    },
    /// Encode JSON lines from standard input into a `text/event-stream` body.
    ///
    /// Each line is an object with any of
    /// `{"event":..,"data":..,"id":..,"retry":MS,"comment":..}`, into `text/event-stream`
    /// bytes on standard output (a comment line first, then one block). Exits 1 on a line that
    /// is not such an object or holds a value SSE cannot carry (e.g. a line break in `event`).
    Encode,
}

/// Runs an `sse` subcommand.
pub(crate) fn run(command: Command) -> ExitCode {
    match command {
        Command::Decode {
            chunk,
            last_event_id,
            comments,
            max_line_length,
            max_event_size,
        } => {
            let limits = Limits::default()
                .with_max_line_length(max_line_length)
                .with_max_event_size(max_event_size);
            let decoder = Decoder::new()
                .with_limits(limits)
                .with_comments(comments)
                .with_last_event_id(&last_event_id);
            decode(decoder, chunk)
        }
        Command::Encode => encode(),
    }
}

#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    event_type: &'a str,
    data: &'a str,
    last_event_id: &'a str,
}

#[derive(Serialize)]
struct RetryLine {
    retry: u128,
}

#[derive(Serialize)]
struct CommentLine<'a> {
    comment: &'a str,
}

#[derive(Serialize)]
struct FinalLine<'a> {
    final_last_event_id: &'a str,
}

fn decode(mut decoder: Decoder, chunk: Option<u64>) -> ExitCode {
    let mut input = Vec::new();
    if let Err(e) = io::stdin().read_to_end(&mut input) {
        eprintln!("error: cannot read standard input: {e}");
        return ExitCode::from(1);
    }
    let chunk = chunk
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(input.len())
        .max(1);
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut exceeded = false;
    let mut write = |decoder: &mut Decoder, out: &mut dyn Write| -> io::Result<()> {
        while let Some(output) = decoder.poll() {
            match output {
                Ok(Output::Event(event)) => {
                    let line = EventLine {
                        event_type: event.event_type(),
                        data: event.data(),
                        last_event_id: event.last_event_id(),
                    };
                    write_json(out, &line)?;
                }
                Ok(Output::Retry(retry)) => write_json(
                    out,
                    &RetryLine {
                        retry: retry.as_millis(),
                    },
                )?,
                Ok(Output::Comment(comment)) => {
                    write_json(out, &CommentLine { comment: &comment })?
                }
                Ok(other) => eprintln!("note: unhandled output {other:?}"),
                Err(error) => {
                    exceeded = true;
                    eprintln!("error: {error}");
                }
            }
        }
        Ok(())
    };
    let result = (|| {
        for piece in input.chunks(chunk) {
            decoder.feed(piece);
            write(&mut decoder, &mut out)?;
        }
        decoder.finish();
        write(&mut decoder, &mut out)?;
        write_json(
            &mut out,
            &FinalLine {
                final_last_event_id: decoder.last_event_id(),
            },
        )?;
        out.flush()
    })();
    match result {
        Err(e) => {
            eprintln!("error: cannot write standard output: {e}");
            ExitCode::from(1)
        }
        Ok(()) if exceeded => ExitCode::from(1),
        Ok(()) => ExitCode::SUCCESS,
    }
}

fn write_json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

/// One input line of `sse encode`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    event: Option<String>,
    data: Option<String>,
    id: Option<String>,
    /// Milliseconds.
    retry: Option<u64>,
    comment: Option<String>,
}

fn encode() -> ExitCode {
    let mut encoder = Encoder::new();
    let mut wire = Vec::new();
    for (index, line) in io::stdin().lock().lines().enumerate() {
        let number = index + 1;
        let line = match line {
            Ok(line) => line,
            Err(e) => {
                eprintln!("error: cannot read line {number} of standard input: {e}");
                return ExitCode::from(1);
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let block: Block = match serde_json::from_str(&line) {
            Ok(block) => block,
            Err(e) => {
                eprintln!("error: line {number}: not an SSE block object: {e}");
                return ExitCode::from(1);
            }
        };
        if let Err(e) = encode_block(&mut encoder, &block, &mut wire) {
            eprintln!("error: line {number}: {e}");
            return ExitCode::from(1);
        }
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(&wire).and_then(|()| out.flush()) {
        eprintln!("error: cannot write standard output: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

fn encode_block(
    encoder: &mut Encoder,
    block: &Block,
    wire: &mut Vec<u8>,
) -> Result<(), fedi_stream::sse::EncodeError> {
    if let Some(comment) = &block.comment {
        encoder.comment(comment, wire)?;
    }
    let outgoing = OutgoingEvent {
        event: block.event.as_deref(),
        data: block.data.as_deref(),
        id: block.id.as_deref(),
        retry: block.retry.map(Duration::from_millis),
    };
    if block.comment.is_none() || outgoing != OutgoingEvent::default() {
        encoder.encode(&outgoing, wire)?;
    }
    Ok(())
}
