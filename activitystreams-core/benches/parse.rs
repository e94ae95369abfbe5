//! Typed parse and serialize throughput on a Mastodon Create{Note}, side by side with
//! `serde_json::Value` and the `activitystreams` 0.7 crate.
//!
//! Run: `cargo bench -p activitystreams-core --bench parse`

use std::hint::black_box;

use activitystreams_core::Object;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const NOTE: &[u8] = include_bytes!("data/mastodon-create-note.json");

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(NOTE.len() as u64));
    group.bench_function("activitystreams-core", |b| {
        b.iter(|| Object::from_slice(black_box(NOTE)).expect("parses"));
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(NOTE)).expect("parses"));
    });
    group.bench_function("activitystreams 0.7", |b| {
        b.iter(|| {
            serde_json::from_slice::<activitystreams::activity::Create>(black_box(NOTE))
                .expect("parses")
        });
    });
    group.finish();
}

fn serialize(c: &mut Criterion) {
    let ours = Object::from_slice(NOTE).expect("parses");
    let value: serde_json::Value = serde_json::from_slice(NOTE).expect("parses");
    let peer: activitystreams::activity::Create = serde_json::from_slice(NOTE).expect("parses");

    let mut group = c.benchmark_group("serialize");
    group.throughput(Throughput::Bytes(NOTE.len() as u64));
    group.bench_function("activitystreams-core", |b| {
        b.iter(|| black_box(&ours).to_json_vec().expect("writes"));
    });
    group.bench_function("activitystreams-core (serde::Serialize)", |b| {
        b.iter(|| serde_json::to_vec(black_box(&ours)).expect("writes"));
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).expect("writes"));
    });
    group.bench_function("activitystreams 0.7", |b| {
        b.iter(|| serde_json::to_vec(black_box(&peer)).expect("writes"));
    });
    group.finish();
}

criterion_group!(benches, parse, serialize);
criterion_main!(benches);
