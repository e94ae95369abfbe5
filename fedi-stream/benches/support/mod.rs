//! What the benches share: the real documents they are fed, the lines that tell
//! `scripts/bench-report` what each group measures, and the entry point that runs either the
//! criterion benchmarks or one case for an instruction profile.
//!
//! The documents are the real-world ActivityStreams corpus of `activitystreams-core`
//! (`tests/data/real`: Mastodon, bovine, Mitra, Fedify, Hollo, Bridgy Fed... fixtures),
//! minified as servers send them: whitespace outside strings removed, nothing else changed.

#![allow(dead_code)]

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};

/// The real documents, minified, in file-name order.
pub(crate) fn corpus() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../activitystreams-core/tests/data/real");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "the real corpus is in {}", dir.display());
    paths
        .iter()
        .map(|path| minify(&std::fs::read_to_string(path).expect("UTF-8 document")))
        .collect()
}

/// The real documents of 1,000 to 2,200 bytes once minified: what an inbox stream carries.
pub(crate) fn inbox_documents() -> Vec<String> {
    let documents: Vec<String> = corpus()
        .into_iter()
        .filter(|d| (1_000..=2_200).contains(&d.len()))
        .collect();
    assert!(
        documents.len() >= 5,
        "{} documents of 1-2 KB",
        documents.len()
    );
    documents
}

/// All the real documents one after the other, repeated up to at least `len` bytes.
pub(crate) fn real_text(len: usize) -> String {
    let corpus = corpus();
    let mut text = String::with_capacity(len + 4096);
    while text.len() < len {
        for document in &corpus {
            text.push_str(document);
        }
    }
    text
}

/// `count` pieces of real text of exactly `len` bytes each: consecutive windows of
/// [`real_text`], each cut at character boundaries and completed with the next ASCII byte of
/// the text (or a space), so that every piece is valid UTF-8 of the requested length.
pub(crate) fn real_pieces(len: usize, count: usize) -> Vec<String> {
    let text = real_text(len * count + 8192);
    let mut pieces = Vec::with_capacity(count);
    let mut at = 0;
    for _ in 0..count {
        let mut end = at + len;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mut piece = text[at..end].to_owned();
        while piece.len() < len {
            piece.push(' ');
        }
        pieces.push(piece);
        at = end;
    }
    pieces
}

