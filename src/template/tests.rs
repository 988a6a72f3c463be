//! Tests of the module's public interface: parsing with exact byte ranges, every error kind,
//! classification, evaluation on the seed payload, and field listing.

use serde_json::{Value, json};

use super::*;

fn seed() -> Value {
    json!({"list":[{"vin":"TEST-100001","timestamp":"2022-11-01T10:10:00+09:00","lat":35.658278,"lon":139.701611}]})
}

fn perr(text: &str) -> TemplateError {
    parse(text).expect_err(text)
}

fn one_expr(text: &str) -> Expr {
    match parse(text).unwrap().parts.as_slice() {
        [Part::Expr { expr, .. }] => expr.clone(),
        other => panic!("{other:?}"),
    }
}

fn class(text: &str, filter: Option<&str>) -> KeyClass {
    classify(
        &parse(text).unwrap(),
        &ClassifyCtx {
            topic_filter: filter,
        },
    )
}

fn eval_with(text: &str, payload: &Value, topic: Option<&str>) -> Evaluated {
    let t = parse(text).unwrap();
    let mut n = 0u128;
    let mut rng = || {
        n += 1;
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
    };
    let mut input = EvalInput {
        payload,
        topic,
        clientid: Some("car-7"),
        principal: None,
        timestamp_ms: Some(1_667_265_000_000),
        random: &mut rng,
    };
    evaluate(&t, &mut input)
}

fn key(text: &str, payload: &Value) -> String {
    match eval_with(text, payload, Some("fleet/car-7/telemetry")) {
        Evaluated::Key(k) => k,
        other => panic!("{text}: {other:?}"),
    }
}

fn unknown(text: &str, payload: &Value) -> String {
    match eval_with(text, payload, Some("fleet/car-7/telemetry")) {
        Evaluated::Unknown { reason } => reason,
        other => panic!("{text}: {other:?}"),
    }
}

fn undefined(text: &str, payload: &Value) -> String {
    match eval_with(text, payload, Some("fleet/car-7/telemetry")) {
        Evaluated::Undefined { reason } => reason,
        other => panic!("{text}: {other:?}"),
    }
}

// ---------- parser ----------

#[test]
fn literal_only_and_mixed_parts_with_ranges() {
    let t = parse("vin").unwrap();
    assert_eq!(
        t.parts,
        [Part::Lit {
            text: "vin".into(),
            range: 0..3
        }]
    );
    let t = parse("dev-${vin}-x").unwrap();
    assert_eq!(t.parts.len(), 3);
    assert_eq!(
        t.parts[0],
        Part::Lit {
            text: "dev-".into(),
            range: 0..4
        }
    );
    assert_eq!(
        t.parts[1],
        Part::Expr {
            expr: Expr::Field {
                path: vec!["vin".into()],
                range: 6..9
            },
            range: 4..10
        }
    );
    assert_eq!(
        t.parts[2],
        Part::Lit {
            text: "-x".into(),
            range: 10..12
        }
    );
    // An empty template is one empty literal.
    assert_eq!(parse("").unwrap().parts.len(), 1);
}

#[test]
fn brace_and_dollar_outside_substitutions_are_literal() {
    let t = parse("a}b$c$${x}").unwrap();
    assert_eq!(
        t.parts[0],
        Part::Lit {
            text: "a}b$c$".into(),
            range: 0..6
        }
    );
    assert!(matches!(t.parts[1], Part::Expr { range: ref r, .. } if *r == (6..10)));
}

#[test]
fn non_ascii_literals_keep_byte_ranges() {
    let text = "車両-${vin}-é";
    let t = parse(text).unwrap();
    // 車両 is 6 bytes, `-` 1.
    assert_eq!(
        t.parts[0],
        Part::Lit {
            text: "車両-".into(),
            range: 0..7
        }
    );
    let Part::Expr { range, expr } = &t.parts[1] else {
        panic!()
    };
    assert_eq!(&text[range.clone()], "${vin}");
    assert_eq!(&text[expr_range(expr)], "vin");
    let Part::Lit { range, .. } = &t.parts[2] else {
        panic!()
    };
    assert_eq!(&text[range.clone()], "-é");
    // A non-ASCII string literal inside an expression.
    let text = "${'é' + vin}";
    let Expr::Add { lhs, .. } = one_expr(text) else {
        panic!()
    };
    assert_eq!(
        *lhs,
        Expr::Str {
            value: "é".into(),
            range: 2..6
        }
    );
}

