//! Acceptance tests of `shardlint simulate` against seed 1 (`../shared/seeds/000_…txt`): simulated
//! figures, not wall-clock time. Seed 1: 1 shard, keys 1..5, 30 records each at one per second,
//! 3 s per record, BatchSize 100, window 0.

use shardlint::keyspace::ShardMap;
use shardlint::model::{EventSourceMapping, Origin, SourceKind, Val};
use shardlint::simulate::report::{Action, Outcome};
use shardlint::simulate::{
    Arrival, Poison, RecordTime, SimConfig, SimReport, arrivals, assess, simulate,
};
use shardlint::source::{FileId, Span};

fn seed_arrivals() -> Vec<Arrival> {
    arrivals::generate(&arrivals::parse_keys("5").unwrap(), 30, 1000, 10)
}

fn seed_cfg(factor: u32) -> SimConfig {
    SimConfig {
        parallelization_factor: factor,
        record_time: RecordTime::Fixed { ms: 3000 },
        ..SimConfig::default()
    }
}

fn run(cfg: &SimConfig) -> SimReport {
    simulate(&seed_arrivals(), &ShardMap::even(1), cfg).unwrap()
}

fn within(x: f64, target: f64, frac: f64) -> bool {
    (x - target).abs() <= target * frac
}

/// The key-seq labels of a `1-3..4-14` range.
fn ends(records: &str) -> (String, String) {
    match records.split_once("..") {
        Some((a, b)) => (a.into(), b.into()),
        None => (records.into(), records.into()),
    }
}

fn seq_of(label: &str) -> u32 {
    label.rsplit_once('-').unwrap().1.parse().unwrap()
}

#[test]
fn seed1_factor_1_drains_in_450s_with_iterator_age_300s() {
    let r = run(&seed_cfg(1));
    assert!(
        within(r.drain_seconds, 450.0, 0.05),
        "drain {}",
        r.drain_seconds
    );
    assert!(
        within(r.max_iterator_age_seconds, 300.0, 0.20),
        "age {}",
        r.max_iterator_age_seconds
    );
    // Serial: one group, invocations never overlap.
    assert_eq!(r.groups.len(), 1);
    for w in r.invocations.windows(2) {
        assert!(w[1].start_s >= w[0].end_s);
    }
    assert_eq!(r.invocations.iter().map(|i| i.count).sum::<u32>(), 150);
    // Seed: the first invocation carried only the first second(s) of records, then big batches.
    assert_eq!(r.invocations[0].records, "1-1..5-2");
    assert_eq!(r.blocked_seconds, 0.0);
}

#[test]
fn seed1_factor_3_drains_in_180s_in_groups_14_25_3() {
    let r = run(&seed_cfg(3));
    assert!(
        within(r.drain_seconds, 180.0, 0.05),
        "drain {}",
        r.drain_seconds
    );
    assert!(
        within(r.max_iterator_age_seconds, 67.0, 0.20),
        "age {}",
        r.max_iterator_age_seconds
    );
    let mut groups: Vec<Vec<String>> = r.groups.iter().map(|g| g.keys.clone()).collect();
    groups.sort();
    assert_eq!(groups, vec![vec!["1", "4"], vec!["2", "5"], vec!["3"]]);
    // Seed: 10 invocations, three starting together, each group serial.
    assert_eq!(r.invocations.len(), 10);
    let first_start = r.invocations[0].start_s;
    assert_eq!(
        r.invocations
            .iter()
            .filter(|i| i.start_s == first_start)
            .count(),
        3
    );
    for g in &r.groups {
        let mine: Vec<_> = r
            .invocations
            .iter()
            .filter(|i| i.group == g.group)
            .collect();
        for w in mine.windows(2) {
            assert!(w[1].start_s >= w[0].end_s, "group {} overlaps", g.group);
        }
    }
    // The seed's first batches per group, and group {3}'s second one, exactly.
    let firsts: Vec<&str> = r.invocations[..3]
        .iter()
        .map(|i| i.records.as_str())
        .collect();
    assert!(
        firsts.contains(&"1-1..4-2")
            && firsts.contains(&"2-1..5-2")
            && firsts.contains(&"3-1..3-2")
    );
    assert!(r.invocations.iter().any(|i| i.records == "3-3..3-8"));
    // Seed: group {3} finished 90 s after the first invocation; {1,4} and {2,5} at 180 s.
    let three = r.groups.iter().find(|g| g.keys == ["3"]).unwrap();
    assert!(within(three.finished_s, 90.0, 0.05), "{}", three.finished_s);
}

