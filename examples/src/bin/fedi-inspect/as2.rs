//! `fedi-inspect as2`: check, round-trip, normalise and validate Activity Streams 2.0 JSON.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use activitystreams_core::{Object, Prop, Text, validate_document};

use crate::with_causes;

/// Subcommands of `fedi-inspect as2`. A FILE of `-` reads standard input.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Check that each file is a JSON object (lenient: any JSON object real servers send).
    ///
    /// Prints one line per file: `ok<TAB>PATH<TAB>TYPE` or `error<TAB>PATH<TAB>MESSAGE`.
    /// TYPE is the document's `type` (the first one if it is an array; a non-string type is
    /// shown as compact JSON, a string with control characters as a JSON string); `-` when the
    /// document has no type. Exits 1 if any file is not parseable JSON-AS2 (unreadable, not
    /// JSON, or not an object).
    Check {
        /// Documents to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Print the document after parsing and serialising (compact JSON, one line).
    ///
    /// The output is the same JSON value as the input (key order aside). Exits 1 if the
    /// document is not parseable JSON-AS2.
    Roundtrip {
        /// The document.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Print the normalised document (compact JSON, one line).
    ///
    /// Single values become arrays where AS2 allows many (references such as `to`, `tag`,
    /// `attachment`, `actor`, `object`), and `as:Public`/`Public` in addressing become the full
    /// Public IRI. Exits 1 if the document is not parseable JSON-AS2.
    Normalize {
        /// The document.
        #[arg(value_name = "FILE")]
        file: String,
    },
    /// Validate each file strictly against AS2.
    ///
    /// Prints one line per file like `check`: `ok<TAB>PATH<TAB>TYPE`, or
    /// `error<TAB>PATH<TAB>MESSAGE` where MESSAGE lists every violation as
    /// `"JSON-POINTER": reason`, separated by `; `. Exits 1 if any file has a violation.
    Validate {
        /// Documents to validate.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
}

/// Runs an `as2` subcommand.
pub(crate) fn run(command: Command) -> ExitCode {
    match command {
        Command::Check { files } => report_each(&files, check),
        Command::Validate { files } => report_each(&files, validate),
        Command::Roundtrip { file } => print_document(&file, |object| Ok(object)),
        Command::Normalize { file } => print_document(&file, |object| {
            object.normalized().map_err(|e| e.to_string())
        }),
    }
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    let result = if path == "-" {
        let mut bytes = Vec::new();
        io::stdin().read_to_end(&mut bytes).map(|_| bytes)
    } else {
        std::fs::read(path)
    };
    result.map_err(|e| format!("cannot read: {e}"))
}

/// Prints one `ok`/`error` line per file; exit status 1 if any file failed.
fn report_each(files: &[String], inspect: fn(&[u8]) -> Result<String, String>) -> ExitCode {
    let mut stdout = io::stdout().lock();
    let mut failed = false;
    for path in files {
        let line = match read(path).and_then(|bytes| inspect(&bytes)) {
            Ok(type_name) => format!("ok\t{path}\t{type_name}"),
            Err(message) => {
                failed = true;
                format!("error\t{path}\t{}", one_line(&message))
            }
        };
        if writeln!(stdout, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn check(bytes: &[u8]) -> Result<String, String> {
    let object = Object::from_slice(bytes).map_err(|e| with_causes(&e))?;
    Ok(type_column(&object))
}

fn validate(bytes: &[u8]) -> Result<String, String> {
    let violations = validate_document(bytes);
    if !violations.is_empty() {
        let messages: Vec<String> = violations.iter().map(ToString::to_string).collect();
        return Err(messages.join("; "));
    }
    Object::from_slice(bytes)
        .map(|object| type_column(&object))
        .map_err(|e| with_causes(&e))
}

/// The TYPE column: the first `type` value, `-` without one.
fn type_column(object: &Object<'_>) -> String {
    let first = object.type_value().and_then(Prop::first);
    match first {
        None => "-".to_owned(),
        Some(Text::String(name)) if !name.chars().any(char::is_control) && !name.is_empty() => {
            name.to_string()
        }
        Some(Text::String(name)) => serde_json::to_string(name.as_str()).unwrap_or_default(),
        Some(Text::Other(value)) => value
            .to_value()
            .ok()
            .and_then(|v| serde_json::to_string(&v).ok())
            .unwrap_or_else(|| "-".to_owned()),
    }
}

/// Messages go on one line of the report.
fn one_line(message: &str) -> String {
    message.replace(['\t', '\n', '\r'], " ")
}

fn print_document(
    path: &str,
    transform: impl FnOnce(Object<'_>) -> Result<Object<'_>, String>,
) -> ExitCode {
    let bytes = match read(path) {
        Ok(bytes) => bytes,
        Err(message) => return fail(path, &message),
    };
    let object = match Object::from_slice(&bytes) {
        Ok(object) => object,
        Err(e) => return fail(path, &with_causes(&e)),
    };
    let json = match transform(object).and_then(|o| o.to_json_vec().map_err(|e| e.to_string())) {
        Ok(json) => json,
        Err(message) => return fail(path, &message),
    };
    let mut stdout = io::stdout().lock();
    if stdout
        .write_all(&json)
        .and_then(|()| stdout.write_all(b"\n"))
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn fail(path: &str, message: &str) -> ExitCode {
    eprintln!("fedi-inspect: {path}: {message}");
    ExitCode::FAILURE
}
