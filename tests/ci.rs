//! Adoption in CI and pre-commit, end to end through the binary: baselines, per-directory
//! configuration, findings caused by changed files, the JUnit / GitLab / checkstyle formats
//! checked against their documented shapes, SARIF as code scanning reads it, and the command
//! line (exit-zero, statistics, quiet, colour, stdin, completions, man page, config schema).

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

fn shardlint(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("shardlint").unwrap();
    c.current_dir(cwd);
    c.env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("COLUMNS");
    c
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    shardlint(cwd).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A scratch repository (a `.git` directory marks its root) holding copies of fixtures.
fn repo(fixtures: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (fixture, to) in fixtures {
        let dest = dir.path().join(to);
        std::fs::create_dir_all(&dest).unwrap();
        for e in std::fs::read_dir(Path::new(MANIFEST).join("fixtures").join(fixture)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.is_file() && !name.starts_with("expected.") {
                std::fs::copy(&p, dest.join(&name)).unwrap();
            }
        }
    }
    dir
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn codes(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn baseline_accepts_todays_findings_and_reports_new_and_stale_ones() {
    let r = repo(&[("tf-seed-hot-shard", ".")]);
    let dir = r.path();
    let o = run(
        dir,
        &["check", ".", "--write-baseline", ".shardlint-baseline.json"],
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(".shardlint-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(written["findings"].as_array().unwrap().len(), 3);
    // No line numbers in the file: entries survive lines moving.
    assert!(written["findings"][0].get("line").is_none());

    let check = |extra: &[&str]| {
        let mut args = vec![
            "check",
            ".",
            "--format",
            "json",
            "--baseline",
            ".shardlint-baseline.json",
        ];
        args.extend_from_slice(extra);
        run(dir, &args)
    };
    let o = check(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json_of(&o);
    assert_eq!(j["summary"]["baselined"], 3);
    assert!(codes(&j).is_empty());
    // The text summary counts them.
    let o = run(
        dir,
        &["check", ".", "--baseline", ".shardlint-baseline.json"],
    );
    assert!(
        stdout(&o).contains("No findings in 1 file (3 baselined)"),
        "{}",
        stdout(&o)
    );

    // Ten blank lines at the top of main.tf: still clean.
    let main = dir.join("main.tf");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, format!("{}{text}", "\n".repeat(10))).unwrap();
    assert_eq!(check(&[]).status.code(), Some(0));

    // batch_size 200000: that one finding is new; the old value's entry is stale.
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, text.replace("= 100000", "= 200000")).unwrap();
    let o = check(&[]);
    assert_eq!(o.status.code(), Some(1));
    let j = json_of(&o);
    assert_eq!(codes(&j), [("SL301".to_string(), "main.tf".to_string())]);
    assert!(
        j["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("200000")
    );
    assert_eq!(j["summary"]["baselined"], 2);
    std::fs::write(&main, &text).unwrap();

    // Remove the IoT rule: its SL101 entry is reported as stale, the run stays clean.
    let start = text.find("resource \"aws_iot_topic_rule\"").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    std::fs::write(&main, format!("{}{}", &text[..start], &text[end..])).unwrap();
    let o = check(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let j = json_of(&o);
    let stale = j["stale_baseline"].as_array().unwrap();
    assert_eq!(stale.len(), 1, "{stale:?}");
    assert_eq!(stale[0]["code"], "SL101");
    assert_eq!(stale[0]["baseline"], ".shardlint-baseline.json");
    let o = run(
        dir,
        &["check", ".", "--baseline", ".shardlint-baseline.json"],
    );
    assert!(
        stdout(&o).contains("1 baseline entry no longer matches"),
        "{}",
        stdout(&o)
    );

    // `baseline = "…"` in shardlint.toml does the same, relative to the config file, from any
    // working directory.
    std::fs::write(&main, &text).unwrap();
    std::fs::write(
        dir.join("shardlint.toml"),
        "baseline = \".shardlint-baseline.json\"\n",
    )
    .unwrap();
    let o = run(dir, &["check", "."]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let o = run(&sub, &["check", ".."]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn a_baseline_of_one_directory_is_not_stale_for_another() {
    let r = repo(&[("tf-seed-hot-shard", "a"), ("tf-seed-hot-shard", "b")]);
    let dir = r.path();
    assert_eq!(
        run(dir, &["check", ".", "--write-baseline", "bl.json"])
            .status
            .code(),
        Some(0)
    );
    let o = run(
        dir,
        &["check", "a", "--baseline", "bl.json", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        json_of(&o).get("stale_baseline").is_none(),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_bad_baseline_is_a_located_error() {
    let r = repo(&[("tf-seed-hot-shard", ".")]);
    std::fs::write(
        r.path().join("bl.json"),
        "{\"version\": 1,\n \"findings\": [}",
    )
    .unwrap();
    let o = run(r.path(), &["check", ".", "--baseline", "bl.json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bl.json:2:"), "{err}");
}

#[test]
fn each_file_is_checked_under_its_closest_config() {
    let r = repo(&[("tf-seed-hot-shard", "a"), ("tf-seed-hot-shard", "b")]);
    let dir = r.path();
    std::fs::write(dir.join("a/shardlint.toml"), "ignore = [\"SL302\"]\n").unwrap();
    let ab = json_of(&run(dir, &["check", "a", "b", "--format", "json"]));
    let ba = json_of(&run(dir, &["check", "b", "a", "--format", "json"]));
    assert_eq!(ab["findings"], ba["findings"]);
    let all = json_of(&run(dir, &["check", ".", "--format", "json"]));
    assert_eq!(all["findings"], ab["findings"]);
    let found = codes(&all);
    assert!(
        !found.contains(&("SL302".into(), "a/main.tf".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("SL302".into(), "b/main.tf".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("SL101".into(), "a/main.tf".into())),
        "{found:?}"
    );

    // --show-files names the governing config of each file.
    let o = run(dir, &["check", "--show-files", "."]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "a/main.tf  a/shardlint.toml\nb/main.tf  (defaults)\n"
    );
    // --show-settings shows the resolved settings.
    let o = run(dir, &["check", "--show-settings", "a/main.tf"]);
    assert!(
        stdout(&o).contains("ignore = [\"SL302\"]"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("config file: a/shardlint.toml"),
        "{}",
        stdout(&o)
    );
    // --config governs every file.
    let o = json_of(&run(
        dir,
        &[
            "check",
            ".",
            "--config",
            "a/shardlint.toml",
            "--format",
            "json",
        ],
    ));
    assert!(codes(&o).iter().all(|(c, _)| c != "SL302"));
}

#[test]
fn extend_inherits_and_the_nearer_file_wins() {
    let r = repo(&[("tf-seed-hot-shard", "svc/a")]);
    let dir = r.path();
    std::fs::write(
        dir.join("shardlint.toml"),
        "ignore = [\"SL302\"]\nfail-on = \"error\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("svc/a/shardlint.toml"),
        "extend = \"../../shardlint.toml\"\n[severity]\nSL101 = \"info\"\n",
    )
    .unwrap();
    let o = run(dir, &["check", "svc/a", "--format", "json"]);
    let j = json_of(&o);
    let found = codes(&j);
    assert!(found.iter().all(|(c, _)| c != "SL302"), "{found:?}");
    let sl101 = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "SL101")
        .unwrap();
    assert_eq!(sl101["severity"], "info");
    let o = run(dir, &["check", "--show-settings", "svc/a/main.tf"]);
    assert!(
        stdout(&o).contains("# extends: svc/a/../../shardlint.toml"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("fail-on = \"error\""), "{}", stdout(&o));
    // A cycle is an error naming the key.
    std::fs::write(
        dir.join("shardlint.toml"),
        "extend = \"svc/a/shardlint.toml\"\n",
    )
    .unwrap();
    let o = run(dir, &["check", "svc/a"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cycle"),
        "{o:?}"
    );
}

#[test]
fn a_changed_variables_file_reports_the_finding_it_causes() {
    // pre-commit passes only the changed variables.tf; the finding sits on the key in the
    // unchanged main.tf, with the variable default as its related location.
    let dir = Path::new(MANIFEST);
    let o = run(
        dir,
        &[
            "check",
            "--skip-unknown",
            "fixtures/tf-variable-constant/variables.tf",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let j = json_of(&o);
    assert_eq!(
        codes(&j),
        [(
            "SL101".to_string(),
            "fixtures/tf-variable-constant/main.tf".to_string()
        )]
    );
    assert_eq!(
        j["findings"][0]["related"][0]["file"],
        "fixtures/tf-variable-constant/variables.tf"
    );
    // A change to an unrelated file of the module reports nothing of main.tf's.
    let r = repo(&[("tf-variable-constant", ".")]);
    std::fs::write(
        r.path().join("outputs.tf"),
        "output \"x\" {\n  value = 1\n}\n",
    )
    .unwrap();
    let o = run(r.path(), &["check", "--skip-unknown", "outputs.tf"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Nothing of ours among the changed files: nothing to check, and that passes in pre-commit.
    std::fs::write(r.path().join("package.json"), "{\"name\": \"x\"}\n").unwrap();
    let o = run(r.path(), &["check", "--skip-unknown", "package.json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}

#[test]
fn no_file_checked_is_not_a_success() {
    let r = repo(&[]);
    std::fs::write(r.path().join("README.md"), "hello\n").unwrap();
    let o = run(r.path(), &["check", "."]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert!(!stdout(&o).contains("No findings"), "{}", stdout(&o));
    assert!(stdout(&o).contains("Nothing checked"), "{}", stdout(&o));
}

fn output_of(format: &str, cwd: &Path, path: &str) -> String {
    let o = run(cwd, &["check", path, "--format", format]);
    assert_eq!(o.status.code(), Some(1), "{format}: {o:?}");
    stdout(&o)
}

#[test]
fn gitlab_code_quality_matches_the_documented_shape() {
    let manifest = Path::new(MANIFEST);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest.join("vendor/gitlab-codequality.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for fixture in [
        "tf-seed-hot-shard",
        "tf-variable-constant",
        "export-account",
        "bad-input-syntax",
    ] {
        let o = run(
            manifest,
            &[
                "check",
                &format!("fixtures/{fixture}"),
                "--format",
                "gitlab",
            ],
        );
        let doc: Value = serde_json::from_slice(&o.stdout).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{fixture}: {errors:?}");
        let fps: Vec<&str> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        let mut unique = fps.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            fps.len(),
            "{fixture}: fingerprints must be unique"
        );
    }
    let doc: Value =
        serde_json::from_str(&output_of("gitlab", manifest, "fixtures/tf-seed-hot-shard")).unwrap();
    let first = &doc[0];
    assert_eq!(first["check_name"], "SL101");
    assert_eq!(first["severity"], "critical");
    assert_eq!(
        first["location"]["path"],
        "fixtures/tf-seed-hot-shard/main.tf"
    );
    assert_eq!(first["location"]["lines"]["begin"], 19);
    // The schema rejects what GitLab would: an absolute path, an unknown severity.
    let mut bad = doc.clone();
    bad[0]["severity"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = doc;
    bad[0]["location"]["path"] = "/abs/main.tf".into();
    assert!(!validator.is_valid(&bad));
}

/// An element: name, attributes, text.
type Element = (String, Vec<(String, String)>, String);

/// Parses XML into elements in document order; panics on malformed XML.
fn xml_elements(xml: &str) -> Vec<Element> {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let mut reader = Reader::from_str(xml);
    let mut out: Vec<Element> = Vec::new();
    let mut depth = 0i32;
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("malformed XML: {e}\n{xml}"))
        {
            ev @ (Event::Start(_) | Event::Empty(_)) => {
                let (e, opens) = match ev {
                    Event::Start(e) => (e, true),
                    Event::Empty(e) => (e, false),
                    _ => unreachable!(),
                };
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.unescape_value().unwrap().into_owned(),
                        )
                    })
                    .collect();
                out.push((name, attrs, String::new()));
                if opens {
                    depth += 1;
                }
            }
            Event::Text(t) => {
                if let Some(last) = out.last_mut() {
                    last.2.push_str(&t.unescape().unwrap());
                }
            }
            Event::End(_) => depth -= 1,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(depth, 0);
    out
}

fn attr<'a>(e: &'a Element, k: &str) -> Option<&'a str> {
    e.1.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

#[test]
fn junit_matches_the_documented_shape() {
    // The shape Jenkins' junit plugin and GitLab document: testsuites > testsuite > testcase,
    // with failure/error children carrying `message` and `type`, and counts that add up.
    let manifest = Path::new(MANIFEST);
    let xml = output_of("junit", manifest, "fixtures/tf-seed-hot-shard");
    let els = xml_elements(&xml);
    assert_eq!(els[0].0, "testsuites");
    let suites: Vec<_> = els.iter().filter(|e| e.0 == "testsuite").collect();
    let cases: Vec<_> = els.iter().filter(|e| e.0 == "testcase").collect();
    let failures: Vec<_> = els.iter().filter(|e| e.0 == "failure").collect();
    assert_eq!(suites.len(), 1);
    assert_eq!(cases.len(), 3);
    assert_eq!(failures.len(), 3);
    assert_eq!(attr(&els[0], "tests"), Some("3"));
    assert_eq!(attr(&els[0], "failures"), Some("3"));
    assert_eq!(
        attr(suites[0], "name"),
        Some("fixtures/tf-seed-hot-shard/main.tf")
    );
    for c in &cases {
        assert!(
            attr(c, "name").is_some() && attr(c, "classname").is_some(),
            "{c:?}"
        );
    }
    for f in &failures {
        assert!(
            attr(f, "message").is_some() && attr(f, "type").is_some(),
            "{f:?}"
        );
    }
    assert!(
        attr(cases[0], "name")
            .unwrap()
            .starts_with("SL101 constant-partition-key")
    );
    // Help with `<`, `&` and quotes survives escaping.
    assert!(
        failures
            .iter()
            .any(|f| f.2.contains("<SQS queue") && f.2.contains("ARN>")),
        "{xml}"
    );
    // A clean file is a passing test case; an unreadable one an error.
    let xml = {
        let o = run(
            manifest,
            &["check", "fixtures/tf-seed-fixed", "--format", "junit"],
        );
        assert_eq!(o.status.code(), Some(0));
        stdout(&o)
    };
    let els = xml_elements(&xml);
    assert_eq!(attr(&els[0], "failures"), Some("0"));
    assert!(els.iter().filter(|e| e.0 == "testcase").count() >= 1);
    let o = run(
        manifest,
        &["check", "fixtures/bad-input-syntax", "--format", "junit"],
    );
    assert_eq!(o.status.code(), Some(2));
    let els = xml_elements(&stdout(&o));
    assert!(els.iter().any(|e| e.0 == "error"), "{}", stdout(&o));
}

#[test]
fn checkstyle_matches_the_documented_shape() {
    let manifest = Path::new(MANIFEST);
    let xml = output_of("checkstyle", manifest, "fixtures/tf-variable-constant");
    let els = xml_elements(&xml);
    assert_eq!(els[0].0, "checkstyle");
    let files: Vec<_> = els.iter().filter(|e| e.0 == "file").collect();
    let errors: Vec<_> = els.iter().filter(|e| e.0 == "error").collect();
    assert_eq!(files.len(), 1);
    assert_eq!(
        attr(files[0], "name"),
        Some("fixtures/tf-variable-constant/main.tf")
    );
    assert_eq!(errors.len(), 1);
    let e = errors[0];
    for k in ["line", "column"] {
        assert!(attr(e, k).unwrap().parse::<usize>().unwrap() >= 1);
    }
    assert!(["error", "warning", "info", "ignore"].contains(&attr(e, "severity").unwrap()));
    assert_eq!(attr(e, "source"), Some("shardlint.SL101"));
    assert!(
        attr(e, "message").unwrap().contains("variables.tf"),
        "related location named"
    );
}

fn sarif_from(cwd: &Path, path: &str) -> Value {
    let o = run(cwd, &["check", path, "--format", "sarif"]);
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn sarif_is_the_same_from_any_working_directory() {
    let r = repo(&[("tf-variable-constant", "infra/app")]);
    let dir = r.path();
    let from_root = sarif_from(dir, "infra/app");
    let from_sub = sarif_from(&dir.join("infra"), "app");
    let from_app = sarif_from(&dir.join("infra/app"), ".");
    let results = |s: &Value| s["runs"][0]["results"].clone();
    assert_eq!(results(&from_root), results(&from_sub));
    assert_eq!(results(&from_root), results(&from_app));
    let run0 = &from_root["runs"][0];
    let uri = &run0["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(uri["uri"], "infra/app/main.tf");
    assert_eq!(uri["uriBaseId"], "%SRCROOT%");
    let root_uri = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with('/'),
        "{root_uri}"
    );
    assert_eq!(
        from_sub["runs"][0]["originalUriBaseIds"],
        run0["originalUriBaseIds"]
    );
    assert_eq!(run0["automationDetails"]["id"], "shardlint/");
    let driver = &run0["tool"]["driver"];
    assert!(
        driver["fullName"]
            .as_str()
            .unwrap()
            .starts_with("shardlint 0."),
        "{driver}"
    );
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let help_uri = driver["rules"][0]["helpUri"].as_str().unwrap();
    assert!(
        help_uri.contains(&format!("/blob/v{}/rules/", env!("CARGO_PKG_VERSION"))),
        "{help_uri}"
    );
    // Input errors too: their notifications name the file from the repository root.
    let bad = repo(&[("bad-input-syntax", "infra/bad")]);
    let a = sarif_from(bad.path(), "infra/bad");
    let b = sarif_from(&bad.path().join("infra"), "bad");
    assert_eq!(a["runs"][0]["invocations"], b["runs"][0]["invocations"]);
    let text = a["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(text.starts_with("infra/bad/main.tf: "), "{text}");
    // The related location is linked from the message text.
    let result = &run0["results"][0];
    assert!(
        result["message"]["text"].as_str().unwrap().contains("](1)"),
        "{result}"
    );
    assert_eq!(result["relatedLocations"][0]["id"], 1);
}

#[test]
fn sarif_keeps_suppressed_and_baselined_findings_as_suppressions() {
    let manifest = Path::new(MANIFEST);
    let s = sarif_from(manifest, "fixtures/suppress-inline");
    let results = s["runs"][0]["results"].as_array().unwrap();
    let kinds: Vec<&str> = results
        .iter()
        .filter_map(|r| r["suppressions"][0]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"inSource"), "{results:?}");

    let r = repo(&[("tf-seed-hot-shard", ".")]);
    assert_eq!(
        run(r.path(), &["check", ".", "--write-baseline", "bl.json"])
            .status
            .code(),
        Some(0)
    );
    let o = run(
        r.path(),
        &["check", ".", "--baseline", "bl.json", "--format", "sarif"],
    );
    assert_eq!(o.status.code(), Some(0));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    let results = s["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results
            .iter()
            .all(|r| r["suppressions"][0]["kind"] == "external")
    );
    // And it still validates.
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest.join("vendor/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&s).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn exit_zero_statistics_and_quiet() {
    let manifest = Path::new(MANIFEST);
    let o = run(
        manifest,
        &["check", "fixtures/tf-seed-hot-shard", "--exit-zero"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("SL101"));
    // --exit-zero does not hide unreadable input.
    let o = run(
        manifest,
        &["check", "fixtures/bad-input-syntax", "--exit-zero"],
    );
    assert_eq!(o.status.code(), Some(2));

    let o = run(
        manifest,
        &["check", "fixtures/tf-seed-hot-shard", "--statistics"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "     1  SL101  constant-partition-key\n     1  SL301  mapping-value-out-of-range\n     1  SL302  unbounded-retry-without-destination\n"
    );
    let o = run(
        manifest,
        &[
            "check",
            "fixtures/tf-seed-hot-shard",
            "--statistics",
            "--format",
            "json",
        ],
    );
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j[0]["code"], "SL101");
    assert_eq!(j[0]["count"], 1);

    let o = run(manifest, &["check", "fixtures/tf-seed-hot-shard", "-q"]);
    assert!(
        stdout(&o).contains("SL101") && !stdout(&o).contains("Found 3"),
        "{}",
        stdout(&o)
    );
    let o = run(manifest, &["check", "fixtures/tf-seed-hot-shard", "-qq"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let o = run(manifest, &["check", "fixtures/tf-seed-hot-shard", "-v"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("the defaults governs 1 file"),
        "{o:?}"
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let manifest = Path::new(MANIFEST);
    let esc = |o: &Output| o.stdout.contains(&0x1b);
    let o = run(
        manifest,
        &["check", "fixtures/tf-seed-hot-shard", "--color", "always"],
    );
    assert!(esc(&o));
    let o = run(manifest, &["check", "fixtures/tf-seed-hot-shard"]);
    assert!(!esc(&o), "not a terminal: no colour");
    let o = shardlint(manifest)
        .env("FORCE_COLOR", "1")
        .args(["check", "fixtures/tf-seed-hot-shard"])
        .output()
        .unwrap();
    assert!(esc(&o));
    let o = shardlint(manifest)
        .env("FORCE_COLOR", "1")
        .env("NO_COLOR", "1")
        .args(["check", "fixtures/tf-seed-hot-shard"])
        .output()
        .unwrap();
    assert!(!esc(&o), "NO_COLOR wins over FORCE_COLOR");
    let o = shardlint(manifest)
        .env("NO_COLOR", "1")
        .args(["check", "fixtures/tf-seed-hot-shard", "--color", "always"])
        .output()
        .unwrap();
    assert!(esc(&o), "the flag wins over the environment");
}

#[test]
fn output_and_help_wrap_to_the_width() {
    let manifest = Path::new(MANIFEST);
    for args in [
        &["check", "fixtures/export-account"][..],
        &["check", "-h"][..],
        &["--help"][..],
    ] {
        let o = shardlint(manifest)
            .env("COLUMNS", "60")
            .args(args)
            .output()
            .unwrap();
        let text = stdout(&o);
        assert!(!text.is_empty());
        for line in text
            .lines()
            .filter(|l| !l.contains("http") && !l.contains('│') && !l.contains('·'))
        {
            // A word longer than the width may stand alone; nothing else passes the edge.
            if line.chars().count() > 60 {
                assert!(
                    !line.trim().contains(' '),
                    "{args:?}: wider than 60: {line:?}"
                );
            }
        }
    }
}

#[test]
fn stdin_takes_its_format_and_config_from_the_given_name() {
    let r = repo(&[("tf-seed-hot-shard", "a")]);
    std::fs::write(r.path().join("a/shardlint.toml"), "ignore = [\"SL302\"]\n").unwrap();
    let text = std::fs::read_to_string(r.path().join("a/main.tf")).unwrap();
    let o = shardlint(r.path())
        .args([
            "check",
            "-",
            "--stdin-filename",
            "a/main.tf",
            "--format",
            "json",
        ])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let j = json_of(&o);
    let found = codes(&j);
    assert!(
        found.contains(&("SL101".into(), "a/main.tf".into())),
        "{found:?}"
    );
    assert!(
        found.iter().all(|(c, _)| c != "SL302"),
        "a/shardlint.toml applies: {found:?}"
    );
    let o = shardlint(r.path())
        .args(["check", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--stdin-filename"));
}

#[test]
fn completions_man_page_and_version() {
    let manifest = Path::new(MANIFEST);
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef shardlint"),
        ("fish", "complete -c shardlint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(manifest, &["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("write-baseline"),
            "{shell}: check's flags are completed"
        );
    }
    let o = run(manifest, &["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH shardlint"),
        "{}",
        stdout(&o)
    );
    let dir = tempfile::tempdir().unwrap();
    let o = run(manifest, &["man", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let check_page = std::fs::read_to_string(dir.path().join("shardlint-check.1")).unwrap();
    assert!(check_page.contains("baseline"), "{check_page}");

    let o = run(manifest, &["--version"]);
    let v = stdout(&o);
    assert!(
        v.starts_with(&format!("shardlint {} (", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains("features: "), "{v}");
    assert!(v.contains("\nmd5: "), "{v}");
}

#[test]
fn config_schema_is_current_and_describes_the_parser() {
    let manifest = Path::new(MANIFEST);
    let o = run(manifest, &["config-schema"]);
    assert_eq!(o.status.code(), Some(0));
    let generated = stdout(&o);
    let committed = std::fs::read_to_string(manifest.join("shardlint.schema.json")).unwrap();
    assert_eq!(
        committed, generated,
        "shardlint.schema.json is stale: `cargo run -- config-schema > shardlint.schema.json`"
    );
    let schema: Value = serde_json::from_str(&generated).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut tomls: Vec<PathBuf> = Vec::new();
    for e in std::fs::read_dir(manifest.join("fixtures")).unwrap() {
        let p = e.unwrap().path().join("shardlint.toml");
        if p.is_file() {
            tomls.push(p);
        }
    }
    assert!(tomls.len() >= 5, "{tomls:?}");
    for p in &tomls {
        let text = std::fs::read_to_string(p).unwrap();
        let value: Value = toml::from_str::<toml::Value>(&text)
            .map(|v| serde_json::to_value(v).unwrap())
            .unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
        // The parser agrees.
        shardlint::config_file::parse(p, &text).unwrap();
    }
    // Every key the parser knows is in the schema, and an unknown one is rejected by both.
    let full = "extend = \"x.toml\"\nbaseline = \"b.json\"\nselect = [\"SL1\"]\nignore = [\"SL104\"]\nfail-on = \"error\"\n[severity]\nSL303 = \"error\"\n[thresholds]\nkeyspace-skew-ratio = 2.0\nhot-shard-share = 0.6\nhot-key-share = 0.3\nmax-standard-consumers = 3\n[parallelization]\ngroup-model = \"hash-mod\"\n[streams.\"s\"]\nrecords-per-second = 8000\nbytes-per-second = 4000000\n";
    let value = serde_json::to_value(toml::from_str::<toml::Value>(full).unwrap()).unwrap();
    assert!(
        validator.is_valid(&value),
        "{:?}",
        validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
    );
    for bad in [
        "fail_on = \"error\"\n",
        "[thresholds]\nhot-shard = 0.5\n",
        "[streams.s]\nrecords = 1\n",
        "fail-on = \"fatal\"\n",
    ] {
        let value = serde_json::to_value(toml::from_str::<toml::Value>(bad).unwrap()).unwrap();
        assert!(!validator.is_valid(&value), "schema accepts {bad:?}");
        assert!(
            shardlint::config_file::parse(Path::new("shardlint.toml"), bad).is_err(),
            "parser accepts {bad:?}"
        );
    }
}
