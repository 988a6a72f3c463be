//! Application code that writes to Kinesis (Python boto3, JavaScript/TypeScript AWS SDK v2/v3,
//! Java SDK v1/v2 and KPL, Go SDK v2), parsed with tree-sitter into [`Producer`]s. Only files
//! that mention Kinesis are parsed (a byte search first), so a large tree stays fast. Each
//! language's file finds the calls and lowers key and stream expressions into a small
//! language-neutral [`Ex`]; [`classify`] turns that into a key class, the same for every
//! language. Sits beside the IaC loaders; rules see only the producers.

mod go;
mod java;
mod javascript;
mod python;

use std::collections::HashMap;

use tree_sitter::{Node, Parser};

use crate::model::{KeyExpr, Origin, Producer, ProducerKind, Related, SourceKind, Val};
use crate::source::{FileId, SourceDb, Span};

/// The languages read, by file extension.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
    TypeScript,
    Tsx,
    Java,
    Go,
}

/// The language of a source file by its name, if it is one we read.
pub fn lang_of(name: &str) -> Option<Lang> {
    let ext = name.rsplit_once('.')?.1;
    Some(match ext {
        "py" => Lang::Python,
        "js" | "mjs" | "cjs" | "jsx" => Lang::JavaScript,
        "ts" | "mts" | "cts" => Lang::TypeScript,
        "tsx" => Lang::Tsx,
        "java" => Lang::Java,
        "go" => Lang::Go,
        _ => return None,
    })
}

/// The quick test before parsing: does the file mention Kinesis at all (`kinesis`, `Kinesis`,
/// `KINESIS`, or the KPL's `addUserRecord`)?
pub fn mentions_kinesis(bytes: &[u8]) -> bool {
    bytes
        .windows(6)
        .enumerate()
        .any(|(i, w)| w.eq_ignore_ascii_case(b"inesis") && i > 0 && bytes[i - 1] | 0x20 == b'k')
}

/// Deepest expression nesting lowered; deeper parts are `Other`.
const MAX_DEPTH: usize = 48;

/// A key or stream expression, independent of the language.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ex {
    Str(String),
    Int(i64),
    /// A plain name (variable, constant, parameter).
    Name(String),
    /// A call: the callee as written (`random.randint`, `UUID.randomUUID`) and its arguments.
    Call(String, Vec<Ex>),
    /// `x % n`.
    Mod(Box<Ex>, Box<Ex>),
    /// A list literal.
    List(Vec<Ex>),
    /// String concatenation or interpolation (f-string, template string, `+`).
    Concat(Vec<Ex>),
    /// A field, index or anything else read from data: varies with the record.
    Data(String),
    Other(String),
}

/// What one language's extractor found: a call writing records, with its key and stream.
pub(crate) struct Found<'t> {
    /// `put_record`, `PutRecordCommand`, `partitionKey`, `addUserRecord`...
    pub call: String,
    pub call_node: Node<'t>,
    pub key: Option<Node<'t>>,
    pub stream: Option<Node<'t>>,
}

/// Names bound exactly once to a literal in the file (module constants, `final` fields,
/// `const`): `name -> (literal, span of the literal)`. A name bound twice is not constant.
pub(crate) struct Bindings {
    map: HashMap<String, Option<(String, Span)>>,
}

impl Bindings {
    fn new() -> Self {
        Bindings {
            map: HashMap::new(),
        }
    }
    pub(crate) fn bind(&mut self, name: &str, literal: Option<(String, Span)>) {
        self.map
            .entry(name.to_string())
            .and_modify(|v| *v = None)
            .or_insert(literal);
    }
    fn get(&self, name: &str) -> Option<&(String, Span)> {
        self.map.get(name).and_then(|v| v.as_ref())
    }
}

/// Shared lowering context.
pub(crate) struct Lower<'a> {
    pub text: &'a str,
    pub file: FileId,
}

