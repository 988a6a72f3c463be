//! SL401 must not call sampling noise a hot shard: two shards fed random (uuid-like) keys over
//! 10,000 samples always have one shard at 50% or more, and `check --samples` stays quiet. The
//! samples are generated here.

use std::fmt::Write;

use shardlint::load::LoadOptions;

#[test]
fn two_shards_with_random_keys_over_10000_samples_give_no_finding() {
    let dir = std::env::temp_dir().join(format!("shardlint-noise-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.tf"),
        "resource \"aws_kinesis_stream\" \"s\" {\n  name = \"s\"\n  shard_count = 2\n}\n\nresource \"aws_iot_topic_rule\" \"r\" {\n  name = \"r\"\n  enabled = true\n  sql = \"SELECT * FROM 'devices/+/data'\"\n  sql_version = \"2016-03-23\"\n  kinesis {\n    stream_name = aws_kinesis_stream.s.name\n    partition_key = \"$${id}\"\n    role_arn = \"arn:aws:iam::123456789012:role/r\"\n  }\n}\n",
    )
    .unwrap();
    // SplitMix64: reproducible uuid-like ids.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut samples = String::new();
    for i in 0..10_000u64 {
        let id = format!("{:016x}{:016x}", next(), next());
        let _ = writeln!(
            samples,
            "{{\"topic\":\"devices/d{i}/data\",\"timestamp\":{},\"payload\":{{\"id\":\"{id}\"}}}}",
            1_700_000_000_000u64 + i * 100
        );
    }
    let sample_file = dir.join("samples.jsonl");
    std::fs::write(&sample_file, samples).unwrap();
    let paths = [dir.join("main.tf")];
    let config = shardlint::config_file::resolve(None, &paths).unwrap();
    let opts = shardlint::samples::SampleOptions {
        files: vec![sample_file],
        ..Default::default()
    };
    let report = shardlint::check_with_samples(&paths, &config, &LoadOptions::default(), &opts);
    let codes: Vec<&str> = report.findings.iter().map(|f| f.code()).collect();
    assert!(codes.is_empty(), "{codes:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
