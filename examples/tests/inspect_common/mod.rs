//! Runs the `fedi-inspect` binary for the end-to-end tests of its subcommand groups.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `fedi-inspect ARGS` with `stdin` as its standard input and waits for it to exit.
pub(crate) fn output(args: &[&str], stdin: impl AsRef<[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fedi-inspect"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("fedi-inspect does not start: {e}"));
    if let Some(mut input) = child.stdin.take() {
        // A usage error exits before reading standard input; the write may then fail, harmlessly.
        let _ = input.write_all(stdin.as_ref());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("fedi-inspect did not finish: {e}"))
}

/// Like [`output`], returning the exit code (-1 when killed by a signal), stdout and stderr.
#[allow(dead_code, reason = "not every test file uses both forms")]
pub(crate) fn run(args: &[&str], stdin: impl AsRef<[u8]>) -> (i32, String, String) {
    let out = output(args, stdin);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
