//! The import graph of `src/`: no module cycle, and each top-level module uses only modules of
//! lower layers (the table below). Reads every `use crate::…`/`use super::…` tree and every
//! inline `crate::…`/`super::…` path outside comments and `#[cfg(test)]` code, resolves it to the
//! longest module path that exists, and checks the edges. A module's root (`mod.rs`) may use its
//! own children (it declares and re-exports them); a child using its root is an ordinary edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, lowest first; a module may use modules of lower layers only.
/// A new module goes in the lowest layer above everything it uses.
const LAYERS: &[&[&str]] = &[
    // Plain utilities: sources and spans, number formatting, the PRNG, version strings.
    &["source", "numbers", "random", "version", "json_scan"],
    // The IoT substitution-template language (parser, evaluator), which knows nothing of AWS
    // resources; the format-free model of streams, producers and consumers; findings and input
    // errors; the records spinner (its numbers are `numbers`').
    &["template", "model", "diagnostic", "progress"],
    // Key → shard placement; cross-file linking; baselines; fix edits.
    &["keyspace", "link", "baseline", "fix"],
    // Ordering groups; the records layer; static analyses; MD5 in SIMD lanes (to placement
    // hashes).
    &["ordering", "records", "analysis", "md5_lanes"],
    // The resolved config of one file; loaders, the distribution engine, the consumer simulator,
    // observed CloudWatch metrics.
    &["config", "load", "distribution", "simulate", "observed"],
    // The account export (writes what `load` reads), the project step (load → link → analyse)
    // and the sample-driven analyses; the archive query writer (`sql`, above the peaks' windows).
    &["export", "project", "samples", "sql"],
    // Rules read the model and analyses, and push findings.
    &["rules"],
    // `shardlint.toml` resolution (validates rule names), suppressions.
    &["config_file", "suppress"],
    // View models: what the reports show, with the configured thresholds applied.
    &["view"],
    // Output: renderers, and the language server.
    &["render", "server"],
    // The command line: clap types, settings resolution, commands.
    &["cli"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Module path (`a::b`) of each file under `src/`; `lib.rs` is the root `""`.
fn modules(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let mut out = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|l| l == "mod") {
            parts.pop();
        }
        // `main.rs` is the binary, a crate of its own that uses the library by name.
        if parts == ["main"] {
            continue;
        }
        if parts == ["lib"] {
            parts.clear();
        }
        // Test-only files (`#[cfg(test)] mod tests;`) are not part of the build's graph.
        if parts.last().is_some_and(|l| l == "tests") {
            continue;
        }
        out.insert(parts.join("::"), f);
    }
    out
}

