//! Key classification per language, on small snippets.

use super::*;
use crate::model::KeyExpr;

fn producers(name: &str, text: &str) -> Vec<Producer> {
    let mut db = SourceDb::default();
    let id = db.add(name.into(), text.to_string());
    load(&db, id, lang_of(name).unwrap())
}

fn class(name: &str, text: &str) -> KeyExpr {
    let p = producers(name, text);
    assert_eq!(p.len(), 1, "{text}");
    p[0].class.clone()
}

#[test]
fn prefilter() {
    assert!(mentions_kinesis(b"import boto3; boto3.client('kinesis')"));
    assert!(mentions_kinesis(b"KinesisClient"));
    assert!(!mentions_kinesis(b"print('hello')"));
    assert!(!mentions_kinesis(b"inesis"));
}

#[test]
fn python_classes() {
    let k = |e: &str| {
        class(
            "a.py",
            &format!("k.put_record(StreamName='s', Data=b, PartitionKey={e})"),
        )
    };
    assert_eq!(k("'x'"), KeyExpr::Constant { value: "x".into() });
    assert!(matches!(
        k("str(random.randint(0, 3))"),
        KeyExpr::LowCardinality { count: Some(4), .. }
    ));
    assert!(matches!(
        k("random.choice(['a', 'b', 'a'])"),
        KeyExpr::LowCardinality { count: Some(2), .. }
    ));
    assert!(matches!(
        k("str(i % 4)"),
        KeyExpr::LowCardinality { count: Some(4), .. }
    ));
    assert!(matches!(k("str(uuid.uuid4())"), KeyExpr::Random { .. }));
    assert!(matches!(k("uuid.uuid4().hex"), KeyExpr::Random { .. }));
    assert!(matches!(k("str(time.time())"), KeyExpr::TimeBased { .. }));
    assert!(matches!(k("event['id']"), KeyExpr::PerRecord { .. }));
    assert!(matches!(k("f\"dev-{d['id']}\""), KeyExpr::PerRecord { .. }));
    assert_eq!(
        k("f\"dev-{1}\""),
        KeyExpr::Constant {
            value: "dev-1".into()
        }
    );
    assert!(matches!(k("make_key(e)"), KeyExpr::Unknown { .. }));
}

#[test]
fn a_name_bound_twice_is_not_constant() {
    let once = "KEY = 'a'\nk.put_record(StreamName='s', Data=b, PartitionKey=KEY)\n";
    assert_eq!(class("a.py", once), KeyExpr::Constant { value: "a".into() });
    let twice = "KEY = 'a'\nKEY = 'b'\nk.put_record(StreamName='s', Data=b, PartitionKey=KEY)\n";
    assert!(matches!(class("a.py", twice), KeyExpr::PerRecord { .. }));
}

#[test]
fn firehose_put_record_is_not_kinesis() {
    assert!(
        producers(
            "a.py",
            "firehose.put_record(DeliveryStreamName='d', Record={'Data': b})"
        )
        .is_empty()
    );
}

#[test]
fn stream_names() {
    let p = producers(
        "a.py",
        "S = 'orders'\nk.put_record(StreamName=S, Data=b, PartitionKey=x)\n",
    );
    assert_eq!(p[0].stream_name.get().map(String::as_str), Some("orders"));
    let p = producers(
        "a.py",
        "k.put_record(StreamName=os.environ['S'], Data=b, PartitionKey=x)\n",
    );
    assert!(p[0].stream_name.is_unknown());
}

#[test]
fn other_languages() {
    assert!(matches!(
        class(
            "a.js",
            "let k = 'x'; c.send(new PutRecordCommand({ StreamName: 's', PartitionKey: k }))"
        ),
        KeyExpr::PerRecord { .. }
    ));
    assert!(matches!(
        class(
            "a.ts",
            "c.send(new PutRecordCommand({ PartitionKey: crypto.randomUUID() }))"
        ),
        KeyExpr::Random { .. }
    ));
    assert!(matches!(
        class(
            "A.java",
            "class A { void f() { PutRecordRequest.builder().partitionKey(UUID.randomUUID().toString()).build(); } }"
        ),
        KeyExpr::Random { .. }
    ));
    assert!(matches!(
        class(
            "A.java",
            "class A { void f() { PutRecordRequest.builder().partitionKey(Integer.toString(r.nextInt(4))).build(); } }"
        ),
        KeyExpr::LowCardinality { count: Some(4), .. }
    ));
    assert!(matches!(
        class(
            "a.go",
            "package p\nfunc f() { _ = &kinesis.PutRecordInput{PartitionKey: aws.String(uuid.New().String())} }"
        ),
        KeyExpr::Random { .. }
    ));
    assert_eq!(
        class(
            "a.go",
            "package p\nconst k = \"x\"\nfunc f() { _ = &kinesis.PutRecordInput{PartitionKey: aws.String(k)} }"
        ),
        KeyExpr::Constant { value: "x".into() }
    );
}
