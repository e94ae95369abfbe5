//! The crate's layout, checked from its sources: three separate parts (the `sse` codec, the
//! `websocket` engine and `c2s` streaming on top of the codec) and no import cycle between
//! modules, at the level of the parts and of the `c2s` modules (`c2s::item`, `c2s::feed`, …).
//!
//! Every path to another module counts: `use crate::…`, inline `crate::…` paths and `super::…`
//! paths that leave the module, in tests and docs-free code alike.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The module a source file defines, as path segments (`src/c2s/feed/format/mod.rs` is
/// `["c2s", "feed", "format"]`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut segments: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().into_owned())
        .collect();
    let last = segments.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        segments.push(stem.to_owned());
    }
    segments
}

/// The unit a module belongs to: `c2s::{module}` inside `c2s`, else the top-level module.
fn unit(module: &[String]) -> Option<String> {
    match module {
        [] => None,
        [top, inner, ..] if top == "c2s" => Some(format!("c2s::{inner}")),
        [top, ..] => Some(top.clone()),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The modules `line` names by absolute (`crate::a::b`) or relative (`super::a`) paths, resolved
/// against `module` (the file's own module).
fn referenced(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let bytes = line.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident_byte(bytes[i - 1]);
        let rest = &bytes[i..];
        if starts_word && (rest.starts_with(b"crate::") || rest.starts_with(b"super::")) {
            let mut path: Vec<String> = if rest.starts_with(b"crate::") {
                Vec::new()
            } else {
                module.to_vec()
            };
            let mut j = i;
            loop {
                let tail = &bytes[j..];
                if tail.starts_with(b"crate::") {
                    j += "crate::".len();
                } else if tail.starts_with(b"super::") {
                    path.pop();
                    j += "super::".len();
                } else {
                    break;
                }
            }
            // The named segments after the prefix (lower-case ones are modules).
            loop {
                let len = bytes[j..].iter().take_while(|b| is_ident_byte(**b)).count();
                if len == 0 || !bytes[j].is_ascii_lowercase() {
                    break;
                }
                path.push(String::from_utf8_lossy(&bytes[j..j + len]).into_owned());
                j += len;
                if bytes[j..].starts_with(b"::") {
                    j += 2;
                } else {
                    break;
                }
            }
            found.push(path);
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// Edges between units: `from` → every unit it names.
fn unit_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let module = module_of(&src, &file);
        let Some(from) = unit(&module) else {
            continue;
        };
        graph.entry(from.clone()).or_default();
        let text = fs::read_to_string(&file).expect("a readable source file");
        for line in text.lines() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for path in referenced(code, &module) {
                if let Some(to) = unit(&path)
                    && to != from
                {
                    graph.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    graph
}

/// A cycle in `graph`, if there is one (as the list of units around it).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_path_reader_resolves_absolute_and_relative_paths() {
    let module = ["c2s".to_owned(), "feed".to_owned(), "format".to_owned()];
    assert_eq!(
        referenced("use crate::c2s::item::{ItemId, Json};", &module),
        [["c2s", "item"]]
    );
    assert_eq!(
        referenced("let x = super::super::socket::write(out);", &module),
        [["c2s", "socket", "write"]]
    );
    assert_eq!(
        referenced("use super::entry::Entry; mycrate::x", &module),
        [["c2s", "feed", "entry"]]
    );
    let cyclic = BTreeMap::from([
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]);
    assert_eq!(
        find_cycle(&cyclic),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}

#[test]
fn no_module_imports_form_a_cycle() {
    let graph = unit_graph();
    assert!(graph.contains_key("c2s::feed") && graph.contains_key("c2s::socket"));
    assert_eq!(find_cycle(&graph), None, "module graph: {graph:#?}");
}

#[test]
fn the_codec_and_the_engine_stand_alone() {
    let graph = unit_graph();
    let none = BTreeSet::new();
    assert_eq!(
        graph.get("sse"),
        Some(&none),
        "sse uses nothing else of the crate"
    );
    // The pieces the engine and the C2S socket share: the close code, the input error, the
    // seeded generator. They use nothing else.
    let shared = BTreeSet::from(["close".to_owned(), "input".to_owned(), "random".to_owned()]);
    for unit in &shared {
        assert_eq!(graph.get(unit), Some(&none), "{unit} uses nothing else");
    }
    let engine = graph.get("websocket").expect("the engine");
    assert!(
        engine.is_subset(&shared),
        "websocket uses only the shared pieces: {engine:?}"
    );
    for (unit, uses) in &graph {
        if unit.starts_with("c2s::") {
            assert!(
                !uses.contains("websocket"),
                "{unit} uses the WebSocket engine: {uses:?}"
            );
        }
    }
}