#[test]
fn seed1_poison_blocks_its_group_until_retention() {
    let cfg = SimConfig {
        poison: vec![Poison {
            key: "1".into(),
            seq: 5,
        }],
        ..seed_cfg(3)
    };
    let r = run(&cfg);
    let g14 = r.groups.iter().find(|g| g.keys == ["1", "4"]).unwrap();
    let others: Vec<_> = r.groups.iter().filter(|g| g.keys != ["1", "4"]).collect();
    assert_eq!(others.len(), 2);
    for g in others {
        assert_eq!(g.processed_records, g.records);
        assert!(g.finished_s <= 190.0, "{:?}", g);
        assert_eq!(g.blocked_seconds, 0.0);
    }
    // Until the record age limit (retention, 24 h), {1,4} never gets past record 4.
    let day = 86_400.0;
    for i in r
        .invocations
        .iter()
        .filter(|i| i.group == g14.group && i.start_s < day)
    {
        if i.outcome == Outcome::Ok {
            assert!(seq_of(&ends(&i.records).1) <= 4, "{:?}", i);
        }
    }
    assert!(g14.blocked_seconds > day - 100.0, "{}", g14.blocked_seconds);
    assert!(g14.finished_s > day);
    assert!(r.max_iterator_age_seconds > day - 100.0);
    // Nothing bounds the retries, no destination: the batch is dropped when it expires.
    assert_eq!(r.destination_records, 0);
    let dropped: Vec<_> = r
        .invocations
        .iter()
        .filter(|i| i.action == Some(Action::Dropped))
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(r.dropped_records, dropped[0].count as u64);

    // The seed's shape: the same batch (containing 1-5) retried again and again, each retry
    // starting after the previous attempt with growing gaps.
    let failing: Vec<_> = r
        .invocations
        .iter()
        .filter(|i| i.group == g14.group && i.outcome == Outcome::Error)
        .collect();
    assert!(failing.len() > 100);
    let batch = &failing[0].records;
    let (first, last) = ends(batch);
    assert!(seq_of(&first) <= 5 && seq_of(&last) >= 5, "{batch}");
    assert!(failing.iter().all(|i| &i.records == batch));
    let gaps: Vec<f64> = failing
        .windows(2)
        .map(|w| w[1].start_s - w[0].end_s)
        .collect();
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]), "{gaps:?}");
    assert!(gaps[0] < gaps[5]);
    assert_eq!(failing[3].attempt, 4);
}

#[test]
fn seed1_poison_with_bisect_retries_and_destination_isolates_the_record() {
    let cfg = SimConfig {
        poison: vec![Poison {
            key: "1".into(),
            seq: 5,
        }],
        bisect_on_error: true,
        max_retry_attempts: 2,
        on_failure_destination: Some("arn:aws:sqs:us-east-1:123456789012:dlq".into()),
        ..seed_cfg(3)
    };
    let r = run(&cfg);
    assert_eq!(r.destination_records, 1);
    assert_eq!(r.dropped_records, 0);
    let sent: Vec<_> = r
        .invocations
        .iter()
        .filter(|i| i.action == Some(Action::Destination))
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].records, "1-5");
    assert_eq!(sent[0].attempt, 3); // first try + 2 retries
    let g14 = r.groups.iter().find(|g| g.keys == ["1", "4"]).unwrap();
    assert_eq!(g14.processed_records, 59);
    assert!(g14.finished_s < 600.0, "{}", g14.finished_s);
    assert!(
        r.invocations
            .iter()
            .any(|i| i.action == Some(Action::Bisect))
    );
}

#[test]
fn report_batch_item_failures_checkpoints_before_the_failed_record() {
    let cfg = SimConfig {
        poison: vec![Poison {
            key: "1".into(),
            seq: 5,
        }],
        report_batch_item_failures: true,
        max_retry_attempts: 1,
        ..seed_cfg(3)
    };
    let r = run(&cfg);
    let partial: Vec<_> = r
        .invocations
        .iter()
        .filter(|i| i.outcome == Outcome::Partial)
        .collect();
    assert_eq!(partial.len(), 2);
    assert_eq!(ends(&partial[0].records).0, "1-3");
    // The retry starts at the failed record.
    assert_eq!(ends(&partial[1].records).0, "1-5");
    assert_eq!(partial[1].action, Some(Action::Dropped));
    // Records 1-3, 4-3, 1-4, 4-4 were checkpointed; the rest of the batch was dropped.
    assert_eq!(r.dropped_records, partial[1].count as u64);
    assert_eq!(r.dropped_records + 4 + 4 + 32, 60);
}