/// The end (exclusive) of the item starting at `from`: after its `;` or its balanced `{…}`,
/// skipping string, raw string and char literals and comments, whose braces do not count.
fn item_end(text: &str, from: usize) -> usize {
    let b = text.as_bytes();
    let (mut i, mut depth) = (from, 0usize);
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'r' if matches!(b.get(i + 1), Some(b'#') | Some(b'"'))
                && (i == 0 || !is_ident(b[i - 1] as char)) =>
            {
                let hashes = text[i + 1..].bytes().take_while(|&c| c == b'#').count();
                if b.get(i + 1 + hashes) == Some(&b'"') {
                    let close = format!("\"{}", "#".repeat(hashes));
                    let body = i + 2 + hashes;
                    i = text[body..]
                        .find(&close)
                        .map_or(b.len(), |n| body + n + close.len());
                    continue;
                }
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            // A char literal (`'{'`, `'\''`), not a lifetime (`'a`).
            b'\'' if b.get(i + 2) == Some(&b'\'') => i += 2,
            b'\'' if b.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b';' if depth == 0 => return i + 1,
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The code of a file without comments and without `#[cfg(test)]` items (test modules and
/// test-only helpers are not part of the build's graph).
fn code(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        kept.push_str(&rest[..i]);
        let after = i + "#[cfg(test)]".len();
        rest = &rest[item_end(rest, after)..];
    }
    kept.push_str(rest);
    let mut out = String::new();
    for line in kept.lines() {
        let t = line.trim_start();
        if t.starts_with("//") {
            continue;
        }
        // A trailing comment; `://` is a URL in a string, not a comment.
        let cut = line
            .match_indices("//")
            .find(|(i, _)| *i == 0 || line.as_bytes()[i - 1] != b':')
            .map_or(line.len(), |(i, _)| i);
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Paths named by a `use` tree (`a::{b, c::d}` → `a::b`, `a::c::d`) under `prefix`.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{') {
        let inner = &inner[..inner.rfind('}').unwrap_or(inner.len())];
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(prefix, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        if !inner[start..].trim().is_empty() {
            expand(prefix, &inner[start..], out);
        }
        return;
    }
    let name: String = tree.chars().take_while(|&c| is_ident(c)).collect();
    if name.is_empty() || name == "self" {
        out.push(prefix.to_vec());
        return;
    }
    let mut p = prefix.to_vec();
    p.push(name.clone());
    match tree[name.len()..].trim_start().strip_prefix("::") {
        Some(rest) => expand(&p, rest, out),
        None => out.push(p),
    }
}

/// Every module path `module` refers to (unresolved).
fn references(module: &str, code: &str) -> Vec<Vec<String>> {
    let me: Vec<String> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").map(String::from).collect()
    };
    let parent = me[..me.len().saturating_sub(1)].to_vec();
    let base = |kw: &str| match kw {
        "crate" => Some(Vec::new()),
        "super" => Some(parent.clone()),
        "self" => Some(me.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    // `use` trees, which may span lines.
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().next_back();
        let after = &rest[i + 4..];
        rest = after;
        if before.is_some_and(is_ident) {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        let stmt = after[..end].trim();
        for kw in ["crate", "super", "self"] {
            if let Some(tree) = stmt.strip_prefix(kw).and_then(|t| t.strip_prefix("::")) {
                expand(&base(kw).unwrap(), tree, &mut out);
            }
        }
    }
    // Inline paths: `crate::a::b(...)`, `super::c::D`.
    for kw in ["crate", "super"] {
        for (i, _) in code.match_indices(kw) {
            let before = code[..i].chars().next_back();
            if before.is_some_and(|c| is_ident(c) || c == ':') {
                continue;
            }
            let mut p = base(kw).unwrap();
            let named = p.len();
            let mut tail = &code[i + kw.len()..];
            while let Some(t) = tail.strip_prefix("::") {
                let name: String = t.chars().take_while(|&c| is_ident(c)).collect();
                if name.is_empty() {
                    break;
                }
                tail = &t[name.len()..];
                p.push(name);
            }
            // `crate::{…}` alone is a `use` tree, read above.
            if p.len() > named {
                out.push(p);
            }
        }
    }
    out
}

/// Module → modules it uses (resolved to the longest existing module path).
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mods = modules(src);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, file) in &mods {
        let text = std::fs::read_to_string(file).unwrap();
        let set = edges.entry(module.clone()).or_default();
        for mut path in references(module, &code(&text)) {
            while !path.is_empty() && !mods.contains_key(&path.join("::")) {
                path.pop();
            }
            let target = path.join("::");
            let own_child = module.is_empty() || target.starts_with(&format!("{module}::"));
            if !target.is_empty() && &target != module && !own_child {
                set.insert(target);
            }
        }
    }
    edges
}

/// A cycle through `start`, if any (depth-first, the path as found).
fn cycle_from(start: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn dfs(
        at: &str,
        start: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in edges.get(at).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if dfs(next, start, edges, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_string()];
    let mut seen = BTreeSet::new();
    dfs(start, start, edges, &mut path, &mut seen).then(|| {
        path.push(start.to_string());
        path
    })
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_module_cycle() {
    let edges = graph(&src());
    let cycles: BTreeSet<String> = edges
        .keys()
        .filter_map(|m| cycle_from(m, &edges))
        .map(|c| c.join(" → "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles among src/ modules:\n{}",
        cycles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn each_layer_uses_only_lower_layers() {
    let edges = graph(&src());
    let top = |m: &str| m.split("::").next().unwrap_or("").to_string();
    let mut problems = Vec::new();
    for (from, tos) in &edges {
        if from.is_empty() {
            continue;
        }
        let Some(lf) = layer_of(&top(from)) else {
            problems.push(format!(
                "`{}` is in no layer of tests/layers.rs: add it to LAYERS",
                top(from)
            ));
            continue;
        };
        for to in tos {
            if top(to) == top(from) {
                continue;
            }
            match layer_of(&top(to)) {
                Some(lt) if lt < lf => {}
                Some(_) => problems.push(format!(
                    "`{from}` (layer {lf}) uses `{to}` (layer {}): a layer uses only lower ones",
                    layer_of(&top(to)).unwrap()
                )),
                None => problems.push(format!("`{to}` is in no layer: add it to LAYERS")),
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn clap_only_in_the_command_line_layer() {
    let mods = modules(&src());
    let outside: Vec<String> = mods
        .iter()
        .filter(|(m, _)| *m != "cli" && !m.starts_with("cli::"))
        .filter(|(_, f)| {
            let text = std::fs::read_to_string(f).unwrap();
            code(&text).contains("clap")
        })
        .map(|(m, _)| m.clone())
        .collect();
    assert!(
        outside.is_empty(),
        "clap outside src/cli/ and src/main.rs: {outside:?}"
    );
}

#[test]
fn the_reader_sees_uses_and_inline_paths() {
    let uses = code(
        "use crate::{a::{b, c::D}, e};\nuse super::f::G;\n// crate::commented\nfn x() { crate::h::i(); }\n",
    );
    let refs: BTreeSet<String> = references("m::n", &uses)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    let want: BTreeSet<String> = ["a::b", "a::c::D", "e", "m::f::G", "h::i"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(refs, want);
    // Test items are cut with their braces, even braces in literals; code after them is read.
    let text = code(
        "#[cfg(test)]\nmod tests { fn t() { let _ = ('{', \"}\", r#\"{\"#); crate::x::y(); } }\nfn z() { crate::after::w(); }\n#[cfg(test)]\nmod more;\nuse crate::last;\n",
    );
    let refs: BTreeSet<String> = references("m", &text)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    assert_eq!(
        refs,
        BTreeSet::from(["after::w".to_string(), "last".to_string()])
    );
    let cyclic: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        cycle_from("a", &cyclic),
        Some(vec!["a".into(), "b".into(), "a".into()])
    );
}
