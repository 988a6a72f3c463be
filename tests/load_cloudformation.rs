//! CloudFormation/SAM loader on the fixtures: exact positions, resolution, `!Sub` interpolations,
//! and every template in the shared corpus loading without a panic.

use std::path::{Path, PathBuf};

use shardlint::load::cloudformation;
use shardlint::model::{IacEffect, Model, StreamMode, ValState};
use shardlint::source::{FileId, SourceDb};

fn fixture(rel: &str) -> (SourceDb, FileId, Model) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut db = SourceDb::default();
    let id = db.add(PathBuf::from(format!("fixtures/{rel}")), text);
    let model = cloudformation::load(&db, id).unwrap().expect("a template");
    (db, id, model)
}

fn at(db: &SourceDb, span: Option<shardlint::source::Span>) -> (usize, usize) {
    let lc = db.start(span.expect("a span"));
    (lc.line, lc.column)
}

#[test]
fn seed_yaml_positions_and_links() {
    let (db, _, m) = fixture("cfn-yaml-seed-hot-shard/template.yaml");
    assert_eq!(m.streams.len(), 1);
    let s = &m.streams[0];
    assert_eq!(s.name.get().map(String::as_str), Some("location-stream"));
    assert_eq!(s.shard_count.get(), Some(&8));
    assert_eq!(s.mode.get(), Some(&StreamMode::Provisioned));
    assert_eq!(s.origin.address, "Resources.LocationStream");

    let r = &m.rules[0];
    assert_eq!(
        r.name.get().map(String::as_str),
        Some("location_to_kinesis")
    );
    assert_eq!(
        r.sql.get().map(String::as_str),
        Some("SELECT * FROM 'vehicles/location'")
    );
    assert_eq!(r.sql_version.get().map(String::as_str), Some("2016-03-23"));
    assert_eq!(r.enabled.get(), Some(&true));
    let a = &r.actions[0];
    assert_eq!(a.partition_key.get().map(String::as_str), Some("vin"));
    assert_eq!(at(&db, a.partition_key.span), (26, 29));
    assert_eq!(
        a.partition_key.path,
        "Resources.LocationRule.Properties.TopicRulePayload.Actions[0].Kinesis.PartitionKey"
    );
    // `!Ref LocationStream` is the stream's name, with the name's location as related.
    assert_eq!(
        a.stream_name.get().map(String::as_str),
        Some("location-stream")
    );
    assert_eq!(at(&db, Some(a.stream_name.via[0].span)), (10, 13));

    let esm = &m.mappings[0];
    assert_eq!(esm.batch_size.get(), Some(&100000));
    assert_eq!(at(&db, esm.batch_size.span), (68, 18));
    assert_eq!(esm.batching_window.get(), Some(&15));
    assert_eq!(esm.parallelization_factor.get(), Some(&1));
    assert_eq!(
        esm.starting_position.get().map(String::as_str),
        Some("LATEST")
    );
    assert!(esm.max_retry_attempts.is_absent());
    assert!(esm.max_record_age.is_absent());
    assert!(esm.on_failure_destination.is_absent());
    assert_eq!(
        esm.source_arn.get().map(String::as_str),
        Some("arn:<partition>:kinesis:<region>:<account>:stream/location-stream")
    );
    assert!(esm.is_stream_source());
    assert_eq!(
        esm.function.get().map(String::as_str),
        Some("location-writer")
    );

    let f = &m.functions[0];
    assert_eq!(f.name.get().map(String::as_str), Some("location-writer"));
    assert_eq!(f.timeout.get(), Some(&60));
    assert_eq!(f.memory_size.get(), Some(&256));
}

#[test]
fn seed_json_positions_match_the_yaml_model() {
    let (db, _, m) = fixture("cfn-json-seed-hot-shard/template.json");
    let a = &m.rules[0].actions[0];
    assert_eq!(a.partition_key.get().map(String::as_str), Some("vin"));
    assert_eq!(db.text(a.partition_key.span.unwrap()), "\"vin\"");
    assert_eq!(at(&db, a.partition_key.span), (25, 33));
    assert_eq!(
        a.stream_name.get().map(String::as_str),
        Some("location-stream")
    );
    let esm = &m.mappings[0];
    assert_eq!(at(&db, esm.batch_size.span), (72, 22));
    assert_eq!(esm.batch_size.get(), Some(&100000));
    assert_eq!(
        esm.source_arn.get().map(String::as_str),
        Some("arn:<partition>:kinesis:<region>:<account>:stream/location-stream")
    );
    assert_eq!(m.functions[0].timeout.get(), Some(&60));
    assert_eq!(m.streams[0].shard_count.get(), Some(&8));
}

