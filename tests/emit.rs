//! `shardlint sql --emit table|pyspark|self-test` from the command line: the Athena DDL needs
//! `--dialect trino` and `--location`; the PySpark job carries exactly the query `--emit query`
//! writes; the self-test embeds shardlint's own answers (key, shard) for its edge payloads.
//! Running them on engines is scripts/sql-check.py `--self-test` and scripts/spark-check.sh.

use assert_cmd::Command;

fn sql(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("shardlint")
        .unwrap()
        .arg("sql")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn table_needs_trino_and_a_location() {
    let (code, _, err) = sql(&["--dialect", "trino", "--emit", "table"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("needs `--location s3://bucket/prefix/`"),
        "{err}"
    );
    let (code, _, err) = sql(&[
        "--dialect",
        "duckdb",
        "--emit",
        "table",
        "--location",
        "s3://b/p/",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("use `--dialect trino`"), "{err}");
    let (code, out, err) = sql(&[
        "--dialect",
        "trino",
        "--emit",
        "table",
        "--location",
        "s3://b/iot/",
        "--table",
        "loc",
        "--time-column",
        "arrival_ms",
        "--topic-column",
        "topic",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("CREATE EXTERNAL TABLE IF NOT EXISTS `loc_lines` ("),
        "{out}"
    );
    assert!(out.contains("CREATE OR REPLACE VIEW \"loc\" AS"), "{out}");
    assert!(
        out.contains("json_extract_scalar(line, '$.topic') AS \"topic\""),
        "{out}"
    );
}

#[test]
fn pyspark_job_carries_the_spark_query() {
    let args = [
        "--shards",
        "8",
        "--partition-key",
        "${vin}",
        "--table",
        "loc",
    ];
    let (_, query, _) = sql(&[&["--dialect", "spark"][..], &args].concat());
    let (code, job, err) = sql(&[&["--dialect", "spark", "--emit", "pyspark"][..], &args].concat());
    assert_eq!(code, 0, "{err}");
    assert!(job.contains(&format!("QUERY = r'''{query}'''")));
    assert!(job.contains("CREATE OR REPLACE TEMP VIEW `loc` AS SELECT value AS `payload`"));
    let (code, _, err) = sql(&[&["--dialect", "trino", "--emit", "pyspark"][..], &args].concat());
    assert_eq!(code, 2);
    assert!(err.contains("use `--dialect spark`"), "{err}");
}

#[test]
fn self_test_embeds_shardlints_answers() {
    let (code, out, err) = sql(&[
        "--dialect",
        "duckdb",
        "--emit",
        "self-test",
        "--shards",
        "8",
    ]);
    assert_eq!(code, 0, "{err}");
    let map = shardlint::keyspace::ShardMap::even(8);
    for key in ["TEST-100001", "車両-ü-🚗", "TEST-2-client-2", "-client-3"] {
        let shard = &map.shards()[shardlint::keyspace::place(&map, key, None)].shard_id;
        let expected = format!("'key', '{shard}', '{key}', 1,");
        assert!(out.contains(&expected), "{expected} missing");
    }
    // The 257-character key and the non-JSON payload are expected refused, not keyed.
    assert!(out.contains("'status', '', 'bad:key-length', 1,"));
    assert!(out.contains("'status', '', 'bad:json', 1,"));
    assert!(out.contains("'status', '', 'keyed', 5,"));
}
