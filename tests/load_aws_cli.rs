//! AWS CLI export loader: shard maps from resharded and broken exports, the `export-account.sh`
//! layout (against a fake `aws`), exact positions, and every corpus export.

use std::path::{Path, PathBuf};

use shardlint::load::aws_cli;
use shardlint::model::{Model, StreamMode};
use shardlint::source::{FileId, SourceDb};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load_file(db: &mut SourceDb, path: &Path, shown: PathBuf) -> (FileId, Model) {
    let id = db.add(shown, std::fs::read_to_string(path).unwrap());
    let m = aws_cli::load(db, id)
        .unwrap_or_else(|e| panic!("{}: {}", path.display(), e.message))
        .unwrap_or_else(|| panic!("{} is not recognised", path.display()));
    (id, m)
}

fn fixture(rel: &str) -> (SourceDb, Model) {
    let mut db = SourceDb::default();
    let (_, m) = load_file(
        &mut db,
        &manifest().join("fixtures").join(rel),
        format!("fixtures/{rel}").into(),
    );
    (db, m)
}

#[test]
fn resharded_stream_has_three_closed_and_four_open_shards() {
    let (db, m) = fixture("export-resharded/location-stream.describe-stream.json");
    let s = &m.streams[0];
    assert_eq!(s.name.get().map(String::as_str), Some("location-stream"));
    assert_eq!(s.origin.address, "stream/location-stream");
    assert_eq!(s.origin.module, "fixtures/export-resharded");
    assert_eq!(s.mode.get(), Some(&StreamMode::Provisioned));
    let shards = s.shards.as_ref().unwrap();
    assert_eq!(shards.len(), 7);
    assert_eq!(shards.iter().filter(|s| s.closed).count(), 3);
    assert_eq!(s.open_shard_count(), Some(4));
    assert_eq!(s.shard_count.get(), Some(&4));
    let merged = shards
        .iter()
        .find(|s| s.shard_id == "shardId-000000000006")
        .unwrap();
    assert_eq!(merged.starting_hash_key, 1u128 << 127);
    assert_eq!(merged.ending_hash_key, u128::MAX);
    assert_eq!(merged.parent.as_deref(), Some("shardId-000000000002"));
    assert_eq!(
        merged.adjacent_parent.as_deref(),
        Some("shardId-000000000003")
    );
    // The shard object's position: line and column of its `{`.
    let lc = db.start(merged.span.unwrap());
    assert_eq!((lc.line, lc.column), (69, 13));
    let map =
        shardlint::keyspace::ShardMap::from_records(shards).expect("open shards tile the keyspace");
    assert_eq!(map.len(), 4);
}

#[test]
fn a_gap_still_loads_for_the_map_check_to_report() {
    let (_, m) = fixture("export-gap/gap-stream.list-shards.json");
    let s = &m.streams[0];
    assert_eq!(s.name.get().map(String::as_str), Some("gap-stream"));
    assert_eq!(s.shards.as_ref().unwrap().len(), 3);
    assert!(shardlint::keyspace::ShardMap::from_records(s.shards.as_ref().unwrap()).is_err());
}

#[test]
fn hash_keys_over_128_bits_are_input_errors_with_position() {
    let text = r#"{
    "Shards": [
        {
            "ShardId": "shardId-000000000000",
            "HashKeyRange": {
                "StartingHashKey": "0",
                "EndingHashKey": "340282366920938463463374607431768211456"
            }
        }
    ]
}"#;
    let mut db = SourceDb::default();
    let id = db.add("s.list-shards.json".into(), text.into());
    let e = aws_cli::load(&db, id).unwrap_err();
    assert_eq!(e.code(), "SL001");
    let lc = db.start(e.span.unwrap());
    assert_eq!((lc.line, lc.column), (7, 34));
    assert!(
        e.message
            .contains("`340282366920938463463374607431768211456`"),
        "{}",
        e.message
    );

    let ok = text.replace("211456", "211455");
    let id = db.add("s.list-shards.json".into(), ok);
    let m = aws_cli::load(&db, id).unwrap().unwrap();
    assert_eq!(
        m.streams[0].shards.as_ref().unwrap()[0].ending_hash_key,
        u128::MAX
    );
}