#[test]
fn sam_event_becomes_a_mapping_with_globals() {
    let (db, _, m) = fixture("sam-parallelization-12/template.yaml");
    let esm = &m.mappings[0];
    assert_eq!(esm.parallelization_factor.get(), Some(&12));
    assert_eq!(at(&db, esm.parallelization_factor.span), (35, 36));
    assert_eq!(
        esm.parallelization_factor.path,
        "Resources.OrdersConsumer.Properties.Events.Orders.Properties.ParallelizationFactor"
    );
    assert_eq!(
        esm.origin.address,
        "Resources.OrdersConsumer.Properties.Events.Orders"
    );
    // Stream name from the parameter default, through `!GetAtt OrdersStream.Arn`.
    assert_eq!(
        esm.source_arn.get().map(String::as_str),
        Some("arn:<partition>:kinesis:<region>:<account>:stream/orders-stream")
    );
    // No FunctionName: the function is its logical id, and says so.
    assert_eq!(
        esm.function.get().map(String::as_str),
        Some("OrdersConsumer")
    );
    assert!(esm.function.via[0].message.contains("logical id"));
    let f = &m.functions[0];
    assert_eq!(f.timeout.get(), Some(&30));
    assert_eq!(f.timeout.path, "Globals.Function.Timeout");
    assert_eq!(at(&db, f.timeout.span), (12, 14));
    assert_eq!(f.memory_size.get(), Some(&512));
    assert!(f.name.is_unknown());
}

#[test]
fn sub_escapes_and_parameter_defaults() {
    let (db, _, m) = fixture("cfn-yaml-sub-escape/template.yaml");
    let stream = &m.streams[0];
    assert_eq!(
        stream.name.get().map(String::as_str),
        Some("location-stream")
    );
    let via = &stream.name.via[0];
    assert_eq!(via.message, "from the default of parameter `StreamName`");
    assert_eq!(via.path, "Parameters.StreamName.Default");
    assert_eq!(at(&db, Some(via.span)), (10, 14));

    let key = |i: usize| &m.rules[i].actions[0];
    assert_eq!(key(0).partition_key.get().map(String::as_str), Some("vin"));
    assert!(key(0).iac_interpolations.is_empty());

    // `${!vin}` reaches IoT as `${vin}`; nothing for CloudFormation to substitute.
    assert_eq!(
        key(1).partition_key.get().map(String::as_str),
        Some("${vin}")
    );
    assert!(key(1).iac_interpolations.is_empty());
    assert_eq!(db.text(key(1).partition_key.span.unwrap()), "\"${!vin}\"");

    // `${vin}` is rejected by CloudFormation: pointed at exactly.
    let a = key(2);
    assert_eq!(a.iac_interpolations.len(), 1);
    let i = &a.iac_interpolations[0];
    assert_eq!(i.effect, IacEffect::Rejected);
    assert_eq!(i.expr, "vin");
    assert_eq!(i.escaped_form, "${!vin}");
    assert_eq!(db.text(i.span), "${vin}");
    assert_eq!(at(&db, Some(i.span)), (55, 35));
    assert_eq!(a.partition_key.get().map(String::as_str), Some("${vin}"));
}

#[test]
fn substituted_parameter_in_a_key_is_recorded() {
    let text = "Parameters:\n  K:\n    Type: String\n    Default: fleet\nResources:\n  R:\n    Type: AWS::IoT::TopicRule\n    Properties:\n      TopicRulePayload:\n        Sql: SELECT * FROM 'a'\n        Actions:\n          - Kinesis: {StreamName: s, PartitionKey: !Sub '${K}-${AWS::Region}-${topic(2)}'}\n";
    let mut db = SourceDb::default();
    let id = db.add("t.yaml".into(), text.into());
    let m = cloudformation::load(&db, id).unwrap().unwrap();
    let a = &m.rules[0].actions[0];
    let effects: Vec<_> = a
        .iac_interpolations
        .iter()
        .map(|i| (i.expr.as_str(), i.effect))
        .collect();
    assert_eq!(
        effects,
        [
            ("K", IacEffect::Substituted),
            ("AWS::Region", IacEffect::Substituted),
            ("topic(2)", IacEffect::Rejected)
        ]
    );
    assert_eq!(db.text(a.iac_interpolations[2].span), "${topic(2)}");
    assert!(matches!(&a.partition_key.state, ValState::Unknown(r) if r.contains("AWS::Region")));
    assert_eq!(
        a.partition_key.via[0].message,
        "from the default of parameter `K`"
    );
    assert!(m.rules[0].name.is_unknown());
    assert!(m.rules[0].sql_version.is_absent());
}

