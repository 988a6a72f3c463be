//! The HTML audit report's structure: its sections, one bar per shard, the static 100% prediction
//! for the seed's constant key, the limit lines and tables when a distribution is supplied, and
//! nothing that would fetch from the network.

use std::path::{Path, PathBuf};

use shardlint::config::Config;
use shardlint::load::LoadOptions;
use shardlint::render::html::{
    HotKey, HtmlInput, OrderingGroup, ShardLoad, StreamDistribution, render,
};

fn seed() -> (shardlint::Report, Config) {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let config = Config::default();
    let report = shardlint::check(
        &[PathBuf::from("fixtures/tf-seed-hot-shard")],
        &config,
        &LoadOptions::default(),
    );
    (report, config)
}

/// The text of the first `<svg class="chart {class}` element.
fn chart<'a>(html: &'a str, class: &str) -> &'a str {
    let start = html
        .find(&format!("<svg class=\"chart {class}\""))
        .unwrap_or_else(|| panic!("no {class} chart"));
    let end = start + html[start..].find("</svg>").unwrap();
    &html[start..end]
}

fn assert_self_contained(html: &str) {
    for bad in [
        "<script",
        "<link",
        "url(http",
        "src=\"http",
        "@import",
        "<iframe",
    ] {
        assert!(!html.contains(bad), "the report must not contain `{bad}`");
    }
}

#[test]
fn seed_report_has_sections_one_bar_per_shard_and_no_fetches() {
    let (report, config) = seed();
    let html = render(&report, &HtmlInput::from_report(&report, &config), &config);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for id in [
        "id=\"summary\"",
        "id=\"streams\"",
        "id=\"findings\"",
        "id=\"stream-location-stream\"",
    ] {
        assert!(html.contains(id), "missing {id}");
    }
    assert_self_contained(&html);
    let records = chart(&html, "records");
    assert_eq!(records.matches("<rect class=\"bar").count(), 8);
    // The constant key `vin` lands on shard 3: its bar is the only one drawn hot, at 100%.
    assert_eq!(records.matches("class=\"bar hot\"").count(), 1);
    assert!(records.contains("data-shard=\"shardId-000000000003\""));
    assert!(records.contains(">100%</text>"));
    let keyspace = &html[html.find("<svg class=\"keyspace\"").unwrap()..];
    assert_eq!(
        keyspace[..keyspace.find("</svg>").unwrap()]
            .matches("<rect class=\"range")
            .count(),
        8
    );
    assert!(html.contains("key &quot;vin&quot; → shardId-000000000003"));
    // Findings list: code, location and help.
    assert!(html.contains("fixtures/tf-seed-hot-shard/main.tf:19:21"));
    assert_eq!(html.matches("<tr class=\"finding").count(), 3);
    assert!(html.contains("Help: to key by the payload field"));
}

#[test]
fn supplied_distribution_draws_rates_limits_hot_keys_and_groups() {
    let (report, config) = seed();
    let mut input = HtmlInput::from_report(&report, &config);
    let view = &mut input.streams[0];
    let shards: Vec<ShardLoad> = view
        .keyspace
        .iter()
        .enumerate()
        .map(|(i, k)| ShardLoad {
            shard_id: k.shard_id.clone(),
            start: k.start,
            end: k.end,
            records: if i == 3 { 3_000_000 } else { 0 },
            records_per_s: Some(if i == 3 { 1666.7 } else { 0.0 }),
            bytes_per_s: Some(if i == 3 { 150_000.0 } else { 0.0 }),
        })
        .collect();
    view.distribution = Some(StreamDistribution {
        source: "samples.jsonl".into(),
        total_records: 3_000_000,
        shards,
        hot_keys: vec![HotKey {
            key: "vin".into(),
            records: 3_000_000,
            share: 1.0,
            shard_id: "shardId-000000000003".into(),
        }],
        groups: vec![OrderingGroup {
            shard_id: "shardId-000000000003".into(),
            group: 0,
            keys: vec!["vin".into()],
            records: 3_000_000,
        }],
    });
    let html = render(&report, &input, &config);
    assert_self_contained(&html);
    let records = chart(&html, "records");
    assert_eq!(records.matches("<rect class=\"bar").count(), 8);
    assert!(records.contains("class=\"limit\""));
    assert!(records.contains("1,000 records/s per-shard write limit"));
    assert_eq!(records.matches("class=\"bar over\"").count(), 1);
    let bytes = chart(&html, "bytes");
    assert!(bytes.contains("1 MiB/s per-shard write limit"));
    assert!(html.contains("<table class=\"hot-keys\">"));
    assert!(html.contains("<table class=\"groups\">"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("distribution-report.html");
    std::fs::write(out, &html).unwrap();
}

#[test]
fn stream_without_prediction_says_no_samples() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let config = Config::default();
    let report = shardlint::check(
        &[PathBuf::from("fixtures/tf-seed-fixed")],
        &config,
        &LoadOptions::default(),
    );
    let html = render(&report, &HtmlInput::from_report(&report, &config), &config);
    assert!(html.contains("varies per record"));
    assert!(html.contains("No samples"));
    assert!(!html.contains("<svg class=\"chart"));
    assert!(html.contains("<svg class=\"keyspace\""));
}
