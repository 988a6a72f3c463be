//! The HTML audit report's structure: its sections, one bar per shard, the static 100% prediction
//! for the seed's constant key, the limit lines and tables when a distribution is supplied, and
//! nothing that would fetch from the network.

use std::path::{Path, PathBuf};

use shardlint::config::Config;
use shardlint::load::LoadOptions;
use shardlint::render::html::render;
use shardlint::view::audit::{AuditView, HotKey, OrderingGroup, ShardLoad, StreamDistribution};

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
    let html = render(&report, &AuditView::from_report(&report, &config));
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
    let mut input = AuditView::from_report(&report, &config);
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
            peak_per_s: None,
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
            // One key for the whole sample: the stream is the problem, not a key (SL402).
            hot: false,
        }],
        groups: vec![OrderingGroup {
            shard_id: "shardId-000000000003".into(),
            group: 0,
            keys: vec!["vin".into()],
            records: 3_000_000,
        }],
        hot_shard: Some("shardId-000000000003".into()),
    });
    input.derive();
    let html = render(&report, &input);
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
    let html = render(&report, &AuditView::from_report(&report, &config));
    assert!(html.contains("varies per record"));
    assert!(html.contains("No samples"));
    assert!(!html.contains("<svg class=\"chart"));
    assert!(html.contains("<svg class=\"keyspace\""));
}

/// The text of every `<text class="tick"` inside `svg`, in order.
fn ticks(svg: &str) -> Vec<String> {
    svg.split("<text class=\"tick\"")
        .skip(1)
        .map(|t| t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()].to_string())
        .collect()
}

#[test]
fn export_report_leads_with_the_worst_stream_and_says_what_the_export_is_of() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let config = Config::default();
    let report = shardlint::check(
        &[PathBuf::from("fixtures/export-observed-seed")],
        &config,
        &LoadOptions::default(),
    );
    let html = render(&report, &AuditView::from_report(&report, &config));
    assert_self_contained(&html);
    // Header: account, region, export time, window, CLI, the two failed calls.
    for want in [
        "<dd>123456789012</dd>",
        "<dd>ap-northeast-1</dd>",
        "<dd>2026-11-30T22:31:04Z</dd>",
        "<dd>2026-11-30T22:00:00Z to 2026-11-30T22:30:00Z</dd>",
        "<dd>aws-cli/2.22.35</dd>",
        "The export is partial: 2 calls failed",
        "access-denied aws iot get-topic-rule --rule-name audit_to_kinesis",
        "throttled aws kinesis describe-stream-summary --stream-name audit-stream",
    ] {
        assert!(html.contains(want), "missing {want}");
    }
    // The overview ranks the throttled seed stream first, then the quiet one.
    let overview = &html[html.find("<table class=\"overview\">").unwrap()..];
    let overview = &overview[..overview.find("</table>").unwrap()];
    let links: Vec<&str> = overview
        .split("<a href=#")
        .skip(1)
        .map(|x| &x[..x.find('>').unwrap()])
        .collect();
    assert_eq!(links, ["stream-location-stream", "stream-audit-stream"]);
    assert!(
        overview.contains("135,000 <i>in 14 periods</i>"),
        "{overview}"
    );
    // Shard-level metrics: shard 3 carried 1,000 records/s at its peak, 100% of its limit.
    assert!(
        overview.contains("<span class=near>100%</span> <i>observed</i>"),
        "{overview}"
    );
    // The seed's card: write rate against capacity with the 14 throttled minutes marked, and
    // the IteratorAge of the stream and of both functions reading it.
    let card = &html[html.find("id=\"stream-location-stream\"").unwrap()..];
    let card = &card[..card.find("</section>").unwrap()];
    let rate = &card[card.find("<svg class=\"timechart write-rate\"").unwrap()..];
    let rate = &rate[..rate.find("</svg>").unwrap()];
    assert!(rate.contains("capacity 8,000/s (8 open shards × 1,000)"));
    assert_eq!(rate.matches(" rejected</title>").count(), 14);
    assert!(card.contains("<svg class=\"timechart iterator-age\""));
    assert!(card.contains("Lambda IteratorAge of location-writer"));
    // Observed per-shard peaks: shard 3 at the limit is drawn hot, the others are not.
    let shards = chart(card, "observed-shards");
    assert_eq!(shards.matches("<rect class=\"bar").count(), 8);
    assert_eq!(shards.matches("class=\"bar hot\"").count(), 1);
    // Its findings sit in its card; the consumers' settings too.
    for code in ["SL101", "SL501", "SL502", "SL503"] {
        assert!(
            card.contains(&format!("<b>{code}</b>")),
            "{code} not in the card"
        );
    }
    assert!(card.contains("<td>ParallelizationFactor</td>"));
}

#[test]
fn mib_axis_ticks_are_round_mib() {
    let (report, config) = seed();
    let mut input = AuditView::from_report(&report, &config);
    let view = &mut input.streams[0];
    let shards = view
        .keyspace
        .iter()
        .map(|k| ShardLoad {
            shard_id: k.shard_id.clone(),
            start: k.start,
            end: k.end,
            records: 10,
            records_per_s: Some(10.0),
            bytes_per_s: Some(150_000.0),
            peak_per_s: None,
        })
        .collect();
    view.distribution = Some(StreamDistribution {
        source: "s".into(),
        total_records: 80,
        shards,
        ..Default::default()
    });
    input.derive();
    let html = render(&report, &input);
    let t = ticks(chart(&html, "bytes"));
    assert_eq!(
        t[..5],
        ["0 MiB/s", "0.5 MiB/s", "1 MiB/s", "1.5 MiB/s", "2 MiB/s"]
    );
}

