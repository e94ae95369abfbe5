//! End-to-end tests of `fedi-inspect as2 check|roundtrip|normalize|validate` on the test
//! documents of activitystreams-core (`activitystreams-core/tests/data`, see its SOURCES.md).
//! Expected lines follow the command contract: `ok<TAB>PATH<TAB>TYPE` / `error<TAB>PATH<TAB>MESSAGE`.

mod inspect_common;

use inspect_common::run;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn data(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../activitystreams-core/tests/data")
        .join(relative)
}

fn json_files(folder: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(data(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "INDEX.json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    files
}

fn first_type(value: &Value) -> String {
    match &value["type"] {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .first()
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned(),
        _ => "-".to_owned(),
    }
}

#[test]
fn check_accepts_every_w3c_example_and_real_document_and_prints_its_type() {
    let mut files = json_files("w3c");
    files.extend(json_files("real"));
    let args: Vec<&str> = ["as2", "check"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, stdout, stderr) = run(&args, b"");
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len());
    for (line, file) in lines.iter().zip(&files) {
        let value: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(*line, format!("ok\t{file}\t{}", first_type(&value)));
    }
}

#[test]
fn check_reports_unparseable_files_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("fedi-inspect-as2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, body: &str| {
        let path = dir.join(name);
        std::fs::write(&path, body).unwrap();
        path.to_string_lossy().into_owned()
    };
    let untyped = write("untyped.json", r#"{"id":"https://a/1","name":"x"}"#);
    let multi = write(
        "multi.json",
        r#"{"type":["Like","schema:LikeAction"],"actor":5}"#,
    );
    let numeric = write("numeric.json", r#"{"type":16,"to":"as:Public"}"#);
    let broken = write("broken.json", r#"{"type":"Note""#);
    let array = write("array.json", r#"[{"type":"Note"}]"#);
    let missing = dir.join("missing.json").to_string_lossy().into_owned();
    let (code, stdout, _) = run(
        &[
            "as2", "check", &untyped, &multi, &numeric, &broken, &array, &missing,
        ],
        b"",
    );
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0], format!("ok\t{untyped}\t-"));
    assert_eq!(lines[1], format!("ok\t{multi}\tLike"));
    assert_eq!(lines[2], format!("ok\t{numeric}\t16"));
    assert!(
        lines[3].starts_with(&format!("error\t{broken}\tnot valid JSON: ")),
        "{}",
        lines[3]
    );
    assert_eq!(
        lines[4],
        format!("error\t{array}\tthe document is an array, expected a JSON object")
    );
    assert!(
        lines[5].starts_with(&format!("error\t{missing}\tcannot read: ")),
        "{}",
        lines[5]
    );
    for line in lines {
        assert_eq!(line.split('\t').count(), 3, "{line}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_reads_standard_input() {
    let (code, stdout, _) = run(&["as2", "check", "-"], br#"{"type":"Follow"}"#);
    assert_eq!((code, stdout.as_str()), (0, "ok\t-\tFollow\n"));
}

#[test]
fn roundtrip_prints_the_same_json_value_on_one_line() {
    for file in json_files("real").into_iter().chain(json_files("w3c")) {
        let (code, stdout, stderr) = run(&["as2", "roundtrip", &file], b"");
        assert_eq!(code, 0, "{file}: {stderr}");
        assert_eq!(stdout.matches('\n').count(), 1, "{file}: one line");
        let printed: Value = serde_json::from_str(&stdout).unwrap();
        let original: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(printed, original, "{file}");
    }
}

#[test]
fn roundtrip_keeps_duplicate_key_semantics_and_exits_1_on_non_objects() {
    let (code, stdout, _) = run(
        &["as2", "roundtrip", "-"],
        br#"{"id":"a","id":"b","x":1,"x":[2]}"#,
    );
    assert_eq!(code, 0);
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed, serde_json::json!({"id": "b", "x": [2]}));
    let (code, stdout, stderr) = run(&["as2", "roundtrip", "-"], b"42");
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.contains("the document is a number"), "{stderr}");
}

#[test]
fn normalize_writes_arrays_and_the_full_public_iri() {
    let file = data("real/fedify-note-compacted-as-public.json");
    let (code, stdout, stderr) = run(&["as2", "normalize", &file.to_string_lossy()], b"");
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["to"],
        serde_json::json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    assert_eq!(
        v["cc"],
        serde_json::json!(["https://todon.eu/users/hongminhee/followers"])
    );
    assert!(v["attachment"].is_array());
    assert_eq!(
        v["attributedTo"],
        serde_json::json!(["https://todon.eu/users/hongminhee"])
    );
    assert_eq!(v["type"], "Note", "type stays as written");
    assert_eq!(
        v["replies"]["first"]["items"],
        serde_json::json!(["https://todon.eu/users/hongminhee/statuses/112343493232608516"])
    );
}

#[test]
fn validate_accepts_every_w3c_example() {
    let files = json_files("w3c");
    let args: Vec<&str> = ["as2", "validate"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, stdout, _) = run(&args, b"");
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout.lines().count(), 191);
    assert!(stdout.lines().all(|l| l.starts_with("ok\t")));
}

#[test]
fn validate_rejects_every_w3c_fail_document_with_a_pointer() {
    let files = json_files("w3c-fail");
    assert_eq!(files.len(), 20);
    let args: Vec<&str> = ["as2", "validate"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let (code, stdout, _) = run(&args, b"");
    assert_eq!(code, 1);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 20);
    for (line, file) in lines.iter().zip(&files) {
        let prefix = format!("error\t{file}\t\"");
        assert!(line.starts_with(&prefix), "{line}");
    }
    let by_name = |name: &str| lines.iter().find(|l| l.contains(name)).copied().unwrap();
    assert!(
        by_name("number-as-actor.json")
            .ends_with("\t\"/actor\": `actor` must be an IRI, an object or a Link, found a number")
    );
    assert!(by_name("bad-character-set.json").contains("\t\"/contentMap/eo\": not valid JSON"));
    assert!(
        by_name("array-at-top.json")
            .ends_with("\t\"\": the document is an array, expected a JSON object")
    );
}

#[test]
fn missing_file_argument_is_a_usage_error() {
    let (code, _, stderr) = run(&["as2", "check"], b"");
    assert_eq!(code, 2, "{stderr}");
}
