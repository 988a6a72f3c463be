//! Issue 12's reproducers, each generated here beside a copy of the seed fixture: the bad input
//! gets its located diagnostic, the seed keeps its three findings, and the exit code says so.
//! Figures (time, peak RSS) live in `scripts/blowups.sh`, not here.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as Cmd;
use serde_json::Value;

#[allow(deprecated)]
fn cmd() -> Cmd {
    Cmd::cargo_bin("shardlint").unwrap()
}

/// A temp dir with `seed/main.tf`, the seed incident (SL101, SL302, SL301).
fn with_seed() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::create_dir(&seed).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tf-seed-hot-shard/main.tf");
    std::fs::copy(src, seed.join("main.tf")).unwrap();
    (dir, seed)
}

fn json_check(cwd: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = cmd()
        .current_dir(cwd)
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (
        out.status.code().unwrap(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn seed_codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with("seed/main.tf"))
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

fn assert_seed_survives(v: &Value) {
    assert_eq!(seed_codes(v), ["SL101", "SL301", "SL302"], "{v:#}");
}

fn errors(v: &Value) -> Vec<Value> {
    v["errors"].as_array().unwrap().clone()
}

#[test]
fn yaml_alias_amplification_is_refused_at_the_alias() {
    let (dir, _) = with_seed();
    let mut yaml = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  Big: &big \"{}\"\n  List:\n",
        "x".repeat(1 << 20)
    );
    for _ in 0..200 {
        yaml.push_str("    - *big\n");
    }
    yaml.push_str("Resources: {}\n");
    std::fs::write(dir.path().join("bomb.yaml"), yaml).unwrap();
    let (code, v, _) = json_check(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_seed_survives(&v);
    let e = errors(&v);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0]["file"].as_str().unwrap().ends_with("bomb.yaml"));
    assert!(
        e[0]["message"]
            .as_str()
            .unwrap()
            .contains("YAML aliases expand")
    );
    // The 17th alias crosses 16 MiB: line 4 + 17.
    assert_eq!(e[0]["line"], 21);
    assert_eq!(e[0]["column"], 7);
}

#[test]
fn an_over_long_sample_line_is_reported_and_the_rest_counted() {
    let (dir, _) = with_seed();
    let mut samples = b"{\"vin\":\"A\"}\n".to_vec();
    samples.extend(std::iter::repeat_n(b'x', (16 << 20) + 100));
    samples.extend_from_slice(b"\n{\"vin\":\"B\"}\n");
    std::fs::write(dir.path().join("s.jsonl"), samples).unwrap();
    let (code, v, _) = json_check(
        dir.path(),
        &["seed", "--samples", "s.jsonl", "--no-progress"],
    );
    assert_eq!(code, 2);
    // The seed's three, and the samples' own findings on both readable records.
    let codes = seed_codes(&v);
    for c in ["SL101", "SL301", "SL302", "SL401"] {
        assert!(codes.iter().any(|x| x == c), "{codes:?}");
    }
    assert!(v["findings"].to_string().contains("of `2` sampled records"));
    let e = errors(&v);
    assert!(
        e.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("is longer than a sample record can be")
            && e["file"].as_str().unwrap().ends_with("s.jsonl")),
        "{e:?}"
    );
}

#[test]
fn too_many_shards_are_refused_with_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.txt"), "a\nb\n").unwrap();
    let k = dir.path().join("k.txt");
    for n in ["4294967295", "100001"] {
        cmd()
            .args(["distribute", "--keys", k.to_str().unwrap(), "--shards", n])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("100,000"))
            .stderr(predicates::str::contains("shard quota"));
    }
    cmd()
        .args([
            "distribute",
            "--keys",
            k.to_str().unwrap(),
            "--shards",
            "100000",
        ])
        .assert()
        .code(0);
}

