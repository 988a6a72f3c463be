//! `shardlint server` driven as an editor drives it: JSON-RPC over stdio with `Content-Length`
//! framing. initialize, didOpen of the seed, codeAction and hover on its SL101, didChange with a
//! half-typed (broken) text and then a fixed one, shutdown and exit.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shardlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if out.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; len.unwrap()];
                out.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server { child, stdin, rx }
    }
    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }
    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == json!(id))["result"].clone()
    }
    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }
    /// The next message matching `want` (a generous bound only so that a broken server fails
    /// the test instead of hanging it).
    fn wait(&mut self, want: impl Fn(&Value) -> bool) -> Value {
        loop {
            let m = self
                .rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answered");
            if want(&m) {
                return m;
            }
        }
    }
    fn diagnostics(&mut self) -> Vec<Value> {
        self.wait(|m| m["method"] == "textDocument/publishDiagnostics")["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .clone()
    }
}

fn codes(diags: &[Value]) -> Vec<String> {
    let mut c: Vec<String> = diags
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

#[test]
fn server_publishes_fixes_and_docs_and_survives_a_half_typed_file() {
    let dir = tempfile::tempdir().unwrap();
    let seed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tf-seed-hot-shard/main.tf"),
    )
    .unwrap();
    let path = dir.path().join("main.tf");
    std::fs::write(&path, &seed).unwrap();
    let uri = format!("file://{}", path.display());

    let mut s = Server::start();
    let init = s.request(
        1,
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], json!(true));
    s.notify("initialized", json!({}));
    s.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "terraform", "version": 1, "text": seed}}),
    );
    let diags = s.diagnostics();
    assert_eq!(codes(&diags), ["SL101", "SL301", "SL302"]);
    let sl101 = diags.iter().find(|d| d["code"] == "SL101").unwrap().clone();
    // 19:21 in the CLI's 1-based terms.
    assert_eq!(
        sl101["range"]["start"],
        json!({"line": 18, "character": 20})
    );
    assert_eq!(sl101["range"]["end"], json!({"line": 18, "character": 25}));

    let actions = s.request(
        2,
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": sl101["range"], "context": {"diagnostics": [sl101]}}),
    );
    let actions = actions.as_array().unwrap();
    let edit_of = |a: &Value| a["edit"]["changes"][&uri][0].clone();
    let field = actions
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Key by the payload field `vin`")
        })
        .expect("the field template fix");
    assert_eq!(field["kind"], "quickfix");
    assert_eq!(edit_of(field)["newText"], "\"$${vin}\"");
    assert_eq!(edit_of(field)["range"], sl101["range"]);
    let suppress = actions
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Suppress SL101"))
        .expect("suppress with reason");
    assert_eq!(
        edit_of(suppress)["newText"],
        "    # shardlint:ignore SL101 -- <reason>\n"
    );
    assert_eq!(
        edit_of(suppress)["range"]["start"],
        json!({"line": 18, "character": 0})
    );

    let hover = s.request(
        3,
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 18, "character": 22}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .starts_with("# SL101 constant-partition-key"),
        "{hover}"
    );

    // Half-typed: the block is not closed. A located input error, and the server lives on.
    let cut = seed.find("  kinesis {").unwrap();
    let broken = format!("{}  kinesis {{\n    partition_key = \"", &seed[..cut]);
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let diags = s.diagnostics();
    assert_eq!(codes(&diags), ["SL001"], "{diags:?}");
    assert!(diags[0]["range"]["start"]["line"].as_u64().unwrap() >= 16);

    let fixed = seed
        .replace("partition_key = \"vin\"", "partition_key = \"$${vin}\"")
        .replace("= 100000 #", "= 10000 #");
    s.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(codes(&s.diagnostics()), ["SL302"]);

    let r = s.request(4, "shutdown", json!(null));
    assert_eq!(r, Value::Null);
    s.notify("exit", json!(null));
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
