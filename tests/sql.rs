//! `shardlint sql` as a user runs it: the query text per dialect against goldens under
//! `tests/golden/sql/` (rewritten with `SHARDLINT_BLESS=1`; read the diff before committing),
//! and templates SQL cannot compute refused with the reason, located at the template.

use std::path::Path;

use assert_cmd::Command;

fn shardlint() -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    c
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/sql")
        .join(name);
    if std::env::var_os("SHARDLINT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (write it with SHARDLINT_BLESS=1)", path.display()));
    if expected != actual {
        let diff = similar::TextDiff::from_lines(&expected, actual)
            .unified_diff()
            .header("golden", "actual")
            .to_string();
        panic!(
            "{} differs from the query written (SHARDLINT_BLESS=1 rewrites it):\n{diff}",
            path.display()
        );
    }
}

fn query(args: &[&str]) -> String {
    let out = shardlint().arg("sql").args(args).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

/// Seed 2's rule (the literal key `vin`) on its 8-shard stream, from the configuration.
#[test]
fn seed2_rule_query_per_dialect() {
    for d in ["duckdb", "trino", "spark"] {
        let q = query(&[
            "--dialect",
            d,
            "--rule",
            "by_literal",
            "--config-path",
            "fixtures/samples-seed-hot-shard",
            "--table",
            "archive.location",
            "--time-column",
            "arrival_ms",
        ]);
        assert!(q.contains("'shardId-000000000003'"), "{q}");
        assert!(q.contains("template=vin"), "{q}");
        golden(&format!("seed2-by-literal.{d}.sql"), &q);
    }
}

/// Every translated construct: topic levels, clientid, a `get` chain, `lower`, `concat`, `+`
/// with a string, on 4 shards with hash-mod ordering groups.
#[test]
fn translated_template_per_dialect() {
    for d in ["duckdb", "trino", "spark"] {
        let q = query(&[
            "--dialect",
            d,
            "--partition-key",
            "${topic(2)}-${lower(get(get(list, 0), 'vin'))}:${concat(clientid(), '/', fleet.id + '')}",
            "--shards",
            "4",
            "--topic-column",
            "topic",
            "--clientid-column",
            "client id",
            "--time-column",
            "ts",
            "--parallelization-factor",
            "3",
            "--group-model",
            "hash-mod",
            "--top",
            "5",
        ]);
        golden(&format!("translated.{d}.sql"), &q);
    }
}

#[test]
fn ending_hash_keys_are_32_hex_digits() {
    let q = query(&[
        "--dialect",
        "duckdb",
        "--partition-key",
        "${vin}",
        "--shards",
        "4",
    ]);
    // Shard 0 of 4 ends at 2^126 - 1; the last shard takes the rest.
    assert!(q.contains("WHEN h <= '3fffffffffffffffffffffffffffffff' THEN 'shardId-000000000000'"));
    assert!(q.contains("ELSE 'shardId-000000000003'"));
    assert!(!q.contains("md5_number"));
}

#[test]
fn untranslatable_templates_are_refused_at_the_flag() {
    let out = shardlint()
        .args([
            "sql",
            "--dialect",
            "trino",
            "--shards",
            "2",
            "--partition-key",
            "dev-${sha256(vin)}",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("`sha256()` is not translated to SQL"), "{err}");
    assert!(err.contains("--partition-key:1:7"), "{err}");
    assert!(err.contains("      ^^^^^^^^^^^"), "{err}");

    // topic() without a topic column says which flag gives it.
    let out = shardlint()
        .args(["sql", "--dialect", "duckdb", "--shards", "2"])
        .args(["--partition-key", "${topic(3)}"])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("--topic-column COL"), "{err}");
}

#[test]
fn untranslatable_rule_key_is_located_in_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("main.tf");
    std::fs::write(
        &tf,
        r#"resource "aws_kinesis_stream" "s" {
  name        = "s"
  shard_count = 2
}

resource "aws_iot_topic_rule" "r" {
  name        = "r"
  enabled     = true
  sql         = "SELECT * FROM 'a/+'"
  sql_version = "2016-03-23"
  kinesis {
    stream_name   = aws_kinesis_stream.s.name
    partition_key = "$${newuuid()}"
    role_arn      = "arn:aws:iam::123456789012:role/x"
  }
}
"#,
    )
    .unwrap();
    let out = shardlint()
        .args(["sql", "--dialect", "spark", "--rule", "r", "--config-path"])
        .arg(dir.path())
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("`newuuid()` is not translated to SQL"),
        "{err}"
    );
    // Line 13, the column of `newuuid` inside the string.
    assert!(err.contains("main.tf:13:"), "{err}");
}

#[test]
fn java_hash_mod_groups_are_refused_with_the_reason() {
    let out = shardlint()
        .args(["sql", "--dialect", "duckdb", "--shards", "2"])
        .args(["--partition-key", "${vin}", "--parallelization-factor", "2"])
        .args(["--group-model", "java-hash-mod"])
        .assert()
        .code(2);
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(err.contains("String.hashCode()"), "{err}");
}
