//! Every loader on damaged input: truncated fixtures, binary noise, deep nesting. A loader may
//! return `Ok(None)` or an input error, never panic. Also prints which loader claims each corpus file.

use std::path::{Path, PathBuf};

use shardlint::load::{aws_cli, cloudformation, plan};
use shardlint::source::SourceDb;

fn all_loaders(name: &str, text: String) {
    let mut db = SourceDb::default();
    let id = db.add(PathBuf::from(name), text);
    let _ = cloudformation::load(&db, id);
    let _ = aws_cli::load(&db, id);
    let _ = plan::load(&db, id);
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn truncated_fixtures_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for p in files_under(&root) {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let mut cut = 0;
        while cut < text.len() {
            if text.is_char_boundary(cut) {
                all_loaders(&name, text[..cut].to_string());
            }
            cut += 53;
        }
    }
}

#[test]
fn noise_and_nesting_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for n in 0..200 {
        let mut s = String::new();
        for _ in 0..(n * 7) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push(char::from_u32((seed % 0x250) as u32).unwrap_or('x'));
        }
        all_loaders("noise.json", format!("{{{s}"));
        all_loaders("noise.yaml", s);
    }
    all_loaders("deep.json", format!("{{\"Shards\": {}", "[".repeat(50_000)));
    all_loaders("deep.yaml", format!("Resources: {}", "[".repeat(50_000)));
    let mut block = String::from("AWSTemplateFormatVersion: x\n");
    for i in 0..5_000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    all_loaders("deep.yaml", block);
    all_loaders("dash.yaml", format!("Resources: [{}]", "-, ".repeat(5_000)));
    all_loaders("empty.json", String::new());
    all_loaders("nul.yaml", "\u{0}".repeat(64));
}

#[test]
fn corpus_claims() {
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
        return;
    }
    for p in files_under(&root) {
        let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !matches!(ext, "json" | "yaml" | "yml") {
            continue;
        }
        let mut db = SourceDb::default();
        let id = db.add(p.clone(), std::fs::read_to_string(&p).unwrap());
        let tag =
            |r: Result<Option<shardlint::model::Model>, shardlint::diagnostic::InputError>| match r
            {
                Ok(Some(_)) => "yes",
                Ok(None) => "-",
                Err(_) => "ERR",
            };
        let c = tag(cloudformation::load(&db, id));
        let a = tag(aws_cli::load(&db, id));
        let pl = tag(plan::load(&db, id));
        assert!(c != "ERR" && a != "ERR" && pl != "ERR", "{}", p.display());
        eprintln!(
            "cfn={c:3} export={a:3} plan={pl:3} {}",
            p.strip_prefix(&root).unwrap().display()
        );
    }
}
