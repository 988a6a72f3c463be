//! A hostile input fed to every output format: strings from the input (keys, names, values,
//! comments shown in snippets) hold newlines, `::error` workflow commands and terminal escape
//! sequences. No output may let one start a new line, a workflow command or a terminal escape.

use assert_cmd::Command as Cmd;

#[allow(deprecated)]
fn cmd() -> Cmd {
    Cmd::cargo_bin("shardlint").unwrap()
}

/// Bytes a terminal or a log viewer acts on: ESC, BEL, a lone CR, C1 controls (UTF-8 encoded)
/// and the Unicode line separators.
fn assert_inert(what: &str, out: &str) {
    for (i, c) in out.char_indices() {
        let bad = match c {
            '\u{1b}' | '\u{7}' | '\u{7f}' | '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' => true,
            '\r' => !out[i + 1..].starts_with('\n'),
            c => (c as u32) < 0x20 && c != '\n' && c != '\t',
        };
        assert!(
            !bad,
            "{what}: raw {c:?} at byte {i}: {:?}",
            &out[i.saturating_sub(40)..(i + 40).min(out.len())]
        );
    }
}

/// No line starts a workflow command unless it is one of ours (`github` format only).
fn assert_no_forged_commands(what: &str, out: &str, ours: usize) {
    let commands: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("::"))
        .collect();
    for l in &commands {
        assert!(
            l.starts_with("::error file=")
                || l.starts_with("::warning file=")
                || l.starts_with("::notice file=")
                || l.starts_with("::error title=shardlint::"),
            "{what}: forged command line {l:?}"
        );
    }
    assert_eq!(commands.len(), ours, "{what}: {commands:?}");
}

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Description: "evil\n::error file=x.tf,line=1::forged description \e]0;pwned\a \e[2J \u009b31m"
Resources:
  "Stream\e[2J":
    Type: AWS::Kinesis::Stream
    Properties:
      Name: "s\n::warning::forged name\e]0;t\a\u2028x"
      ShardCount: 4
  Rule:
    Type: AWS::IoT::TopicRule
    Properties:
      TopicRulePayload:
        Sql: "SELECT * FROM 'a'"
        Actions:
          - Kinesis:
              StreamName: !Ref "Stream\e[2J"
              PartitionKey: "vin\e[2J\n::error::forged key\r"
              RoleArn: arn:aws:iam::1:role/r
"#;

fn hostile_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("evil.yaml"), TEMPLATE).unwrap();
    // Raw control bytes in a Terraform comment on the flagged line, shown in snippets.
    let tf = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tf-seed-hot-shard/main.tf"),
    )
    .unwrap()
    .replace(
        "# expect: SL101",
        "# \u{1b}]0;pwned\u{7} \u{1b}[2J\u{8}::error::forged comment \u{9b}1m",
    );
    std::fs::write(dir.path().join("main.tf"), tf).unwrap();
    // An unreadable file whose name is hostile too.
    std::fs::write(dir.path().join("bad\u{1b}[2J.tf"), "resource \"x\" {\n").unwrap();
    dir
}

#[test]
fn no_format_lets_an_input_string_escape() {
    let dir = hostile_dir();
    let json = cmd()
        .current_dir(dir.path())
        .args(["check", ".", "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap().len();
    let errors = v["errors"].as_array().unwrap().len();
    assert!(findings >= 4, "{v:#}");
    assert!(errors >= 1, "{v:#}");
    // The hostile key is reported, whole, in the JSON.
    assert!(
        v["findings"]
            .to_string()
            .contains(r"vin\u001b[2J\n::error::forged key"),
        "{v:#}"
    );
    for format in [
        "text",
        "json",
        "sarif",
        "github",
        "html",
        "junit",
        "gitlab",
        "checkstyle",
    ] {
        let out = cmd()
            .current_dir(dir.path())
            .args(["check", ".", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{format}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_inert(&format!("{format} stdout"), &stdout);
        assert_inert(&format!("{format} stderr"), &stderr);
        let ours = if format == "github" {
            findings + errors
        } else {
            0
        };
        assert_no_forged_commands(&format!("{format} stdout"), &stdout, ours);
        assert_no_forged_commands(&format!("{format} stderr"), &stderr, 0);
        // The strings are still shown (escaped), not dropped.
        assert!(stdout.contains("forged key"), "{format}: {stdout}");
    }
    // Text shows control characters as pictures, on the line they belong to.
    let text = cmd()
        .current_dir(dir.path())
        .args(["check", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("vin␛[2J␊::error::forged key"), "{text}");
    assert!(
        text.contains("# ␛]0;pwned␇ ␛[2J␈::error::forged comment"),
        "{text}"
    );
    // `-o` with a hostile path in the note on stderr.
    let out = cmd()
        .current_dir(dir.path())
        .args([
            "check",
            ".",
            "--format",
            "github",
            "-o",
            "r\n::error::x.txt",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_inert("github -o stderr", &stderr);
    assert_no_forged_commands("github -o stderr", &stderr, 0);
}

#[test]
fn distribute_outputs_are_inert() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("k.txt");
    std::fs::write(&keys, "k\u{1b}[2J\n\u{1b}]0;pwned\u{7}\nplain\u{9b}\n").unwrap();
    let payloads = dir.path().join("p.jsonl");
    std::fs::write(
        &payloads,
        "{\"vin\": \"a\\n::error::forged\\u001b[2J\"}\n{\"vin\": \"b\"}\n",
    )
    .unwrap();
    for format in ["text", "json"] {
        for args in [
            vec!["--keys", keys.to_str().unwrap()],
            vec![
                "--samples",
                payloads.to_str().unwrap(),
                "--partition-key",
                "${vin}",
            ],
        ] {
            let out = cmd()
                .arg("distribute")
                .args(&args)
                .args(["--shards", "4", "--format", format])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{format} {args:?}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            assert_inert(&format!("distribute {format}"), &stdout);
            assert_no_forged_commands(&format!("distribute {format}"), &stdout, 0);
        }
    }
}