impl Lower<'_> {
    pub(crate) fn text(&self, n: Node) -> &str {
        n.utf8_text(self.text.as_bytes()).unwrap_or("")
    }
    pub(crate) fn span(&self, n: Node) -> Span {
        Span::new(self.file, n.start_byte(), n.end_byte())
    }
    /// The content of a string literal node (quotes and prefixes removed), or `None` when it
    /// interpolates.
    pub(crate) fn string_value(&self, n: Node) -> Option<String> {
        let mut out = String::new();
        let mut c = n.walk();
        for ch in n.named_children(&mut c) {
            match ch.kind() {
                "string_content"
                | "string_fragment"
                | "interpreted_string_literal_content"
                | "raw_string_literal_content"
                | "multiline_string_fragment" => out.push_str(self.text(ch)),
                "escape_sequence" => out.push_str(&unescape(self.text(ch))),
                "string_start" | "string_end" => {}
                _ => return None,
            }
        }
        if n.kind() == "raw_string_literal" && out.is_empty() {
            return Some(self.text(n).trim_matches('`').to_string());
        }
        Some(out)
    }

    /// Lowers an expression of any of the grammars (their node kinds are named alike).
    pub(crate) fn lower(&self, n: Node, depth: usize) -> Ex {
        if depth > MAX_DEPTH {
            return Ex::Other(self.text(n).to_string());
        }
        let d = depth + 1;
        let field = |f: &str| n.child_by_field_name(f);
        match n.kind() {
            "string"
            | "string_literal"
            | "interpreted_string_literal"
            | "raw_string_literal"
            | "template_string" => match self.string_value(n) {
                Some(s) => Ex::Str(s),
                None => {
                    let mut parts = Vec::new();
                    let mut c = n.walk();
                    for ch in n.named_children(&mut c) {
                        match ch.kind() {
                            "string_content" | "string_fragment" => {
                                parts.push(Ex::Str(self.text(ch).to_string()))
                            }
                            "interpolation" | "template_substitution" | "string_interpolation" => {
                                match ch.named_child(0) {
                                    Some(e) => parts.push(self.lower(e, d)),
                                    None => parts.push(Ex::Other(self.text(ch).to_string())),
                                }
                            }
                            _ => {}
                        }
                    }
                    Ex::Concat(parts)
                }
            },
            "concatenated_string" => {
                let mut c = n.walk();
                Ex::Concat(n.named_children(&mut c).map(|s| self.lower(s, d)).collect())
            }
            "integer" | "number" | "decimal_integer_literal" | "int_literal" => {
                match self.text(n).replace('_', "").parse() {
                    Ok(i) => Ex::Int(i),
                    Err(_) => Ex::Other(self.text(n).to_string()),
                }
            }
            "identifier" | "shorthand_property_identifier" => Ex::Name(self.text(n).to_string()),
            "parenthesized_expression" => match n.named_child(0) {
                Some(e) => self.lower(e, d),
                None => Ex::Other(String::new()),
            },
            "call"
            | "call_expression"
            | "method_invocation"
            | "new_expression"
            | "object_creation_expression" => {
                let callee = match n.kind() {
                    "method_invocation" => {
                        let name = field("name").map(|x| self.text(x)).unwrap_or("");
                        match field("object") {
                            Some(o) => format!("{}.{name}", self.text(o)),
                            None => name.to_string(),
                        }
                    }
                    "new_expression" => field("constructor")
                        .map(|x| self.text(x).to_string())
                        .unwrap_or_default(),
                    "object_creation_expression" => field("type")
                        .map(|x| self.text(x).to_string())
                        .unwrap_or_default(),
                    _ => field("function")
                        .map(|x| self.text(x).to_string())
                        .unwrap_or_default(),
                };
                let mut args = Vec::new();
                if let Some(a) = field("arguments") {
                    let mut c = a.walk();
                    for arg in a.named_children(&mut c) {
                        if arg.kind() == "comment" {
                            continue;
                        }
                        args.push(self.lower(arg, d));
                    }
                }
                // `uuid.New().String()`, `x.toString()`: a conversion without arguments on a
                // call's result varies like that result.
                let receiver = match n.kind() {
                    "method_invocation" => field("object"),
                    _ => field("function").and_then(|f| {
                        f.child_by_field_name("object")
                            .or_else(|| f.child_by_field_name("operand"))
                    }),
                };
                if args.is_empty()
                    && WRAPPERS.contains(&last(&callee))
                    && let Some(r) = receiver
                {
                    return Ex::Call(format!("{callee}."), vec![self.lower(r, d)]);
                }
                Ex::Call(callee, args)
            }
            "binary_operator" | "binary_expression" => {
                let op = field("operator").map(|o| self.text(o)).unwrap_or("");
                let (Some(l), Some(r)) = (field("left"), field("right")) else {
                    return Ex::Other(self.text(n).to_string());
                };
                match op {
                    "%" => Ex::Mod(Box::new(self.lower(l, d)), Box::new(self.lower(r, d))),
                    "+" => Ex::Concat(vec![self.lower(l, d), self.lower(r, d)]),
                    _ => Ex::Other(self.text(n).to_string()),
                }
            }
            "list" | "array" | "array_initializer" | "tuple" => {
                let mut c = n.walk();
                Ex::List(n.named_children(&mut c).map(|s| self.lower(s, d)).collect())
            }
            "attribute" => {
                // `uuid.uuid4().hex` is as random as `uuid.uuid4()`.
                match field("object") {
                    Some(o) if matches!(o.kind(), "call") => {
                        Ex::Call(format!("{}.", self.text(o)), vec![self.lower(o, d)])
                    }
                    _ => Ex::Data(self.text(n).to_string()),
                }
            }
            "member_expression"
            | "field_access"
            | "selector_expression"
            | "subscript"
            | "subscript_expression"
            | "array_access"
            | "index_expression" => Ex::Data(self.text(n).to_string()),
            _ => Ex::Other(self.text(n).to_string()),
        }
    }
}