#[test]
fn a_sibling_symlink_outside_the_tree_is_not_read() {
    let (dir, seed) = with_seed();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.tf");
    std::fs::write(&secret, "SECRET_TOKEN = \"hunter2\"\n").unwrap();
    std::os::unix::fs::symlink(&secret, seed.join("env.tf")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", seed.join("environ.tf")).unwrap();
    for format in ["text", "json", "sarif", "github", "html"] {
        let out = cmd()
            .current_dir(dir.path())
            .args(["check", "seed/main.tf", "--format", format])
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("hunter2"), "{format}: {all}");
        assert!(!all.contains("PATH="), "{format}");
        assert_eq!(out.status.code(), Some(2), "{format}");
    }
    let (_, v, _) = json_check(dir.path(), &["seed/main.tf"]);
    assert_seed_survives(&v);
    let e = errors(&v);
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e.iter().all(|e| {
        e["message"]
            .as_str()
            .unwrap()
            .contains("outside the checked tree")
    }));
    // A symlink inside the tree is read.
    std::fs::remove_file(seed.join("env.tf")).unwrap();
    std::fs::remove_file(seed.join("environ.tf")).unwrap();
    std::fs::write(dir.path().join("vars.tf"), "variable \"x\" {}\n").unwrap();
    std::os::unix::fs::symlink(dir.path().join("vars.tf"), seed.join("vars.tf")).unwrap();
    let (code, v, _) = json_check(dir.path(), &["seed/main.tf"]);
    assert_eq!(code, 1);
    assert!(errors(&v).is_empty());
    assert_seed_survives(&v);
}

#[test]
fn config_errors_cannot_forge_workflow_commands() {
    let (dir, _) = with_seed();
    std::fs::write(
        dir.path().join("shardlint.toml"),
        "\"x\\n::error file=a.tf::forged\\u001b[2J\" = 1\n",
    )
    .unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(lines[0].starts_with("::error title=shardlint::"), "{err}");
    assert!(lines[0].contains("%0A::error file=a.tf::forged"), "{err}");
    assert!(!err.contains('\u{1b}'));
    // Text: the key is shown, its control characters visible.
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("x␊::error file=a.tf::forged␛[2J"), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("::")));
}

#[test]
fn a_parent_ignore_that_hides_everything_is_said() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".ignore"), "*.tf\n").unwrap();
    let m = dir.path().join("mod");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(m.join("main.tf"), "locals {}\n").unwrap();
    let (code, v, _) = json_check(&m, &["."]);
    assert_eq!(code, 2);
    let e = errors(&v);
    assert_eq!(e.len(), 1);
    let msg = e[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("1 file was skipped by `.gitignore`/`.ignore` rules"),
        "{msg}"
    );
    assert!(msg.contains("main.tf"), "{msg}");
    assert_eq!(
        e[0]["help"],
        "`--no-ignore` reads ignored and hidden files too"
    );
    let (code, _, _) = json_check(&m, &[".", "--no-ignore"]);
    assert_eq!(code, 0);
    // An empty directory is no clean run either.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, v, _) = json_check(dir.path(), &["empty"]);
    assert_eq!(code, 2);
    assert!(
        errors(&v)[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("no Terraform, CloudFormation/SAM, plan or export file found")
    );
}