#[test]
fn expressions_paths_literals_calls_and_plus() {
    assert_eq!(
        one_expr("${ a.b.c }"),
        Expr::Field {
            path: vec!["a".into(), "b".into(), "c".into()],
            range: 3..8
        }
    );
    assert_eq!(
        one_expr("${'x'}"),
        Expr::Str {
            value: "x".into(),
            range: 2..5
        }
    );
    assert_eq!(
        one_expr("${\"it\\\"s\"}"),
        Expr::Str {
            value: "it\"s".into(),
            range: 2..9
        }
    );
    assert_eq!(
        one_expr("${12.5}"),
        Expr::Num {
            value: 12.5,
            range: 2..6
        }
    );
    assert_eq!(
        one_expr("${-1}"),
        Expr::Num {
            value: -1.0,
            range: 2..4
        }
    );
    assert_eq!(
        one_expr("${TRUE}"),
        Expr::Bool {
            value: true,
            range: 2..6
        }
    );
    // Function names are matched case-insensitively and stored lower-case.
    assert_eq!(
        one_expr("${Topic(2)}"),
        Expr::Call {
            name: "topic".into(),
            args: vec![Expr::Num {
                value: 2.0,
                range: 8..9
            }],
            range: 2..10
        }
    );
    // `+` is left-associative: (a + '-') + b.
    let Expr::Add { lhs, rhs, range } = one_expr("${a + '-' + b}") else {
        panic!()
    };
    assert_eq!(range, 2..13);
    assert!(matches!(*lhs, Expr::Add { range: ref r, .. } if *r == (2..9)));
    assert!(matches!(*rhs, Expr::Field { .. }));
    // Parentheses group.
    let Expr::Add { rhs, .. } = one_expr("${a + (b + c)}") else {
        panic!()
    };
    assert!(matches!(*rhs, Expr::Add { .. }));
    assert_eq!(render(&one_expr("${a + (b + c)}")), "a + (b + c)");
}

#[test]
fn aws_example_key_parses_and_renders() {
    let text = "${replace(topic(), '/', '-') + '-' + timestamp() + '-' + newuuid()}";
    let e = one_expr(text);
    assert_eq!(
        render(&e),
        "replace(topic(), '/', '-') + '-' + timestamp() + '-' + newuuid()"
    );
    assert_eq!(expr_range(&e), 2..text.len() - 1);
}

#[test]
fn cast_percent_and_dot_after_call() {
    let e = one_expr("${cast(speed AS String)}");
    assert_eq!(
        e,
        Expr::Call {
            name: "cast".into(),
            args: vec![
                Expr::Field {
                    path: vec!["speed".into()],
                    range: 7..12
                },
                Expr::Str {
                    value: "String".into(),
                    range: 16..22
                }
            ],
            range: 2..23
        }
    );
    assert_eq!(render(&e), "cast(speed AS String)");
    assert_eq!(render(&one_expr("${n % 4}")), "mod(n, 4)");
    assert_eq!(
        render(&one_expr("${get(list, 0).vin}")),
        "get(get(list, 0), 'vin')"
    );
}

#[test]
fn error_unclosed_substitution_points_at_dollar_brace() {
    let e = perr("ab${vin");
    assert_eq!(e.range, 2..4);
    assert_eq!(e.message, "unclosed `${`");
    assert_eq!(e.help.as_deref(), Some("close it with `}`"));
    // Here the `}` closes the substitution; what is open is the call.
    let e = perr("x ${lower(vin}");
    assert_eq!((e.range, e.message.as_str()), (9..10, "unclosed `(`"));
    assert_eq!(perr("${").range, 0..2);
    // A `}` inside a string does not close the substitution.
    assert_eq!(perr("${'}'").range, 0..2);
}

#[test]
fn error_unknown_function_points_at_name() {
    let e = perr("k-${uuid()}");
    assert_eq!(e.range, 4..8);
    assert_eq!(e.message, "unknown function `uuid()`");
    assert_eq!(e.help.as_deref(), Some("use `newuuid()`"));
    let e = perr("${lower(frobnicate(x))}");
    assert_eq!(e.range, 8..18);
}

#[test]
fn error_bad_arity_covers_the_call() {
    let text = "${topic(1, 2)}";
    let e = perr(text);
    assert_eq!(&text[e.range.clone()], "topic(1, 2)");
    assert_eq!(e.message, "`topic()` takes 0 or 1 arguments, got 2");
    assert_eq!(e.help.as_deref(), Some("call it as `topic([segment])`"));
    let e = perr("${newuuid(x)}");
    assert_eq!(e.range, 2..12);
    assert_eq!(e.message, "`newuuid()` takes 0 arguments, got 1");
    let e = perr("${substring(x)}");
    assert_eq!(e.message, "`substring()` takes 2 or 3 arguments, got 1");
    assert_eq!(
        e.help.as_deref(),
        Some("call it as `substring(String, Int[, Int])`")
    );
}

