//! CloudFormation `Metadata: {shardlint: {ignore: [...]}}` suppressions, applied to findings at
//! logical paths under `Resources.<Id>`. The CloudFormation loader lands separately, so these
//! findings are built by hand, as the loader will produce them.

use shardlint::config::Config;
use shardlint::diagnostic::{Finding, Severity};
use shardlint::source::{SourceDb, Span};

const TEMPLATE: &str = r#"Resources:
  LocationRule:
    Type: AWS::IoT::TopicRule
    Metadata:
      shardlint:
        ignore:
          - SL101
          - constant-partition-key
    Properties:
      TopicRulePayload:
        Actions:
          - Kinesis:
              PartitionKey: vin
  LocationStream:
    Type: AWS::Kinesis::Stream
    Metadata:
      shardlint:
        ignore: [SL203]
    Properties:
      ShardCount: 8
  LocationRuleCopy:
    Type: AWS::IoT::TopicRule
    Properties: {}
"#;

fn finding(db: &SourceDb, code: &'static str, path: &str, needle: &str) -> Finding {
    let (id, f) = db.files().next().unwrap();
    let start = f.text.find(needle).unwrap();
    let meta = shardlint::rules::find(code).unwrap().meta;
    Finding {
        meta,
        severity: Severity::Error,
        message: "m".into(),
        help: "h".into(),
        span: Span::new(id, start, start + needle.len()),
        label: String::new(),
        path: path.into(),
        related: Vec::new(),
        fixes: Vec::new(),
    }
}

#[test]
fn metadata_suppresses_findings_of_its_resource_only() {
    let mut db = SourceDb::default();
    let id = db.add("template.yaml".into(), TEMPLATE.into());
    let mut findings = vec![
        finding(
            &db,
            "SL101",
            "Resources.LocationRule.Properties.TopicRulePayload.Actions[0].Kinesis.PartitionKey",
            "vin",
        ),
        // Same code, another resource whose name shares the prefix: not suppressed.
        finding(
            &db,
            "SL101",
            "Resources.LocationRuleCopy.Properties",
            "Properties: {}",
        ),
    ];
    let n = shardlint::suppress::apply(&db, &[id], &Config::default(), &mut findings).len();
    assert_eq!(n, 1);
    let codes: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.code(), f.path.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("SL101", "Resources.LocationRuleCopy.Properties"),
            // `SL203` on LocationStream silences nothing.
            (
                "SL003",
                "Resources.LocationStream.Metadata.shardlint.ignore"
            ),
        ]
    );
    let unused = &findings[1];
    assert_eq!(db.text(unused.span), "SL203");
    assert!(
        unused.message.contains("`LocationStream`"),
        "{}",
        unused.message
    );
}

#[test]
fn metadata_in_json_templates() {
    let json = r#"{"Resources": {"R": {"Type": "AWS::IoT::TopicRule",
  "Metadata": {"shardlint": {"ignore": ["SL101"]}},
  "Properties": {"TopicRulePayload": {"Actions": [{"Kinesis": {"PartitionKey": "vin"}}]}}}}}"#;
    let mut db = SourceDb::default();
    let id = db.add("template.json".into(), json.into());
    let mut findings = vec![finding(
        &db,
        "SL101",
        "Resources.R.Properties.TopicRulePayload.Actions[0].Kinesis.PartitionKey",
        "\"vin\"",
    )];
    let n = shardlint::suppress::apply(&db, &[id], &Config::default(), &mut findings).len();
    assert_eq!(n, 1);
    assert!(findings.is_empty(), "{findings:?}");
}
