//! Keystroke bench for `shardlint server`: a generated 5,000-line Terraform file is opened, then
//! edited one character at a time (200 `didChange` notifications, each waiting for its
//! diagnostics). Prints the round-trip per keystroke (median, p95, max). A bench, not a test:
//! `cargo bench --bench lsp_keystroke` (release build).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// ~5,000 lines: streams, IoT rules with a bare-word key, mappings, functions.
fn terraform(lines: usize) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.lines().count() < lines {
        s.push_str(&format!(
            "resource \"aws_kinesis_stream\" \"s{i}\" {{\n  name        = \"s{i}\"\n  shard_count = 4\n}}\n\nresource \"aws_iot_topic_rule\" \"r{i}\" {{\n  name        = \"r{i}\"\n  enabled     = true\n  sql         = \"SELECT * FROM 'v/{i}/+'\"\n  sql_version = \"2016-03-23\"\n\n  kinesis {{\n    stream_name   = aws_kinesis_stream.s{i}.name\n    partition_key = \"vin\"\n    role_arn      = \"arn:aws:iam::123456789012:role/r\"\n  }}\n}}\n\nresource \"aws_lambda_event_source_mapping\" \"m{i}\" {{\n  event_source_arn  = aws_kinesis_stream.s{i}.arn\n  function_name     = \"f{i}\"\n  starting_position = \"LATEST\"\n  batch_size        = 100\n}}\n\n"
        ));
        i += 1;
    }
    s
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("main.tf");
    let mut text = terraform(5_000);
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardlint"))
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut send = |v: Value| {
        let b = v.to_string();
        write!(stdin, "Content-Length: {}\r\n\r\n{b}", b.len()).unwrap();
        stdin.flush().unwrap();
    };
    let mut recv = move || -> Value {
        let mut len = 0;
        loop {
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        out.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    };
    send(
        json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{}}}),
    );
    while recv()["id"] != json!(1) {}
    send(json!({"jsonrpc":"2.0","method":"initialized","params":{}}));
    let t = Instant::now();
    send(
        json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":"terraform","version":1,"text":text}}}),
    );
    let first = loop {
        let m = recv();
        if m["method"] == "textDocument/publishDiagnostics" {
            break m["params"]["diagnostics"].as_array().unwrap().len();
        }
    };
    println!(
        "open: {} lines, {} diagnostics in {:.1} ms",
        text.lines().count(),
        first,
        t.elapsed().as_secs_f64() * 1e3
    );
    // Type a comment at the end of the file, one character per change.
    let typed =
        "# shardlint keystroke bench: typing a comment one key at a time, two hundred keys..";
    let mut times: Vec<Duration> = Vec::new();
    for k in 0..200 {
        text.push(typed.as_bytes()[k % typed.len()] as char);
        let t = Instant::now();
        send(
            json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":k + 2},"contentChanges":[{"text":text}]}}),
        );
        loop {
            if recv()["method"] == "textDocument/publishDiagnostics" {
                break;
            }
        }
        times.push(t.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "200 keystrokes: round-trip median {:.1} ms, p95 {:.1} ms, max {:.1} ms (target: each under 50 ms)",
        ms(times[100]),
        ms(times[189]),
        ms(times[199])
    );
    send(json!({"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}));
    send(json!({"jsonrpc":"2.0","method":"exit","params":null}));
    let _ = child.wait();
}