#[test]
fn two_hundred_shards_draw_the_busiest_sorted_and_a_heat_strip_of_all() {
    let (report, config) = seed();
    let mut input = AuditView::from_report(&report, &config);
    let step = u128::MAX / 200;
    let shards: Vec<ShardLoad> = (0..200u128)
        .map(|i| ShardLoad {
            shard_id: format!("shardId-{i:012}"),
            start: i * step,
            end: (i + 1) * step - 1,
            records: 1,
            records_per_s: Some(match i {
                17 => 1_400.0,
                140 => 1_200.0,
                _ => 300.0 + i as f64,
            }),
            bytes_per_s: None,
            peak_per_s: None,
        })
        .collect();
    input.streams[0].distribution = Some(StreamDistribution {
        source: "s".into(),
        total_records: 200,
        shards,
        ..Default::default()
    });
    input.derive();
    let html = render(&report, &input);
    let records = chart(&html, "records");
    assert!(records.contains("busiest 19 of 200 shards, sorted"));
    let bars: Vec<&str> = records
        .split("data-shard=\"")
        .skip(1)
        .map(|x| &x[..x.find('"').unwrap()])
        .collect();
    assert_eq!(bars.len(), 20);
    assert_eq!(
        &bars[..3],
        [
            "shardId-000000000017",
            "shardId-000000000140",
            "shardId-000000000199"
        ]
    );
    assert_eq!(bars[19], "181 others");
    // Every bar is wide enough to see (936 / 20 × 0.72 ≈ 34 units).
    assert_eq!(records.matches("class=\"bar over\"").count(), 2);
    let heat = &html[html.find("<svg class=\"heat records\"").unwrap()..];
    let heat = &heat[..heat.find("</svg>").unwrap()];
    assert_eq!(heat.matches("<rect ").count(), 200);
    assert_eq!(heat.matches("fill=\"#e8590c\"").count(), 2);
}

/// Writes an export of `n` one-shard streams with 30 minutes of metrics; the streams in
/// `throttled` rejected writes.
fn write_export(dir: &Path, n: usize, throttled: &[usize]) {
    let k = dir.join("r/kinesis");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::create_dir_all(dir.join("r/metrics")).unwrap();
    let ts: Vec<String> = (0..30)
        .map(|m| format!("\"2026-11-30T22:{m:02}:00+00:00\""))
        .collect();
    let mut series = Vec::new();
    for i in 0..n {
        let name = format!("s{i:03}");
        std::fs::write(
            k.join(format!("{name}.list-shards.json")),
            r#"{"Shards":[{"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0","EndingHashKey":"340282366920938463463374607431768211455"}}]}"#,
        )
        .unwrap();
        let rejected = if throttled.contains(&i) { 500.0 } else { 0.0 };
        for (metric, v) in [
            ("IncomingRecords", 30_000.0 + i as f64),
            ("WriteProvisionedThroughputExceeded", rejected),
        ] {
            let values = vec![format!("{v:.1}"); 30].join(",");
            series.push(format!(
                r#"{{"Id":"m{}","Label":"kinesis-stream r {name} {metric} Sum 60","Timestamps":[{}],"Values":[{values}],"StatusCode":"Complete"}}"#,
                series.len(),
                ts.join(",")
            ));
        }
    }
    std::fs::write(
        dir.join("r/metrics/batch-0001.get-metric-data.json"),
        format!(
            r#"{{"MetricDataResults":[{}],"Messages":[]}}"#,
            series.join(",")
        ),
    )
    .unwrap();
}

#[test]
fn a_large_account_gets_cards_only_for_streams_with_something_to_say() {
    let tmp = tempfile::tempdir().unwrap();
    write_export(tmp.path(), 160, &[7, 42]);
    let config = Config::default();
    let report = shardlint::check(
        &[tmp.path().to_path_buf()],
        &config,
        &LoadOptions::default(),
    );
    assert_eq!(report.model.streams.len(), 160);
    let input = AuditView::from_report(&report, &config);
    let html = render(&report, &input);
    // Two cards (the throttled streams): the same records rejected, so the busier one first.
    let cards: Vec<&str> = html
        .split("<section class=\"stream\" id=\"")
        .skip(1)
        .map(|x| &x[..x.find('"').unwrap()])
        .collect();
    assert_eq!(cards, ["stream-s042", "stream-s007"]);
    // Every stream is in the overview (100 open rows, the rest behind a <details>), and the
    // other 158 are one line each.
    let overview =
        &html[html.find("id=\"overview\"").unwrap()..html.find("id=\"streams\"").unwrap()];
    assert_eq!(overview.matches("<a href=#stream-").count(), 160);
    assert!(overview.contains("<summary>The other 60 streams, ranked</summary>"));
    assert!(html.contains("158 streams with nothing to report"));
    assert_eq!(html.matches("<li id=stream-").count(), 158);
    // A one-shard stream taking ~500 records/s is at least at half its shard's limit.
    assert!(overview.contains("≥ 50%"), "{overview}");
}
