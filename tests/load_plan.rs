//! Terraform plan JSON loader: planned values in root and child modules, exact positions, and a
//! link unknown at plan time resolved through configuration references.

use std::path::Path;

use shardlint::load::plan;
use shardlint::model::{Model, StreamMode};
use shardlint::source::SourceDb;

fn seed() -> (SourceDb, Model) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plan-seed-hot-shard/plan.json");
    let mut db = SourceDb::default();
    let id = db.add(
        "fixtures/plan-seed-hot-shard/plan.json".into(),
        std::fs::read_to_string(p).unwrap(),
    );
    let m = plan::load(&db, id).unwrap().expect("a plan");
    (db, m)
}

#[test]
fn seed_plan_values_and_positions() {
    let (db, m) = seed();
    let s = &m.streams[0];
    assert_eq!(s.origin.address, "aws_kinesis_stream.location");
    assert_eq!(s.name.get().map(String::as_str), Some("location-stream"));
    assert_eq!(s.shard_count.get(), Some(&8));
    assert_eq!(s.mode.get(), Some(&StreamMode::Provisioned));

    let r = &m.rules[0];
    let a = &r.actions[0];
    assert_eq!(a.path, "aws_iot_topic_rule.location.kinesis[0]");
    assert_eq!(a.partition_key.get().map(String::as_str), Some("vin"));
    assert_eq!(
        a.partition_key.path,
        "aws_iot_topic_rule.location.kinesis[0].partition_key"
    );
    let lc = db.start(a.partition_key.span.unwrap());
    assert_eq!((lc.line, lc.column), (36, 34));
    assert_eq!(db.text(a.partition_key.span.unwrap()), "\"vin\"");
    assert_eq!(r.enabled.get(), Some(&true));
    assert_eq!(r.sql_version.get().map(String::as_str), Some("2016-03-23"));

    let e = &m.mappings[0];
    let lc = db.start(e.batch_size.span.unwrap());
    assert_eq!((lc.line, lc.column), (89, 27));
    assert_eq!(e.batch_size.get(), Some(&100000));
    assert_eq!(e.batching_window.get(), Some(&15));
    assert_eq!(
        e.function.get().map(String::as_str),
        Some("location-writer")
    );
    // Not configured, computed by the provider: the AWS default applies.
    assert!(e.max_retry_attempts.is_absent());
    assert!(e.max_record_age.is_absent());
    assert!(e.on_failure_destination.is_absent());

    // The function lives in a child module.
    let f = &m.functions[0];
    assert_eq!(f.origin.address, "module.writer.aws_lambda_function.writer");
    assert_eq!(f.timeout.get(), Some(&60));
    assert_eq!(f.memory_size.get(), Some(&256));
}

#[test]
fn unknown_event_source_arn_is_resolved_through_references() {
    let (db, m) = seed();
    let e = &m.mappings[0];
    assert_eq!(
        e.source_arn.get().map(String::as_str),
        Some("arn:<partition>:kinesis:<region>:<account>:stream/location-stream")
    );
    assert!(e.is_stream_source());
    let via = &e.source_arn.via[0];
    assert_eq!(via.path, "aws_kinesis_stream.location.name");
    assert!(
        via.message.contains("`aws_kinesis_stream.location.arn`"),
        "{}",
        via.message
    );
    assert_eq!(db.text(via.span), "\"location-stream\"");
    // Points at the mapping's address line, the value itself being absent from the plan.
    assert_eq!(db.start(e.source_arn.span.unwrap()).line, 81);
}

#[test]
fn not_a_plan_is_skipped_and_a_broken_plan_is_an_error() {
    let mut db = SourceDb::default();
    let id = db.add("a.json".into(), r#"{"Resources": {}}"#.into());
    assert!(plan::load(&db, id).unwrap().is_none());
    let id = db.add("p.json".into(), "{\"planned_values\": {\n}}}".into());
    let e = plan::load(&db, id).unwrap_err();
    assert_eq!(e.code(), "SL001");
    assert_eq!(db.start(e.span.unwrap()).line, 2);
}

#[test]
fn corpus_files_do_not_upset_the_plan_loader() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(dirs) = std::fs::read_dir(&root) else {
        // Written to the terminal directly: the test harness would swallow `eprintln!`.
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!(
                "\n*** SKIPPED: no corpus at {}; only shipped inputs were checked ***\n",
                root.display()
            ),
        );
        return;
    };
    for d in dirs.flatten().filter(|d| d.path().is_dir()) {
        for f in std::fs::read_dir(d.path()).unwrap().flatten() {
            let p = f.path();
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue;
            };
            let mut db = SourceDb::default();
            let id = db.add(p.clone(), text);
            assert!(plan::load(&db, id).is_ok(), "{}", p.display());
        }
    }
}