#[test]
fn list_shards_without_a_name_in_the_file_name_has_an_unknown_name() {
    let mut db = SourceDb::default();
    let id = db.add("shards.json".into(), r#"{"Shards": []}"#.into());
    let m = aws_cli::load(&db, id).unwrap().unwrap();
    assert!(m.streams[0].name.is_unknown());
}

#[test]
fn broken_json_is_reported_only_when_it_looks_like_an_export() {
    let mut db = SourceDb::default();
    let id = db.add("a.json".into(), "{\"Shards\": [\n  {],\n}".into());
    let e = aws_cli::load(&db, id).unwrap_err();
    assert_eq!(db.start(e.span.unwrap()).line, 2);
    let id = db.add("b.json".into(), "{\"name\": [\n}".into());
    assert!(aws_cli::load(&db, id).unwrap().is_none());
    let id = db.add("c.json".into(), "\u{0}\u{1}binary".into());
    assert!(aws_cli::load(&db, id).unwrap().is_none());
}

/// Every file of the export layout loads; the mapping with default retries has exact positions.
fn check_account_export(dir: &Path, shown: &str) {
    let mut db = SourceDb::default();
    let mut all = Model::default();
    let mut files = Vec::new();
    for sub in ["kinesis", "iot", "lambda"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    assert_eq!(files.len(), 5, "{files:?}");
    for f in &files {
        let rel = f.strip_prefix(dir).unwrap();
        let (_, m) = load_file(&mut db, f, Path::new(shown).join(rel));
        all.extend(m);
    }
    assert_eq!(all.streams.len(), 2, "summary + list-shards of one stream");
    assert!(
        all.streams
            .iter()
            .all(|s| s.name.get().map(String::as_str) == Some("location-stream"))
    );
    assert_eq!(all.streams.iter().filter(|s| s.shards.is_some()).count(), 1);
    assert_eq!(
        all.rules[0].actions[0]
            .partition_key
            .get()
            .map(String::as_str),
        Some("${newuuid()}")
    );
    assert_eq!(all.rules[0].origin.address, "rule/location_to_kinesis");
    let e = &all.mappings[0];
    assert_eq!(e.origin.address, "esm/2b0e7c6e-4d3a-4a6c-9a55-0d3f5e1c7a10");
    assert_eq!(e.max_retry_attempts.get(), Some(&-1));
    assert_eq!(e.max_record_age.get(), Some(&-1));
    assert!(e.on_failure_destination.is_absent());
    assert_eq!(e.bisect_on_error.get(), Some(&false));
    assert_eq!(e.enabled.get(), Some(&true));
    assert_eq!(
        e.max_retry_attempts.path,
        "EventSourceMappings[0].MaximumRetryAttempts"
    );
    let lc = db.start(e.max_retry_attempts.span.unwrap());
    assert_eq!((lc.line, lc.column), (20, 37));
    assert_eq!(
        e.function.get().map(String::as_str),
        Some("arn:aws:lambda:ap-northeast-1:123456789012:function:location-writer")
    );
    assert_eq!(all.functions[0].timeout.get(), Some(&60));
}

#[test]
fn export_account_fixture_layout_loads() {
    check_account_export(
        &manifest().join("fixtures/export-account"),
        "fixtures/export-account",
    );
}

#[test]
fn every_corpus_export_loads() {
    let root = manifest().join("../shared/corpus");
    if !root.is_dir() {
        // Written to the terminal directly: the test harness would swallow `eprintln!`.
        let _ = std::io::Write::write_fmt(
            &mut std::io::stderr(),
            format_args!(
                "\n*** SKIPPED: no corpus at {}; only shipped inputs were checked ***\n",
                root.display()
            ),
        );
        return;
    }
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut exports = 0;
    for p in files {
        let mut db = SourceDb::default();
        let id = db.add(p.clone(), std::fs::read_to_string(&p).unwrap());
        match aws_cli::load(&db, id) {
            Ok(Some(_)) => exports += 1,
            Ok(None) => {}
            Err(e) => panic!("{}: {}", p.display(), e.message),
        }
    }
    // 13 exports: list-shards ×3, describe-stream ×3, topic rule payloads ×2, mappings ×4, ...
    assert!(exports >= 12, "{exports}");
}
