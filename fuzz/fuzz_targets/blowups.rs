//! Structured blow-ups that random mutation rarely reaches: the input's first bytes choose a
//! generator (chained or doubling locals, reference cycles, YAML aliases, long template sums,
//! deep nesting, long sample lines) and its size; the result is checked like a real file.
//! Sizes stay within what one execution can afford; `scripts/blowups.sh` runs the full ones.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (Some(&which), Some(&size)) = (data.first(), data.get(1)) else {
        return;
    };
    let n = 1 + size as usize * 40; // up to ~10,000
    let seed_text = String::from_utf8_lossy(&data[2..]);
    let (name, text) = match which % 8 {
        0 => ("main.tf", chain(n, false)),
        1 => ("main.tf", chain(n, true)),
        2 => ("main.tf", doubling(n.min(64))),
        3 => ("template.yaml", aliases(n)),
        4 => (
            "main.tf",
            key(&format!("$${{{}}}", vec!["vin"; n].join("+"))),
        ),
        5 => (
            "main.tf",
            key(&format!(
                "$${{{}vin{}}}",
                "concat(".repeat(n),
                ")".repeat(n)
            )),
        ),
        6 => (
            "template.yaml",
            format!("a:\n{}", "  ".repeat(n.min(2000)) + "- x\n"),
        ),
        _ => (
            "main.tf",
            key(&format!("{}{}", seed_text, "x".repeat(n * 100))),
        ),
    };
    let report = shardlint_fuzz::check_one(name, text.as_bytes());
    shardlint_fuzz::render_all(&report);
});

fn chain(n: usize, cycle: bool) -> String {
    let mut s = String::from("locals {\n");
    if cycle {
        s.push_str(&format!("  a0 = local.a{}\n", n - 1));
    } else {
        s.push_str("  a0 = \"k\"\n");
    }
    for i in 1..n {
        s.push_str(&format!("  a{i} = local.a{}\n", i - 1));
    }
    s.push_str("}\n");
    s + &key(&format!("${{local.a{}}}", n - 1))
}

fn doubling(n: usize) -> String {
    let mut s = String::from("locals {\n  a0 = \"vv\"\n");
    for i in 1..n {
        let p = i - 1;
        if i % 2 == 0 {
            s.push_str(&format!("  a{i} = \"${{local.a{p}}}${{local.a{p}}}\"\n"));
        } else {
            s.push_str(&format!(
                "  a{i} = replace(local.a{p}, \"v\", local.a{p})\n"
            ));
        }
    }
    s.push_str("}\n");
    s + &key(&format!("${{local.a{}}}", n - 1))
}

fn aliases(n: usize) -> String {
    let mut s = format!(
        "AWSTemplateFormatVersion: \"2010-09-09\"\nMetadata:\n  Big: &big \"{}\"\n  L0: &l0 [*big, *big]\n",
        "x".repeat(10_000)
    );
    for i in 1..(n % 40) {
        s.push_str(&format!("  L{i}: &l{i} [*l{p}, *l{p}, *l{p}]\n", p = i - 1));
    }
    s.push_str("  List:\n");
    for _ in 0..n {
        s.push_str("    - *big\n");
    }
    s + "Resources: {}\n"
}

fn key(k: &str) -> String {
    format!(
        "resource \"aws_iot_topic_rule\" \"r\" {{\n  name = \"r\"\n  enabled = true\n  sql = \"SELECT * FROM 'a/b'\"\n  sql_version = \"2016-03-23\"\n  kinesis {{\n    stream_name = \"s\"\n    partition_key = \"{}\"\n    role_arn = \"arn\"\n  }}\n}}\n",
        k.replace('\\', "\\\\").replace('"', "\\\"")
    )
}