fn unescape(esc: &str) -> String {
    match esc {
        "\\n" => "\n".into(),
        "\\t" => "\t".into(),
        "\\\\" => "\\".into(),
        "\\\"" => "\"".into(),
        "\\'" => "'".into(),
        other => other.to_string(),
    }
}

/// The last segment of a callee (`random.randint` → `randint`).
fn last(callee: &str) -> &str {
    callee
        .trim_end_matches('.')
        .rsplit(['.', ':'])
        .next()
        .unwrap_or(callee)
}

/// Calls that only convert or wrap their (last) argument: `str(x)`, `String(x)`,
/// `aws.String(x)`, `String.valueOf(x)`, `strconv.Itoa(x)`, `fmt.Sprint(x)`.
const WRAPPERS: &[&str] = &[
    "str",
    "String",
    "valueOf",
    "toString",
    "Itoa",
    "FormatInt",
    "Sprint",
    "Sprintf",
    "format",
    "StringValue",
];
const RANDOM: &[&str] = &[
    "uuid4",
    "uuid1",
    "randomUUID",
    "v4",
    "uuidv4",
    "New",
    "NewString",
    "NewRandom",
    "nanoid",
    "token_hex",
    "token_urlsafe",
    "urandom",
    "ulid",
];
const TIME: &[&str] = &[
    "time",
    "time_ns",
    "now",
    "utcnow",
    "currentTimeMillis",
    "nanoTime",
    "Now",
    "getTime",
    "isoformat",
];

/// How the key varies, the literal's span when a name resolved to one, and the binding.
pub(crate) fn classify(ex: &Ex, b: &Bindings) -> (KeyExpr, Option<Span>) {
    classify_at(ex, b, 0)
}