#[test]
fn max_record_age_bounds_the_block() {
    let cfg = SimConfig {
        poison: vec![Poison {
            key: "1".into(),
            seq: 5,
        }],
        max_record_age_ms: Some(60_000),
        on_failure_destination: Some("arn:aws:sqs:us-east-1:1:q".into()),
        ..seed_cfg(3)
    };
    let r = run(&cfg);
    // The failing batch is already older than 60 s when its first attempt fails (at 85 s), and
    // the records behind it age out unread while the group works through its backlog.
    assert!(r.destination_records >= 24);
    assert!(r.drain_seconds < 600.0);
    assert_eq!(r.dropped_records, 0);
}

#[test]
fn timeout_with_bisect_splits_until_batches_fit() {
    let cfg = SimConfig {
        timeout_ms: 10_000,
        bisect_on_error: true,
        ..seed_cfg(1)
    };
    let r = run(&cfg);
    assert!(r.invocations.iter().any(|i| i.outcome == Outcome::Timeout));
    assert_eq!(r.dropped_records + r.destination_records, 0);
    assert_eq!(r.groups[0].processed_records, 150);
    for i in &r.invocations {
        assert!(i.end_s - i.start_s <= 10.0 + 1e-9);
    }
    // Without bisect and with no retries the batches are lost.
    let cfg = SimConfig {
        timeout_ms: 10_000,
        max_retry_attempts: 0,
        ..seed_cfg(1)
    };
    let r = run(&cfg);
    assert!(r.dropped_records > 100);
}

#[test]
fn random_failures_are_seeded_and_eventually_succeed() {
    let cfg = SimConfig {
        fail_rate: 0.3,
        seed: 7,
        ..seed_cfg(3)
    };
    let a = run(&cfg);
    let b = run(&cfg);
    assert_eq!(a, b);
    assert!(
        a.invocations
            .iter()
            .any(|i| i.action == Some(Action::Retry))
    );
    assert_eq!(
        a.groups.iter().map(|g| g.processed_records).sum::<u64>(),
        150
    );
    let c = run(&SimConfig { seed: 8, ..cfg });
    assert_ne!(a.invocations, c.invocations);
}

#[test]
fn lognormal_record_time_is_deterministic_and_near_its_mean() {
    let keys = arrivals::parse_keys("50").unwrap();
    let arr = arrivals::generate(&keys, 200, 1000, 100);
    let rt = RecordTime::LogNormal {
        p50_ms: 20.0,
        p99_ms: 400.0,
    };
    let cfg = SimConfig {
        record_time: rt,
        seed: 3,
        ..SimConfig::default()
    };
    let a = simulate(&arr, &ShardMap::even(1), &cfg).unwrap();
    assert_eq!(a, simulate(&arr, &ShardMap::even(1), &cfg).unwrap());
    // 10,000 records × mean ≈ 72 ms ≈ 720 s of work on one serial group.
    let work: f64 = a.invocations.iter().map(|i| i.end_s - i.start_s).sum();
    assert!(
        within(work, 10_000.0 * rt.mean_ms() / 1000.0, 0.15),
        "{work}"
    );
}

#[test]
fn window_and_payload_limit_shape_batches() {
    // 1 record/s, 5 s window opened when the first record is seen: batches of 6 records (the
    // first poll also sees the second record, so the first batch has 7).
    let arr = arrivals::generate(&["k".to_string()], 60, 1000, 100);
    let cfg = SimConfig {
        batching_window_ms: 5_000,
        record_time: RecordTime::Fixed { ms: 10 },
        ..SimConfig::default()
    };
    let r = simulate(&arr, &ShardMap::even(1), &cfg).unwrap();
    assert!(
        r.invocations.len() >= 10 && r.invocations.len() <= 13,
        "{}",
        r.invocations.len()
    );
    assert!(r.invocations.iter().all(|i| i.count <= 7));
    // 1 MB records: 4 fit the 6 MB payload once base64-encoded.
    let arr = arrivals::generate(&["k".to_string()], 40, 0, 1_000_000);
    let r = simulate(&arr, &ShardMap::even(1), &SimConfig::default()).unwrap();
    assert!(r.invocations.iter().all(|i| i.count <= 4));
    assert_eq!(r.invocations.iter().map(|i| i.count).sum::<u32>(), 40);
}

#[test]
fn keys_are_routed_to_shards_by_md5() {
    let keys = arrivals::parse_keys("100").unwrap();
    let arr = arrivals::generate(&keys, 3, 1000, 10);
    let map = ShardMap::even(4);
    let r = simulate(&arr, &map, &seed_cfg(2)).unwrap();
    assert_eq!(r.shards, 4);
    for g in &r.groups {
        for k in &g.keys {
            assert_eq!(&map.shard_for_key(k).shard_id, &g.shard);
        }
    }
    assert!(r.groups.len() <= 8);
}