#[test]
fn error_unexpected_character_and_empty() {
    let e = perr("${vin#}");
    assert_eq!(e.range, 5..6);
    assert_eq!(e.message, "unexpected character `#`");
    let e = perr("${é}");
    assert_eq!(e.range, 2..4);
    assert_eq!(e.message, "unexpected character `é`");
    let e = perr("a${}");
    assert_eq!(e.range, 1..4);
    assert_eq!(e.message, "empty substitution `${}`");
    let e = perr("${  }");
    assert_eq!(e.range, 0..5);
}

#[test]
fn error_other_syntax() {
    let e = perr("${vin vin}");
    assert_eq!(e.range, 6..9);
    assert_eq!(e.message, "expected `}` or an operator, found `vin`");
    let e = perr("${'abc}");
    assert_eq!(e.range, 2..3);
    assert_eq!(e.message, "unclosed string literal");
    let e = perr("${CASE WHEN a THEN b}");
    assert_eq!(
        e.message,
        "expected `WHEN`, `ELSE` or `END` in `CASE`, found `}`"
    );
    let e = perr("${@ vin}");
    assert_eq!(e.message, "expected a variable name after `@`, found `vin`");
    let e = perr("${a.}");
    assert_eq!(e.range, 4..5);
    assert_eq!(e.message, "expected a key name after `.`, found `}`");
    let e = perr("${cast(x AS Blob)}");
    assert_eq!(e.range, 12..16);
    assert_eq!(e.message, "unknown cast type `Blob`");
    let e = perr("${lower(x}");
    assert_eq!(e.message, "unclosed `(`");
    let e = perr("${a + }");
    assert_eq!(e.message, "expected a value, found `}`");
}