fn classify_at(ex: &Ex, b: &Bindings, depth: usize) -> (KeyExpr, Option<Span>) {
    let unknown = |why: String| (KeyExpr::Unknown { reason: why }, None);
    if depth > MAX_DEPTH {
        return unknown("the key expression is nested too deeply to classify".into());
    }
    let d = depth + 1;
    match ex {
        Ex::Str(s) => (KeyExpr::Constant { value: s.clone() }, None),
        Ex::Int(i) => (
            KeyExpr::Constant {
                value: i.to_string(),
            },
            None,
        ),
        Ex::Name(n) => match b.get(n) {
            Some((v, at)) => (KeyExpr::Constant { value: v.clone() }, Some(*at)),
            None => (
                KeyExpr::PerRecord {
                    what: format!("`{n}`"),
                },
                None,
            ),
        },
        Ex::Data(t) => (
            KeyExpr::PerRecord {
                what: format!("`{t}`"),
            },
            None,
        ),
        Ex::Mod(_, m) => match **m {
            Ex::Int(n) if n > 0 => (
                KeyExpr::LowCardinality {
                    count: Some(n as u64),
                    what: format!("a remainder modulo {n}"),
                },
                None,
            ),
            _ => unknown("a remainder by a divisor not known statically".into()),
        },
        Ex::Call(callee, args) => {
            let name = last(callee);
            let lname = name.to_ascii_lowercase();
            if RANDOM.contains(&name) || (lname.contains("uuid") && !lname.contains("parse")) {
                return (
                    KeyExpr::Random {
                        what: format!("`{callee}()`"),
                    },
                    None,
                );
            }
            if callee.ends_with('.') {
                // `uuid.uuid4().hex`: the receiver decides.
                return args
                    .first()
                    .map(|a| classify_at(a, b, d))
                    .unwrap_or_else(|| unknown(String::new()));
            }
            let int = |i: usize| match args.get(i) {
                Some(Ex::Int(n)) => Some(*n),
                _ => None,
            };
            match name {
                // Python `random.randint(a, b)` (inclusive), `randrange(n)` / `(a, b)`.
                "randint" => {
                    if let (Some(a), Some(z)) = (int(0), int(1))
                        && z >= a
                    {
                        return low((z - a + 1) as u64, callee);
                    }
                }
                "randrange" => match (int(0), int(1)) {
                    (Some(a), Some(z)) if z > a => return low((z - a) as u64, callee),
                    (Some(n), None) if n > 0 => return low(n as u64, callee),
                    _ => {}
                },
                // Java `Random.nextInt(n)`, Go `rand.Intn(n)`.
                "nextInt" | "Intn" | "Int31n" | "Int63n" | "IntN" | "N" => match (int(0), int(1)) {
                    (Some(a), Some(z)) if z > a => return low((z - a) as u64, callee),
                    (Some(n), None) if n > 0 => return low(n as u64, callee),
                    _ => {}
                },
                "choice" | "sample" => {
                    if let Some(Ex::List(items)) = args.first() {
                        let mut distinct: Vec<&Ex> = Vec::new();
                        for i in items {
                            if !distinct.contains(&i) {
                                distinct.push(i);
                            }
                        }
                        return low(distinct.len() as u64, callee);
                    }
                }
                "random" if callee.contains("Math") || callee.contains("random") => {
                    return (
                        KeyExpr::Random {
                            what: format!("`{callee}()`"),
                        },
                        None,
                    );
                }
                _ => {}
            }
            if TIME.contains(&name) {
                return (
                    KeyExpr::TimeBased {
                        what: format!("`{callee}()`"),
                    },
                    None,
                );
            }
            if WRAPPERS.contains(&name) {
                // `fmt.Sprintf("%d", x)`, `"{}".format(x)`: the non-format arguments decide.
                let parts: Vec<Ex> = if name == "format" && callee.starts_with(['"', '\'']) {
                    args.clone()
                } else if matches!(name, "Sprintf" | "format") && args.len() > 1 {
                    args[1..].to_vec()
                } else {
                    args.iter().rev().take(1).cloned().collect()
                };
                if parts.is_empty() {
                    return unknown(format!("`{callee}()` without arguments"));
                }
                return classify_at(&Ex::Concat(parts), b, d);
            }
            unknown(format!("the key is computed by `{callee}(...)`"))
        }
        Ex::Concat(parts) => {
            let mut value = String::new();
            let mut at = None;
            let mut best: Option<KeyExpr> = None;
            for p in parts {
                let (k, s) = classify_at(p, b, d);
                match k {
                    KeyExpr::Constant { value: v } => {
                        value.push_str(&v);
                        at = at.or(s);
                    }
                    // A per-record or random part makes the whole key vary like it.
                    KeyExpr::PerRecord { .. }
                    | KeyExpr::Random { .. }
                    | KeyExpr::Unknown { .. } => {
                        return (k, None);
                    }
                    KeyExpr::LowCardinality { count, what } => {
                        best = Some(match best {
                            Some(KeyExpr::LowCardinality {
                                count: c0,
                                what: w0,
                            }) => KeyExpr::LowCardinality {
                                count: c0.zip(count).map(|(a, b)| a.saturating_mul(b)),
                                what: format!("{w0} and {what}"),
                            },
                            Some(KeyExpr::TimeBased { .. }) => {
                                return (
                                    KeyExpr::Unknown {
                                        reason: "a time and a few-valued part".into(),
                                    },
                                    None,
                                );
                            }
                            _ => KeyExpr::LowCardinality { count, what },
                        });
                    }
                    KeyExpr::TimeBased { what } => {
                        if best.is_some() {
                            return unknown("a time and a few-valued part".into());
                        }
                        best = Some(KeyExpr::TimeBased { what });
                    }
                }
            }
            match best {
                Some(k) => (k, None),
                None => (KeyExpr::Constant { value }, at),
            }
        }
        Ex::List(_) => unknown("a list is not a partition key".into()),
        Ex::Other(t) => unknown(format!("`{t}` is not classified statically")),
    }
}