/// Removes the whitespace outside strings of a JSON document.
pub(crate) fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_ascii_whitespace() {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// Tells `scripts/bench-report` what the criterion group `group` measures; the report prints
/// `text` above the group's table.
pub(crate) fn describe(group: &str, text: &str) {
    println!(
        "bench-report\tdescribe\t{group}\t{}",
        text.replace('\n', " ")
    );
}

/// The bench binary's entry point. With `FEDI_PROFILE=GROUP/SIDE/INPUT` (as criterion names a
/// benchmark, e.g. `encode_inbox/fedi-stream` or `websocket_read_text/fedi-stream/300B`; the
/// input may be empty or hold more slashes), calls `profile` with the three parts and exits;
/// otherwise runs `benches` and criterion's summary.
///
/// `profile` sets the case up and hands its work to [`profile_case`], which runs it once
/// inside [`profiled`]: for an instruction profile of that one run with callgrind's
/// `--toggle-collect=*profiled*` (callgrind's call counts include the uncollected runs; its
/// instruction counts do not).
pub(crate) fn main(benches: fn(), profile: fn(&str, &str, &str)) {
    if let Ok(case) = std::env::var("FEDI_PROFILE") {
        let mut parts = case.splitn(3, '/');
        let (Some(group), Some(side)) = (parts.next(), parts.next()) else {
            panic!("FEDI_PROFILE=GROUP/SIDE/INPUT, not {case}");
        };
        profile(group, side, parts.next().unwrap_or_default());
        return;
    }
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Runs `run` twice, the second time inside [`profiled`] (the first warms caches and buffers
/// up), checks that both runs returned the same, and prints the case with that result.
pub(crate) fn profile_case(mut run: impl FnMut() -> usize) {
    let first = run();
    let second = profiled(&mut run);
    assert_eq!(first, second);
    let case = std::env::var("FEDI_PROFILE").unwrap_or_default();
    println!("{case}: {second}");
}

/// The one function a profile collects (callgrind's `--toggle-collect=*profiled*`).
#[inline(never)]
pub(crate) fn profiled<T>(work: impl FnOnce() -> T) -> T {
    work()
}

/// How long [`compare`] runs the paired rounds of one side and one peer, at least.
const PAIRED_TIME: Duration = Duration::from_secs(2);
/// The fewest and the most paired rounds of one side and one peer.
const PAIRED_ROUNDS: (usize, usize) = (7, 5_000);

/// One side of a [`compare`]: its name (the benchmark's function name) and one run of its work.
pub(crate) type Side<'a> = (&'a str, Box<dyn FnMut() + 'a>);

/// Benchmarks each of `sides` on `input` in `group` (criterion, one side after the other),
/// then measures the ratio of each side to each of `peers` in paired rounds, when the
/// environment variable `FEDI_PAIRED` is set and `group_name` contains its value
/// (`scripts/bench-report` sets it empty: every group).
///
/// Criterion times each side in its own window of seconds; on a shared machine the load moves
/// between windows, and the ratio of two means with it (by ±10–15% between two runs here). A
/// paired round runs the side and the peer once each, one right after the other (which goes
/// first alternates), so both meet the same load: the ratio reported is the median over the
/// rounds of peer time ÷ side time, with the middle half of the rounds' ratios, printed for
/// `scripts/bench-report` as `bench-report paired GROUP JSON`.
pub(crate) fn compare(
    group: &mut BenchmarkGroup<'_, WallTime>,
    group_name: &str,
    input: &str,
    peers: &[&str],
    mut sides: Vec<Side<'_>>,
) {
    for (name, run) in &mut sides {
        if input.is_empty() {
            group.bench_function(*name, |b| b.iter(&mut *run));
        } else {
            group.bench_function(BenchmarkId::new(*name, input), |b| b.iter(&mut *run));
        }
    }
    if !std::env::var("FEDI_PAIRED").is_ok_and(|filter| group_name.contains(&filter)) {
        return;
    }
    for i in 0..sides.len() {
        for j in 0..sides.len() {
            if peers.contains(&sides[i].0) || !peers.contains(&sides[j].0) {
                continue;
            }
            let paired = paired_ratio(&mut sides, i, j);
            println!(
                "bench-report\tpaired\t{group_name}\t{{\"side\":{:?},\"input\":{input:?},\
                 \"peer\":{:?},\"ratio\":{},\"low\":{},\"high\":{},\"rounds\":{}}}",
                sides[i].0, sides[j].0, paired.ratio, paired.low, paired.high, paired.rounds
            );
        }
    }
}

/// The ratio of a side to a peer over paired rounds.
struct Paired {
    /// The median of peer time ÷ side time.
    ratio: f64,
    /// The first and third quartiles.
    low: f64,
    high: f64,
    rounds: usize,
}

/// Runs side `i` and peer `j` once each to warm up, then in rounds (which goes first
/// alternates) until [`PAIRED_TIME`] has passed, within [`PAIRED_ROUNDS`].
fn paired_ratio(sides: &mut [Side<'_>], i: usize, j: usize) -> Paired {
    let mut time = |k: usize| {
        let began = Instant::now();
        (sides[k].1)();
        began.elapsed().as_secs_f64()
    };
    time(i);
    time(j);
    let mut ratios = Vec::new();
    let start = Instant::now();
    while ratios.len() < PAIRED_ROUNDS.0
        || (start.elapsed() < PAIRED_TIME && ratios.len() < PAIRED_ROUNDS.1)
    {
        let (side, peer) = if ratios.len() % 2 == 0 {
            let side = time(i);
            (side, time(j))
        } else {
            let peer = time(j);
            (time(i), peer)
        };
        ratios.push(peer / side);
    }
    ratios.sort_by(f64::total_cmp);
    let at = |q: usize| ratios[(ratios.len() - 1) * q / 4];
    Paired {
        ratio: at(2),
        low: at(1),
        high: at(3),
        rounds: ratios.len(),
    }
}