#[test]
fn messages_follow_the_style_guide() {
    for text in [
        "ab${vin",
        "${uuid()}",
        "${topic(1,2)}",
        "${#}",
        "${}",
        "${a b}",
        "${'x",
        "${a - }",
        "${CASE END}",
        "${a.}",
        "${cast(x as y)}",
        "${lower(x}",
        "${1 + }",
    ] {
        let e = perr(text);
        assert!(!e.message.ends_with('.'), "{text}: {}", e.message);
        assert!(
            e.range.end <= text.len() && e.range.start < e.range.end,
            "{text}: {e:?}"
        );
        let help = e.help.expect(text);
        assert!(!help.ends_with('.'), "{text}: {help}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = format!("${{{}vin{}}}", "(".repeat(5000), ")".repeat(5000));
    let e = perr(&text);
    assert_eq!(e.message, "expression nested deeper than 64 levels");
    assert_eq!(e.range, 66..67);
    let ok = format!("${{{}vin{}}}", "lower(".repeat(30), ")".repeat(30));
    assert!(parse(&ok).is_ok());
}

// ---------- fields ----------

#[test]
fn fields_lists_every_payload_reference() {
    let text = "${a.b + lower(c) + get(get(list, 0), 'vin') + topic(1)}";
    let t = parse(text).unwrap();
    let f = fields(&t);
    let names: Vec<String> = f.iter().map(|(p, _)| p.join(".")).collect();
    assert_eq!(names, ["a.b", "c", "list"]);
    for (path, r) in &f {
        assert_eq!(text[r.clone()], path.join("."));
    }
    assert!(fields(&parse("x-${newuuid()}").unwrap()).is_empty());
}

// ---------- classify ----------

#[test]
fn classify_required_cases() {
    assert_eq!(
        class("vin", None),
        KeyClass::Constant {
            value: Some("vin".into())
        }
    );
    assert_eq!(
        class("${vin}", None),
        KeyClass::PerRecord {
            sources: vec!["vin".into()]
        }
    );
    assert_eq!(
        class("${topic()}", Some("some/topic")),
        KeyClass::Constant {
            value: Some("some/topic".into())
        }
    );
    assert_eq!(
        class("${topic(1)}", Some("fleet/+/telemetry")),
        KeyClass::Constant {
            value: Some("fleet".into())
        }
    );
    assert_eq!(
        class("${topic(2)}", Some("fleet/+/telemetry")),
        KeyClass::PerRecord {
            sources: vec!["topic(2)".into()]
        }
    );
    assert_eq!(
        class("${newuuid()}", None),
        KeyClass::Random {
            sources: vec!["newuuid()".into()]
        }
    );
    assert_eq!(class("${timestamp()}", None), KeyClass::TimeBased);
    assert_eq!(
        class(
            "${replace(topic(), '/', '-') + '-' + timestamp() + '-' + newuuid()}",
            Some("fleet/+/telemetry")
        ),
        KeyClass::Random {
            sources: vec!["newuuid()".into()]
        }
    );
}

#[test]
fn classify_constants_fold() {
    assert_eq!(
        class("${lower('ABC')}-${topic(3)}", Some("fleet/+/telemetry")),
        KeyClass::Constant {
            value: Some("abc-telemetry".into())
        }
    );
    assert_eq!(
        class("${'n' + 1 + 2}", None),
        KeyClass::Constant {
            value: Some("n12".into())
        }
    );
    assert_eq!(
        class("車両-${upper('é')}", None),
        KeyClass::Constant {
            value: Some("車両-É".into())
        }
    );
    // Constant, but the value is not known statically.
    assert_eq!(
        class("${accountid()}", None),
        KeyClass::Constant { value: None }
    );
    assert_eq!(
        class("${sha256('x')}", None),
        KeyClass::Constant { value: None }
    );
}

#[test]
fn classify_per_record_sources() {
    assert_eq!(
        class("${get(get(list, 0), 'vin')}", None),
        KeyClass::PerRecord {
            sources: vec!["get(get(list, 0), 'vin')".into()]
        }
    );
    assert_eq!(
        class("${md5(vin) + clientid() + principal() + vin}", None),
        KeyClass::PerRecord {
            sources: vec!["vin".into(), "clientid()".into(), "principal()".into()]
        }
    );
    assert_eq!(
        class("p-${lower(clientid())}", None),
        KeyClass::PerRecord {
            sources: vec!["clientid()".into()]
        }
    );
    assert_eq!(
        class("${topic()}", Some("fleet/#")),
        KeyClass::PerRecord {
            sources: vec!["topic()".into()]
        }
    );
    // Beyond the last level of a `#` filter: per-record (sometimes Undefined).
    assert_eq!(
        class("${topic(5)}", Some("fleet/#")),
        KeyClass::PerRecord {
            sources: vec!["topic(5)".into()]
        }
    );
    // Per-record beats time.
    assert!(matches!(
        class("${vin + timestamp()}", None),
        KeyClass::PerRecord { .. }
    ));
}

#[test]
fn classify_unknowns() {
    let KeyClass::Unknown { reason } = class("${topic(2)}", None) else {
        panic!()
    };
    assert_eq!(
        reason,
        "the rule's topic filter is unknown, so `topic(2)` cannot be classified"
    );
    // A certain per-record part outweighs an unknown filter.
    assert!(matches!(
        class("${vin + topic(2)}", None),
        KeyClass::PerRecord { .. }
    ));
    // ...but not an external call, which could be random.
    let KeyClass::Unknown { reason } = class("${vin + aws_lambda('arn', vin)}", None) else {
        panic!()
    };
    assert!(reason.contains("`aws_lambda()`"), "{reason}");
    assert!(matches!(
        class("${get_thing_shadow('t', 'arn')}", None),
        KeyClass::Unknown { .. }
    ));
    // Random still wins over unknown.
    assert!(matches!(
        class("${aws_lambda('a', 1) + newuuid()}", None),
        KeyClass::Random { .. }
    ));
    // A level the literal filter does not have: Undefined on every record.
    let KeyClass::Unknown { reason } = class("${topic(4)}", Some("a/b/c")) else {
        panic!()
    };
    assert_eq!(
        reason,
        "`topic(4)` is always Undefined: the topic filter `a/b/c` has only 3 levels"
    );
    assert!(matches!(
        class("${concat()}", None),
        KeyClass::Unknown { .. }
    ));
}

// ---------- evaluate ----------

#[test]
fn hand_built_templates_with_bad_calls_do_not_panic() {
    let t = Template {
        parts: vec![Part::Expr {
            expr: Expr::Call {
                name: "get".into(),
                args: vec![],
                range: 0..0,
            },
            range: 0..0,
        }],
        sql_version: Default::default(),
    };
    let p = json!({});
    let mut rng = || 0u128;
    let mut input = EvalInput {
        payload: &p,
        topic: None,
        clientid: None,
        principal: None,
        timestamp_ms: None,
        random: &mut rng,
    };
    let Evaluated::Undefined { reason } = evaluate(&t, &mut input) else {
        panic!()
    };
    assert_eq!(reason, "empty key: `get()` takes 2 arguments, got 0");
}

#[test]
fn evaluate_seed_payload() {
    let p = seed();
    let reason = undefined("${vin}", &p);
    assert!(
        reason.contains("field `vin` is not in the payload"),
        "{reason}"
    );
    assert_eq!(key("${get(get(list,0),'vin')}", &p), "TEST-100001");
    assert_eq!(key("${get(list, 0).vin}", &p), "TEST-100001");
    assert_eq!(key("vin", &p), "vin");
    assert_eq!(key("${get(get(list,0),'lat')}", &p), "35.658278");
    let reason = undefined("${get(list, 1)}", &p);
    assert!(
        reason.contains("index 1 is outside an array of 1 items"),
        "{reason}"
    );
}

#[test]
fn evaluate_fields_and_conversions() {
    let p = json!({"a": {"b": 7}, "f": 1.5, "t": true, "n": null, "o": {"x": [1, "y"]}, "s": ""});
    assert_eq!(key("${a.b}", &p), "7");
    assert_eq!(key("${f}", &p), "1.5");
    assert_eq!(key("${t}", &p), "true");
    assert_eq!(key("${o}", &p), r#"{"x":[1,"y"]}"#);
    assert!(undefined("${n}", &p).contains("null"));
    assert!(undefined("${a.b.c}", &p).contains("`a.b` is not an object"));
    assert!(undefined("${a.z}", &p).contains("field `a.z` is not in the payload"));
    assert!(undefined("${s}", &p).starts_with("empty key"));
    // A missing part inside literal text becomes "" (AWS: Undefined serializes as "").
    assert_eq!(key("dev-${missing}", &p), "dev-");
    assert!(undefined("${missing}${other}", &p).contains("field `other`"));
}

#[test]
fn evaluate_plus_operator() {
    let p = json!({"i": 2, "f": 0.5, "s": "x", "b": true, "arr": [1]});
    assert_eq!(key("${i + 3}", &p), "5");
    assert_eq!(key("${i + f}", &p), "2.5");
    assert_eq!(key("${s + i}", &p), "x2");
    assert_eq!(key("${i + s}", &p), "2x");
    assert_eq!(key("${s + b + arr}", &p), "xtrue[1]");
    assert_eq!(key("${'a' + 1 + 2}", &p), "a12");
    assert_eq!(key("${1 + 2 + 'a'}", &p), "3a");
    assert!(undefined("${b + i}", &p).contains("`+` of a Boolean and an Int"));
    // Assumption: string + Undefined is Undefined.
    assert!(undefined("${'dev-' + missing}", &p).contains("field `missing`"));
}

#[test]
fn evaluate_context_functions() {
    let p = json!({});
    assert_eq!(key("${topic()}", &p), "fleet/car-7/telemetry");
    assert_eq!(key("${topic(2)}", &p), "car-7");
    assert!(undefined("${topic(4)}", &p).contains("has no level 4"));
    assert!(matches!(
        eval_with("${topic()}", &p, None),
        Evaluated::Undefined { .. }
    ));
    assert_eq!(key("${clientid()}", &p), "car-7");
    assert_eq!(key("${timestamp()}", &p), "1667265000000");
    assert!(unknown("${principal()}", &p).contains("principal()"));
    assert!(unknown("${accountid()}", &p).contains("accountid()"));
    let t = parse("${clientid()}").unwrap();
    let mut rng = || 0u128;
    let mut input = EvalInput {
        payload: &p,
        topic: None,
        clientid: None,
        principal: Some("abc"),
        timestamp_ms: None,
        random: &mut rng,
    };
    assert_eq!(evaluate(&t, &mut input), Evaluated::Key("n/a".into()));
}

#[test]
fn evaluate_random_functions() {
    let p = json!({});
    let uuid = key("${newuuid()}", &p);
    assert_eq!(uuid.len(), 36);
    let b = uuid.as_bytes();
    assert_eq!((b[8], b[13], b[18], b[23]), (b'-', b'-', b'-', b'-'));
    assert_eq!(b[14], b'4', "{uuid}");
    assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'), "{uuid}");
    // All-zero and all-one randomness still give valid v4 UUIDs.
    for r in [0u128, u128::MAX] {
        let t = parse("${newuuid()}").unwrap();
        let mut rng = || r;
        let mut input = EvalInput {
            payload: &p,
            topic: None,
            clientid: None,
            principal: None,
            timestamp_ms: None,
            random: &mut rng,
        };
        let Evaluated::Key(u) = evaluate(&t, &mut input) else {
            panic!()
        };
        let want = if r == 0 {
            "00000000-0000-4000-8000-000000000000"
        } else {
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        };
        assert_eq!(u, want);
        let t = parse("${rand()}").unwrap();
        let Evaluated::Key(x) = evaluate(&t, &mut input) else {
            panic!()
        };
        let x: f64 = x.parse().unwrap();
        assert!((0.0..1.0).contains(&x), "{x}");
    }
    // Two calls differ (the random source is consulted each time).
    let two = key("${newuuid()}|${newuuid()}", &p);
    let (a, b) = two.split_once('|').unwrap();
    assert_ne!(a, b);
}

#[test]
fn evaluate_string_functions() {
    let p = json!({"s": " Hi There ", "n": 123, "arr": ["HELLO"], "v": "abc"});
    assert_eq!(key("${lower(s)}", &p), " hi there ");
    assert_eq!(key("${upper(arr)}", &p), r#"["HELLO"]"#);
    assert_eq!(key("${lower(arr)}", &p), r#"["hello"]"#);
    assert_eq!(key("${trim(s)}", &p), "Hi There");
    assert_eq!(key("${ltrim(s)}", &p), "Hi There ");
    assert_eq!(key("${rtrim(s)}", &p), " Hi There");
    assert_eq!(key("${replace('abcdabcd', 'b', 'x')}", &p), "axcdaxcd");
    assert_eq!(
        key("${replace(topic(), '/', '-')}", &p),
        "fleet-car-7-telemetry"
    );
    // AWS examples for substring.
    assert_eq!(key("${substring('012345', 2)}", &p), "2345");
    assert_eq!(key("${substring('012345', 2.745)}", &p), "2345");
    assert_eq!(key("${substring(n, 2)}", &p), "3");
    assert_eq!(key("${substring('012345', -1)}", &p), "012345");
    assert_eq!(key("${substring(true, 1.2)}", &p), "rue");
    assert_eq!(key("${substring('012345', 1, 3)}", &p), "12");
    assert_eq!(key("${substring('012345', -50, 50)}", &p), "012345");
    assert!(undefined("${substring('012345', 3, 1)}", &p).starts_with("empty key"));
    assert_eq!(key("${lpad('hello', 2)}", &p), "  hello");
    assert_eq!(key("${rpad(1, 3)}", &p), "1   ");
    assert_eq!(
        key("${md5('hello')}", &p),
        "5d41402abc4b2a76b9719d911017c592"
    );
    assert_eq!(key("${concat('con', 'cat')}", &p), "concat");
    assert_eq!(key("${concat(1, 'hello')}", &p), "1hello");
    assert_eq!(key("${concat(arr, 4)}", &p), r#"["HELLO",4]"#);
    assert!(undefined("${concat()}", &p).contains("`concat()` with no arguments"));
    assert_eq!(key("${cast(n AS String) + '!'}", &p), "123!");
    assert_eq!(key("${cast('5.9' AS Int)}", &p), "5");
    assert_eq!(key("${get(v, 1)}", &p), "b");
    assert_eq!(key("${get_or_default(missing, 'dflt')}", &p), "dflt");
    assert_eq!(key("${isUndefined(missing)}", &p), "true");
    assert_eq!(key("${n % 10}", &p), "3");
    assert!(undefined("${lower(missing)}", &p).contains("field `missing`"));
    assert!(unknown("${sha256(v)}", &p).contains("`sha256()` is not evaluated by shardlint"));
    assert!(
        unknown("${aws_lambda('arn', v)}", &p).contains("`aws_lambda()` calls another AWS service")
    );
    // An Undefined argument still makes the call Undefined, as IoT documents.
    assert!(undefined("${sha256(missing)}", &p).contains("field `missing`"));
    assert!(unknown("${'k-' + encode(v, 'base64')}", &p).contains("encode()"));
}

#[test]
fn operators_case_variables_and_indexing() {
    let p = json!({"n": 7, "t": 1667265000123i64, "s": "10", "flag": true,
                   "devices": [{"vin": "A1"}, {"vin": "B2"}], "temp": 212});
    assert_eq!(key("${timestamp() / 1000}", &p), "1667265000");
    assert_eq!(key("${t / 1000}", &p), "1667265000");
    assert_eq!(key("${n - 2 * 3}", &p), "1");
    assert_eq!(key("${(n - 2) * 3}", &p), "15");
    assert_eq!(key("${-n}", &p), "-7");
    assert_eq!(key("${n / 2.5}", &p), "2.8");
    assert_eq!(key("${s * 2}", &p), "20.0");
    assert!(undefined("${n / 0}", &p).contains("by zero"));
    assert_eq!(key("${n > 5 AND NOT flag = false}", &p), "true");
    assert_eq!(key("${n < 5 OR n <> 7}", &p), "false");
    assert_eq!(
        key("${CASE WHEN n > 5 THEN 'big' ELSE 'small' END}", &p),
        "big"
    );
    assert_eq!(
        key("${CASE n WHEN 1 THEN 'one' WHEN 7 THEN 'seven' END}", &p),
        "seven"
    );
    assert!(undefined("${CASE n WHEN 1 THEN 'one' END}", &p).contains("no `CASE` arm"));
    assert_eq!(key("${devices[1].vin}", &p), "B2");
    assert_eq!(key("${get(devices, 0).vin + '-' + n % 4}", &p), "A1-3");
    // `@v` from the SET clause; unbound it is unknown, never Undefined.
    let sql = parse_sql("SET @v = devices[0].vin, @c = (temp - 32) * 5 / 9 SELECT * FROM 'a/+'");
    let mut t = parse("${@v}-${@c}").unwrap();
    bind_vars(&mut t, &sql.vars);
    let mut zero = || 0u128;
    let mut input = EvalInput {
        payload: &p,
        topic: None,
        clientid: None,
        principal: None,
        timestamp_ms: None,
        random: &mut zero,
    };
    assert_eq!(evaluate(&t, &mut input), Evaluated::Key("A1-100".into()));
    assert!(unknown("${@v}", &p).contains("`@v`"));
    // Classification follows the operands.
    assert_eq!(class("${timestamp() / 1000}", None), KeyClass::TimeBased);
    assert_eq!(
        class("${CASE WHEN n > 5 THEN vin ELSE 'x' END}", None),
        KeyClass::PerRecord {
            sources: vec!["n".into(), "vin".into()]
        }
    );
    assert!(matches!(class("${@vin}", None), KeyClass::Unknown { .. }));
    assert_eq!(
        classify(&t, &ClassifyCtx::default()),
        KeyClass::PerRecord {
            sources: vec!["get(get(devices, 0), 'vin')".into(), "temp".into()]
        }
    );
    // Rendering keeps meaning with parentheses.
    assert_eq!(render(&one_expr("${(a - b) * c}")), "(a - b) * c");
    assert_eq!(
        render(&one_expr("${case when a then 'x' else 'y' end}")),
        "CASE WHEN a THEN 'x' ELSE 'y' END"
    );
}

/// Issue 12: `${vin+vin+...}` with 40,000 terms overflowed the stack in `classify`. The parser
/// now refuses more than `MAX_NODES` terms with a located error, so every walk stays shallow.
#[test]
fn over_long_expressions_are_a_located_error_not_a_stack_overflow() {
    let long = format!("${{{}}}", vec!["vin"; 40_000].join("+"));
    let e = perr(&long);
    assert!(e.message.contains("more than 500 terms"), "{}", e.message);
    assert!(
        e.range.start > 2 && e.range.end <= long.len(),
        "{:?}",
        e.range
    );
    let nots = format!("${{{}vin}}", "NOT ".repeat(10_000));
    assert!(perr(&nots).message.contains("terms"));
    let negs = format!("${{{}vin}}", "-".repeat(10_000));
    assert!(perr(&negs).message.contains("terms"));
    let idx = format!("${{vin{}}}", "[0]".repeat(10_000));
    assert!(perr(&idx).message.contains("terms"));
    // Just under the limit: parses, classifies and evaluates on this thread and on a small
    // worker stack (distribute runs templates on rayon threads).
    let ok = format!("${{{}}}", vec!["vin"; 240].join("+"));
    let t = parse(&ok).unwrap();
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            assert!(matches!(
                classify(&t, &ClassifyCtx::default()),
                KeyClass::PerRecord { .. }
            ));
            let p = json!({"vin": "x"});
            let mut zero = || 0u128;
            let mut input = EvalInput {
                payload: &p,
                topic: None,
                clientid: None,
                principal: None,
                timestamp_ms: None,
                random: &mut zero,
            };
            assert!(matches!(evaluate(&t, &mut input), Evaluated::Key(k) if k.len() == 240));
            let _ = render(match &t.parts[0] {
                Part::Expr { expr, .. } => expr,
                _ => unreachable!(),
            });
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Rough throughput check: `cargo test --lib template::tests::throughput -- --ignored --nocapture`
/// (debug builds are ~10x slower than release).
#[test]
#[ignore]
fn throughput() {
    let p = seed();
    for text in [
        "${vin}",
        "${get(get(list,0),'vin')}",
        "dev-${topic(2)}-${newuuid()}",
    ] {
        let t = parse(text).unwrap();
        let mut rng = || 42u128;
        let start = std::time::Instant::now();
        let mut n = 0usize;
        for _ in 0..300_000 {
            let mut input = EvalInput {
                payload: &p,
                topic: Some("fleet/car-7/telemetry"),
                clientid: None,
                principal: None,
                timestamp_ms: None,
                random: &mut rng,
            };
            if let Evaluated::Key(k) = evaluate(&t, &mut input) {
                n += k.len();
            }
        }
        println!("{text}: 300k in {:?} ({n} key bytes)", start.elapsed());
    }
}

// ---------- SQL versions ----------

fn key_as(text: &str, payload: &Value, version: SqlVersion) -> Evaluated {
    let mut t = parse(text).unwrap();
    t.sql_version = version;
    let mut rng = || 0u128;
    let mut input = EvalInput {
        payload,
        topic: None,
        clientid: None,
        principal: None,
        timestamp_ms: None,
        random: &mut rng,
    };
    evaluate(&t, &mut input)
}

#[test]
fn whole_decimals_are_int_under_sql_v2_only() {
    // IoT developer guide, "Data types": with SQL V2 (2016-03-23) `10.0` is processed as the Int
    // `10`; with V1 (2015-10-08) it stays the Decimal `10.0`.
    let p = json!({"reading": 10.0, "big": 1.5e3, "frac": 2.5, "int": 7, "list": [4.0]});
    let k = |t: &str, v| match key_as(t, &p, v) {
        Evaluated::Key(k) => k,
        other => panic!("{t} {v:?}: {other:?}"),
    };
    assert_eq!(k("${reading}", SqlVersion::V2), "10");
    assert_eq!(k("${reading}", SqlVersion::Beta), "10");
    assert_eq!(k("${reading}", SqlVersion::V1), "10.0");
    assert_eq!(k("${big}", SqlVersion::V2), "1500");
    assert_eq!(k("${big}", SqlVersion::V1), "1500.0");
    assert_eq!(k("${frac}", SqlVersion::V2), "2.5");
    assert_eq!(k("${frac}", SqlVersion::V1), "2.5");
    assert_eq!(k("${int}", SqlVersion::V1), "7");
    assert_eq!(k("${get(list, 0)}", SqlVersion::V2), "4");
    assert_eq!(k("${get(list, 0)}", SqlVersion::V1), "4.0");
    // The Int is used as one: V2 divides integers.
    assert_eq!(k("${reading / 4}", SqlVersion::V2), "2");
    assert_eq!(k("dev-${reading}", SqlVersion::V2), "dev-10");
}

#[test]
fn integers_beyond_what_a_double_holds_are_unknown_not_rounded() {
    // IoT keeps 34 digits; shardlint reads JSON numbers as 64-bit, so it would print other digits.
    let p: Value = serde_json::from_str(
        r#"{"id": 12345678901234567890123, "u": 18446744073709551615, "ok": 9007199254740991}"#,
    )
    .unwrap();
    for v in [SqlVersion::V1, SqlVersion::V2] {
        for t in ["${id}", "${u}", "dev-${id}"] {
            assert!(
                matches!(key_as(t, &p, v), Evaluated::Unknown { .. }),
                "{t} {v:?}: {:?}",
                key_as(t, &p, v)
            );
        }
        assert_eq!(
            key_as("${ok}", &p, v),
            Evaluated::Key("9007199254740991".into())
        );
    }
}

#[test]
fn rule_versions_and_their_defaults() {
    assert_eq!(SqlVersion::parse("2015-10-08"), Some(SqlVersion::V1));
    assert_eq!(SqlVersion::parse("2016-03-23"), Some(SqlVersion::V2));
    assert_eq!(SqlVersion::parse("beta"), Some(SqlVersion::Beta));
    assert_eq!(SqlVersion::parse("2016-03-24"), None);
    // CloudFormation defaults `AwsIotSqlVersion` to 2015-10-08.
    assert_eq!(SqlVersion::of_rule(None, true), SqlVersion::V1);
    assert_eq!(SqlVersion::of_rule(None, false), SqlVersion::V2);
    assert_eq!(
        SqlVersion::of_rule(Some("2015-10-08"), false),
        SqlVersion::V1
    );
}