fn low(n: u64, callee: &str) -> (KeyExpr, Option<Span>) {
    (
        KeyExpr::LowCardinality {
            count: Some(n),
            what: format!("`{callee}(...)`"),
        },
        None,
    )
}

/// Parses one source file that mentions Kinesis and returns its producers.
pub fn load(db: &SourceDb, file: FileId, lang: Lang) -> Vec<Producer> {
    let src = &db.get(file).text;
    let mut parser = Parser::new();
    let language: tree_sitter::Language = match lang {
        Lang::Python => tree_sitter_python::LANGUAGE.into(),
        Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
        Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
        Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
        Lang::Java => tree_sitter_java::LANGUAGE.into(),
        Lang::Go => tree_sitter_go::LANGUAGE.into(),
    };
    if parser.set_language(&language).is_err() {
        return Vec::new();
    }
    let Some(tree) = parser.parse(src, None) else {
        return Vec::new();
    };
    let lw = Lower { text: src, file };
    let mut bindings = Bindings::new();
    let mut found = Vec::new();
    // One pass over every node, without recursion.
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        match lang {
            Lang::Python => python::visit(&lw, n, &mut bindings, &mut found),
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
                javascript::visit(&lw, n, &mut bindings, &mut found)
            }
            Lang::Java => java::visit(&lw, n, &mut bindings, &mut found),
            Lang::Go => go::visit(&lw, n, &mut bindings, &mut found),
        }
        let mut c = n.walk();
        let children: Vec<Node> = n.named_children(&mut c).collect();
        stack.extend(children.into_iter().rev());
    }
    let module = db.get(file).display_name();
    let mut out = Vec::new();
    for f in found {
        let Some(key_node) = f.key else {
            continue;
        };
        let line = f.call_node.start_position().row + 1;
        let address = format!("{module}:{line}");
        let key_ex = lw.lower(key_node, 0);
        let (class, literal_at) = classify(&key_ex, &bindings);
        let key_span = lw.span(key_node);
        let mut key = Val::known(
            lw.text(key_node).to_string(),
            Some(key_span),
            format!("{}[line {line}].PartitionKey", f.call),
        );
        if let Some(at) = literal_at
            && at != key_span
        {
            key.via.push(Related {
                span: at,
                path: lw.text(key_node).to_string(),
                message: format!("`{}` is bound to this literal", lw.text(key_node)),
            });
        }
        let stream_path = format!("{}[line {line}].StreamName", f.call);
        let stream_name = match f.stream {
            None => Val::absent(stream_path),
            Some(s) => {
                let ex = lw.lower(s, 0);
                let resolved = match &ex {
                    Ex::Call(c, args) if WRAPPERS.contains(&last(c)) && args.len() == 1 => {
                        args[0].clone()
                    }
                    other => other.clone(),
                };
                match classify(&resolved, &bindings) {
                    (KeyExpr::Constant { value }, _) => {
                        Val::known(value, Some(lw.span(s)), stream_path)
                    }
                    _ => Val::unknown(
                        format!(
                            "the stream name `{}` is not a literal or a constant in this file",
                            lw.text(s)
                        ),
                        Some(lw.span(s)),
                        stream_path,
                    ),
                }
            }
        };
        out.push(Producer {
            origin: Origin {
                kind: kind_of(lang),
                address,
                span: lw.span(f.call_node),
                module: module.clone(),
            },
            kind: ProducerKind::Code,
            label: format!("`{}` call", f.call),
            stream_name,
            stream_ref: None,
            stream: None,
            key,
            class,
            per_record_example: example(lang, &f.call),
            sample_path: None,
        });
    }
    out
}