#[test]
fn unresolvable_values_are_unknown_with_a_reason() {
    let text = r#"{"Parameters": {"Arn": {"Type": "String"}},
 "Conditions": {"Prod": {"Fn::Equals": ["a", "b"]}},
 "Resources": {"M": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
   "EventSourceArn": {"Ref": "Arn"},
   "FunctionName": {"Fn::ImportValue": "fn"},
   "BatchSize": {"Fn::If": ["Prod", 100, 10]},
   "ParallelizationFactor": {"Fn::If": ["Prod", 2, 2]},
   "MaximumRetryAttempts": {"Fn::FindInMap": ["Env", "prod", "retries"]},
   "StartingPosition": {"Fn::Select": [1, ["LATEST", "TRIM_HORIZON"]]}}}}}"#;
    let mut db = SourceDb::default();
    let id = db.add("t.json".into(), text.into());
    let m = cloudformation::load(&db, id).unwrap().unwrap();
    let e = &m.mappings[0];
    fn reason<T>(s: &ValState<T>) -> String {
        match s {
            ValState::Unknown(r) => r.clone(),
            _ => String::new(),
        }
    }
    assert!(reason(&e.source_arn.state).contains("no `Default`"));
    assert!(reason(&e.function.state).contains("ImportValue"));
    assert!(reason(&e.batch_size.state).contains("`Prod`"));
    assert_eq!(e.parallelization_factor.get(), Some(&2));
    assert!(reason(&e.max_retry_attempts.state).contains("mapping `Env`"));
    assert_eq!(
        e.starting_position.get().map(String::as_str),
        Some("TRIM_HORIZON")
    );
}

fn corpus_files(ext: &[&str]) -> Option<Vec<PathBuf>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        // Written to the terminal directly: the test harness would swallow `eprintln!`.
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!(
                "\n*** SKIPPED: no corpus at {}; only shipped inputs were checked ***\n",
                root.display()
            ),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ext.contains(&x))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Some(out)
}

#[test]
fn every_corpus_template_loads() {
    let Some(files) = corpus_files(&["json", "yaml", "yml"]) else {
        return;
    };
    let mut templates = 0;
    for p in files {
        let mut db = SourceDb::default();
        let id = db.add(p.clone(), std::fs::read_to_string(&p).unwrap());
        match cloudformation::load(&db, id) {
            Ok(Some(_)) => templates += 1,
            Ok(None) => {}
            Err(e) => panic!("{}: {}", p.display(), e.message),
        }
        let is_yaml = p.extension().is_some_and(|x| x != "json");
        if is_yaml {
            assert!(
                cloudformation::load(&db, id).unwrap().is_some(),
                "{} is a template",
                p.display()
            );
        }
    }
    assert!(templates >= 19, "{templates}");
}

#[test]
fn efo_consumer_arn_names_the_stream_and_consumer() {
    let text = "Resources:\n  S:\n    Type: AWS::Kinesis::Stream\n    Properties: {ShardCount: 1}\n  C:\n    Type: AWS::Kinesis::StreamConsumer\n    Properties:\n      StreamARN: !GetAtt S.Arn\n      ConsumerName: app\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: Kinesis\n          Properties: {Stream: !GetAtt C.ConsumerARN, StartingPosition: LATEST}\n";
    let mut db = SourceDb::default();
    let id = db.add("t.yaml".into(), text.into());
    let m = cloudformation::load(&db, id).unwrap().unwrap();
    let e = &m.mappings[0];
    assert_eq!(
        e.source_arn.get().map(String::as_str),
        Some("arn:<partition>:kinesis:<region>:<account>:stream/S/consumer/app:<created>")
    );
    assert!(e.is_efo());
    assert!(
        e.source_arn
            .via
            .iter()
            .any(|r| r.message.contains("logical id"))
    );
}