#[test]
fn a_fifo_is_reported_as_a_fifo() {
    let (dir, _) = with_seed();
    let fifo = dir.path().join("pipe.tf");
    let ok = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(ok.success());
    let (code, v, _) = json_check(dir.path(), &["seed", "pipe.tf"]);
    assert_eq!(code, 2);
    assert_seed_survives(&v);
    let e = errors(&v);
    assert!(
        e[0]["message"]
            .as_str()
            .unwrap()
            .contains("named pipe (FIFO)"),
        "{e:?}"
    );
    // Found by the walk, too.
    let (code, v, _) = json_check(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_seed_survives(&v);
    assert!(
        errors(&v)[0]["message"]
            .as_str()
            .unwrap()
            .contains("named pipe")
    );
}

#[test]
fn output_over_an_input_is_refused() {
    let (dir, seed) = with_seed();
    let before = std::fs::read(seed.join("main.tf")).unwrap();
    cmd()
        .current_dir(dir.path())
        .args(["check", "seed", "-o", "seed/main.tf"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("refusing to overwrite it"));
    assert_eq!(std::fs::read(seed.join("main.tf")).unwrap(), before);
    cmd()
        .current_dir(dir.path())
        .args(["check", "seed", "-o", "report.txt"])
        .assert()
        .code(1);
}

#[test]
fn an_unknown_rule_on_the_command_line_is_an_error() {
    for flag in ["--select", "--ignore"] {
        cmd()
            .args(["check", "fixtures/tf-seed-hot-shard", flag, "SL1,NOPE"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("no rule matches `NOPE`"));
    }
}

#[test]
fn duplicate_shard_ids_are_reported() {
    let (dir, _) = with_seed();
    let half = u128::MAX / 2;
    let shard = |id: &str, s: u128, e: u128| {
        format!(
            "{{\"ShardId\": \"{id}\", \"HashKeyRange\": {{\"StartingHashKey\": \"{s}\", \"EndingHashKey\": \"{e}\"}}, \"SequenceNumberRange\": {{\"StartingSequenceNumber\": \"1\"}}}}"
        )
    };
    let doc = format!(
        "{{\"Shards\": [\n{},\n{}\n]}}\n",
        shard("shardId-000000000000", 0, half),
        shard("shardId-000000000000", half + 1, u128::MAX)
    );
    std::fs::write(dir.path().join("s.list-shards.json"), &doc).unwrap();
    let (code, v, _) = json_check(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_seed_survives(&v);
    let f: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "SL204")
        .collect();
    assert_eq!(f.len(), 1, "{v:#}");
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("appears more than once")
    );
    assert_eq!(f[0]["line"], 3, "the second occurrence");
    let keys = dir.path().join("k.txt");
    std::fs::write(&keys, "a\n").unwrap();
    cmd()
        .current_dir(dir.path())
        .args([
            "distribute",
            "--keys",
            "k.txt",
            "--shard-map",
            "s.list-shards.json",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("appears more than once"));
}

#[test]
fn a_yaml_tab_is_reported_at_its_column() {
    let (dir, _) = with_seed();
    std::fs::write(
        dir.path().join("t.yaml"),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n\tS:\n    Type: AWS::Kinesis::Stream\n",
    )
    .unwrap();
    let (code, v, _) = json_check(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert_seed_survives(&v);
    let e = errors(&v);
    assert_eq!(
        (e[0]["line"].as_u64(), e[0]["column"].as_u64()),
        (Some(3), Some(1))
    );
}

#[test]
fn sarif_snippets_stay_bounded_on_a_one_line_file() {
    let (dir, _) = with_seed();
    // A one-line CloudFormation JSON template of ~8 MB with a constant key on that line.
    let doc = format!(
        "{{\"Description\": \"{}\", \"Resources\": {{\"S\": {{\"Type\": \"AWS::Kinesis::Stream\", \"Properties\": {{\"ShardCount\": 4}}}}, \"R\": {{\"Type\": \"AWS::IoT::TopicRule\", \"Properties\": {{\"TopicRulePayload\": {{\"Sql\": \"SELECT * FROM 'a'\", \"Actions\": [{{\"Kinesis\": {{\"StreamName\": {{\"Ref\": \"S\"}}, \"PartitionKey\": \"vin\", \"RoleArn\": \"arn:aws:iam::1:role/r\"}}}}]}}}}}}}}}}\n",
        "d".repeat(8 << 20)
    );
    std::fs::write(dir.path().join("big.json"), doc).unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The results carry the snippets; the rules' metadata (each rule's whole doc, with its
    // example output) is the same size whatever the input.
    let results_bytes = serde_json::to_vec(&v["runs"][0]["results"]).unwrap().len();
    assert!(
        results_bytes < 200_000,
        "{results_bytes} bytes of SARIF results"
    );
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| {
        r["ruleId"] == "SL101"
            && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("big.json")
    }));
    // Text output shows a window of that line, not the whole line.
    let out = cmd()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    assert!(
        out.stdout.len() < 100_000,
        "{} bytes of text",
        out.stdout.len()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"vin\""));
}