fn kind_of(lang: Lang) -> SourceKind {
    match lang {
        Lang::Python => SourceKind::Python,
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => SourceKind::JavaScript,
        Lang::Java => SourceKind::Java,
        Lang::Go => SourceKind::Go,
    }
}

/// A per-record key in the call's own syntax.
fn example(lang: Lang, call: &str) -> String {
    match lang {
        Lang::Python if call == "put_records" => "\"PartitionKey\": record[\"device_id\"]".into(),
        Lang::Python => "PartitionKey=record[\"device_id\"]".into(),
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => "PartitionKey: record.deviceId".into(),
        Lang::Java if call == "addUserRecord" => {
            "addUserRecord(streamName, record.deviceId(), data)".into()
        }
        Lang::Java => ".partitionKey(record.deviceId())".into(),
        Lang::Go => "PartitionKey: aws.String(record.DeviceID)".into(),
    }
}

/// How application code spells keys and comments (no fixes are offered in code).
pub(crate) fn dialect(comment: &'static str) -> crate::model::Dialect {
    crate::model::Dialect {
        param: |api| api.to_string(),
        key_param: "PartitionKey",
        key_example: |t| format!("PartitionKey: {t}"),
        add_destination: "add an on-failure destination",
        bound_retries: |_| "bound retries and add an on-failure destination".into(),
        deployed_state: false,
        interpolation: |_, e, x| {
            (
                format!("`{e}` is evaluated by the program"),
                "evaluated by the program",
                format!("write `{x}`"),
            )
        },
        key_literal: |_, _| None,
        setting_line: crate::model::no_setting,
        line_comment: if comment == "#" {
            |_| Some("#")
        } else {
            |_| Some("//")
        },
    }
}

pub static PYTHON_DIALECT: std::sync::LazyLock<crate::model::Dialect> =
    std::sync::LazyLock::new(|| dialect("#"));
pub static SLASH_DIALECT: std::sync::LazyLock<crate::model::Dialect> =
    std::sync::LazyLock::new(|| dialect("//"));

#[cfg(test)]
mod tests;