#[test]
fn empty_input_is_an_empty_report() {
    let r = simulate(&[], &ShardMap::even(1), &SimConfig::default()).unwrap();
    assert_eq!(
        (r.records, r.drain_seconds, r.invocations.len()),
        (0, 0.0, 0)
    );
    let bad = SimConfig {
        parallelization_factor: 11,
        ..SimConfig::default()
    };
    assert!(
        simulate(&[], &ShardMap::even(1), &bad)
            .unwrap_err()
            .contains("`11`")
    );
}

#[test]
fn config_from_a_mapping() {
    let span = Span::new(FileId(0), 0, 1);
    let origin = Origin {
        kind: SourceKind::Terraform,
        address: "aws_lambda_event_source_mapping.m".into(),
        span,
        module: ".".into(),
    };
    let p = |n: &str| format!("aws_lambda_event_source_mapping.m.{n}");
    let m = EventSourceMapping {
        origin,
        source_arn: Val::absent(p("event_source_arn")),
        function: Val::absent(p("function_name")),
        batch_size: Val::known(50, Some(span), p("batch_size")),
        batching_window: Val::absent(p("maximum_batching_window_in_seconds")),
        parallelization_factor: Val::known(3, Some(span), p("parallelization_factor")),
        starting_position: Val::absent(p("starting_position")),
        max_retry_attempts: Val::absent(p("maximum_retry_attempts")),
        max_record_age: Val::known(3600, Some(span), p("maximum_record_age_in_seconds")),
        bisect_on_error: Val::known(true, Some(span), p("bisect_batch_on_function_error")),
        on_failure_destination: Val::known("arn:aws:sqs:x".to_string(), None, p("destination")),
        function_response_types: Val::known(
            vec!["ReportBatchItemFailures".to_string()],
            None,
            p("function_response_types"),
        ),
        tumbling_window: Val::absent(p("tumbling_window_in_seconds")),
        enabled: Val::absent(p("enabled")),
        stream: None,
        function_idx: None,
        source_ref: None,
        source_type_hint: None,
        function_ref: None,
    };
    let c = SimConfig::from_mapping(&m, Some(60)).unwrap();
    assert_eq!(c.batch_size, 50);
    assert_eq!(c.parallelization_factor, 3);
    assert_eq!(c.max_retry_attempts, -1);
    assert_eq!(c.max_record_age_ms, Some(3_600_000));
    assert!(c.bisect_on_error && c.report_batch_item_failures);
    assert_eq!(c.timeout_ms, 60_000);
    let bad = EventSourceMapping {
        batch_size: Val::known(100_000, Some(span), p("batch_size")),
        ..m.clone()
    };
    let e = SimConfig::from_mapping(&bad, None).unwrap_err();
    assert!(e.contains("`100000`") && e.contains("`1..10000`"), "{e}");
    let unknown = EventSourceMapping {
        parallelization_factor: Val::unknown("var.factor", Some(span), p("parallelization_factor")),
        ..m
    };
    assert!(SimConfig::from_mapping(&unknown, None).is_err());
}

#[test]
fn assess_agrees_with_the_simulation_on_falling_behind() {
    use shardlint::simulate::Workload;
    // 20 keys at 1 record/s each, 150 ms per record on 1 shard: 3 records/s of work.
    let keys = arrivals::parse_keys("20").unwrap();
    let w = Workload {
        record_time: RecordTime::Fixed { ms: 150 },
        records_per_second: 20.0,
        record_bytes: 10,
        shards: ShardMap::even(1),
        keys: keys.iter().map(|k| (k.clone(), 1.0)).collect(),
    };
    let cfg = SimConfig {
        record_time: w.record_time,
        ..SimConfig::default()
    };
    let a = assess(&cfg, &w);
    assert!(a.falls_behind);
    let (f, bs) = a.recommended.unwrap();
    assert_eq!(f, 4);
    // Simulated over 10 minutes: factor 1 lags more and more; the recommendation stays flat.
    let arr = arrivals::generate(&keys, 600, 1000, 10);
    let slow = simulate(&arr, &ShardMap::even(1), &cfg).unwrap();
    let fixed = simulate(
        &arr,
        &ShardMap::even(1),
        &SimConfig {
            parallelization_factor: f,
            batch_size: bs,
            ..cfg
        },
    )
    .unwrap();
    assert!(slow.max_iterator_age_at_finish_seconds > 1000.0);
    assert!(fixed.max_iterator_age_at_finish_seconds < 10.0);
}
