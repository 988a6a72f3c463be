//! `check` (SL302) and `simulate` must agree on how long one poison record blocks its shard: for a
//! table of settings, each written as Terraform, the SL302 finding's figure (or its absence) and
//! the simulated blocked time with a poison record both follow `model::blocking`.

use std::path::PathBuf;

use shardlint::keyspace::ShardMap;
use shardlint::load::LoadOptions;
use shardlint::simulate::{Poison, RecordTime, SimConfig, arrivals, simulate};

struct Row {
    retries: Option<i64>,
    age: Option<i64>,
    bisect: bool,
    destination: bool,
    retention_h: Option<i64>,
    factor: i64,
    /// SL302 fires, and the figure in its message (seconds).
    sl302: Option<u64>,
}

fn tf(r: &Row) -> String {
    let mut s = String::from(
        "resource \"aws_kinesis_stream\" \"s\" {\n  name = \"s\"\n  shard_count = 1\n",
    );
    if let Some(h) = r.retention_h {
        s += &format!("  retention_period = {h}\n");
    }
    s += "}\n\nresource \"aws_lambda_event_source_mapping\" \"m\" {\n  event_source_arn = aws_kinesis_stream.s.arn\n  function_name = \"f\"\n  starting_position = \"TRIM_HORIZON\"\n";
    s += &format!("  parallelization_factor = {}\n", r.factor);
    if let Some(x) = r.retries {
        s += &format!("  maximum_retry_attempts = {x}\n");
    }
    if let Some(x) = r.age {
        s += &format!("  maximum_record_age_in_seconds = {x}\n");
    }
    if r.bisect {
        s += "  bisect_batch_on_function_error = true\n";
    }
    if r.destination {
        s += "  destination_config {\n    on_failure {\n      destination_arn = \"arn:aws:sqs:us-east-1:123456789012:dlq\"\n    }\n  }\n";
    }
    s + "}\n"
}

#[test]
fn check_and_simulate_agree_on_blocking_time() {
    let rows = [
        // Defaults: until the 24 h default retention.
        Row {
            retries: None,
            age: None,
            bisect: false,
            destination: false,
            retention_h: None,
            factor: 1,
            sl302: Some(86_400),
        },
        // Bisect and a destination change nothing while both bounds are unbounded.
        Row {
            retries: None,
            age: None,
            bisect: true,
            destination: true,
            retention_h: Some(48),
            factor: 1,
            sl302: Some(172_800),
        },
        Row {
            retries: Some(-1),
            age: Some(-1),
            bisect: true,
            destination: false,
            retention_h: Some(24),
            factor: 1,
            sl302: Some(86_400),
        },
        Row {
            retries: Some(-1),
            age: None,
            bisect: false,
            destination: true,
            retention_h: Some(72),
            factor: 3,
            sl302: Some(259_200),
        },
        // Legacy "unbounded" values from old CLI output: 7 days, shorter than a year of retention.
        Row {
            retries: Some(10_000),
            age: Some(604_800),
            bisect: false,
            destination: false,
            retention_h: Some(8_760),
            factor: 1,
            sl302: Some(604_800),
        },
        // Legacy age on a 24 h stream: the retention ends it first.
        Row {
            retries: None,
            age: Some(604_800),
            bisect: false,
            destination: false,
            retention_h: None,
            factor: 2,
            sl302: Some(86_400),
        },
        // A bounded record age: quiet, and the simulated block ends at that age.
        Row {
            retries: None,
            age: Some(3_600),
            bisect: true,
            destination: true,
            retention_h: Some(48),
            factor: 1,
            sl302: None,
        },
        Row {
            retries: Some(-1),
            age: Some(600),
            bisect: false,
            destination: true,
            retention_h: None,
            factor: 1,
            sl302: None,
        },
        // Bounded retries: quiet, and the block ends after the retries.
        Row {
            retries: Some(2),
            age: None,
            bisect: false,
            destination: true,
            retention_h: Some(48),
            factor: 1,
            sl302: None,
        },
        Row {
            retries: Some(0),
            age: None,
            bisect: true,
            destination: true,
            retention_h: None,
            factor: 1,
            sl302: None,
        },
    ];
    let dir = std::env::temp_dir().join(format!("shardlint-blocking-{}", std::process::id()));
    let arrivals = arrivals::generate(&arrivals::parse_keys("3").unwrap(), 10, 1000, 10);
    for (i, row) in rows.iter().enumerate() {
        let case = dir.join(format!("row{i}"));
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(case.join("main.tf"), tf(row)).unwrap();
        let paths = [case.clone()];
        let config = shardlint::config_file::resolve(None, &paths).unwrap();
        let report = shardlint::check_with_samples(
            &paths,
            &config,
            &LoadOptions::default(),
            &Default::default(),
        );
        let sl302: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.code() == "SL302")
            .collect();
        // The mapping as `simulate --mapping` would take it, with the stream's retention.
        let project = shardlint::project::open(&[PathBuf::from(&case)], &LoadOptions::default());
        let found = shardlint::project::find_mapping(&project, "m").unwrap();
        let mut cfg = SimConfig::from_mapping(&found.mapping, None).unwrap();
        cfg.retention_ms = found.retention_hours.unwrap() as u64 * 3_600_000;
        cfg.record_time = RecordTime::Fixed { ms: 10 };
        cfg.poison = vec![Poison {
            key: "1".into(),
            seq: 1,
        }];
        let sim = simulate(&arrivals, &ShardMap::even(1), &cfg).unwrap();
        let blocked = sim
            .groups
            .iter()
            .map(|g| g.blocked_seconds)
            .fold(0.0, f64::max);
        let limit = cfg.age_limit_ms() as f64 / 1000.0;
        match row.sl302 {
            Some(secs) => {
                assert_eq!(sl302.len(), 1, "row {i}: SL302 expected");
                let figure = format!("({} s)", shardlint::numbers::thousands(secs));
                assert!(
                    sl302[0].message.contains(&figure),
                    "row {i}: {}",
                    sl302[0].message
                );
                // The simulated group stays blocked until the same limit (minus the first poll).
                assert_eq!(limit, secs as f64, "row {i}");
                assert!(
                    (blocked - secs as f64).abs() <= 5.0,
                    "row {i}: simulate blocked {blocked} s, check says {secs} s"
                );
            }
            None => {
                assert!(
                    sl302.is_empty(),
                    "row {i}: SL302 fired: {}",
                    sl302[0].message
                );
                // Bounded: the block ends by the age limit, or much sooner with bounded retries.
                assert!(
                    blocked <= limit + 1.0,
                    "row {i}: blocked {blocked} > {limit}"
                );
                if row.retries.is_some_and(|r| r >= 0) {
                    assert!(
                        blocked < 600.0,
                        "row {i}: bounded retries blocked {blocked} s"
                    );
                } else {
                    assert!(
                        (blocked - limit).abs() <= 5.0,
                        "row {i}: blocked {blocked} vs {limit}"
                    );
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
