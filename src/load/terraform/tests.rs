//! Tests of the Terraform loader: evaluation, module calls, JSON syntax, and the bounds on work
//! and depth (inputs generated here, not committed).

use super::*;
use crate::model::IacEffect;
use crate::source::{Escapes, Span};

fn load(files: &[(&str, &str)]) -> (SourceDb, Model, Vec<InputError>) {
    let mut db = SourceDb::default();
    let mut tf = Vec::new();
    let mut vars = Vec::new();
    for (name, text) in files {
        let id = db.add(name.into(), text.to_string());
        if name.ends_with(".tfvars") {
            vars.push(id)
        } else {
            tf.push(id)
        }
    }
    let (m, e) = load_module(&db, ".", &tf, &vars);
    (db, m, e)
}

#[test]
fn escape_gives_iot_template() {
    let (db, m, _) = load(&[(
        "main.tf",
        "resource \"aws_iot_topic_rule\" \"r\" {\n  kinesis {\n    partition_key = \"$${vin}\"\n  }\n}\n",
    )]);
    let key = &m.rules[0].actions[0].partition_key;
    assert_eq!(key.get().map(String::as_str), Some("${vin}"));
    assert_eq!(key.escapes, Escapes::HclQuoted);
    assert_eq!(db.text(key.span.unwrap()), "\"$${vin}\"");
}

#[test]
fn variable_default_and_tfvars_override() {
    let files = [
        (
            "main.tf",
            "variable \"key\" {\n  default = \"vin\"\n}\nresource \"aws_iot_topic_rule\" \"r\" {\n  kinesis {\n    partition_key = var.key\n  }\n}\n",
        ),
        ("terraform.tfvars", "key = \"$${clientid()}\"\n"),
    ];
    let (_, m, _) = load(&files[..1]);
    let key = &m.rules[0].actions[0].partition_key;
    assert_eq!(key.get().map(String::as_str), Some("vin"));
    assert_eq!(key.via.len(), 1);
    let (_, m, _) = load(&files);
    let key = &m.rules[0].actions[0].partition_key;
    assert_eq!(key.get().map(String::as_str), Some("${clientid()}"));
}

#[test]
fn terraform_functions_in_keys_are_flagged() {
    let (_, m, _) = load(&[(
        "main.tf",
        "resource \"aws_iot_topic_rule\" \"r\" {\n  kinesis { partition_key = \"${uuid()}\" }\n  kinesis { partition_key = \"${topic(3)}\" }\n  kinesis { partition_key = \"${lower(\"A\")}\" }\n}\n",
    )]);
    let a = &m.rules[0].actions;
    assert_eq!(a[0].iac_interpolations[0].effect, IacEffect::FixedPerDeploy);
    assert_eq!(a[0].iac_interpolations[0].escaped_form, "$${newuuid()}");
    assert!(a[0].partition_key.is_unknown());
    assert_eq!(a[1].iac_interpolations[0].effect, IacEffect::Rejected);
    assert!(a[2].iac_interpolations.is_empty());
    assert_eq!(a[2].partition_key.get().map(String::as_str), Some("a"));
}

#[test]
fn references_locals_and_unknowns() {
    let (_, m, _) = load(&[(
        "main.tf",
        r#"
locals { prefix = "loc" }
variable "env" {}
resource "aws_kinesis_stream" "s" {
  name        = "${local.prefix}-stream"
  shard_count = 8
}
resource "aws_lambda_event_source_mapping" "m" {
  event_source_arn = aws_kinesis_stream.s.arn
  function_name    = var.env
  batch_size       = var.env == "prod" ? 100 : 10
}
"#,
    )]);
    assert_eq!(
        m.streams[0].name.get().map(String::as_str),
        Some("loc-stream")
    );
    let map = &m.mappings[0];
    assert_eq!(map.source_ref.as_deref(), Some("aws_kinesis_stream.s"));
    assert!(
        map.source_arn
            .get()
            .unwrap()
            .ends_with(":stream/loc-stream")
    );
    assert!(map.function.is_unknown());
    assert!(map.batch_size.is_unknown());
}

#[test]
fn syntax_error_has_position() {
    let (db, m, e) = load(&[("bad.tf", "resource \"x\" \"y\" {\n  a = \n}\n")]);
    assert!(m.streams.is_empty());
    let span = e[0].span.unwrap();
    assert_eq!(db.start(span).line, 2);
    assert_eq!(db.start(span).column, 7);
}

/// Loads several module directories as one run: `(dir, file name, text)`.
fn load_dirs(files: &[(&str, &str, &str)]) -> (SourceDb, Evaluated, Vec<InputError>) {
    let mut db = SourceDb::default();
    let mut dirs: Vec<(PathBuf, Vec<FileId>, Vec<FileId>)> = Vec::new();
    for (dir, name, text) in files {
        let path = Path::new(dir).join(name);
        let id = db.add(path, text.to_string());
        let dir = PathBuf::from(dir);
        match dirs.iter_mut().find(|d| d.0 == dir) {
            Some(d) => d.1.push(id),
            None => dirs.push((dir, vec![id], Vec::new())),
        }
    }
    let mut p = Project::default();
    p.add_dirs(&db, dirs);
    let ev = p.evaluate(&db);
    let errors = p.errors;
    (db, ev, errors)
}

const MAPPING_MODULE: &str = r#"
variable "batch_size" { default = 100 }
variable "stream_arn" {}
resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn  = var.stream_arn
  function_name     = "f"
  starting_position = "LATEST"
  batch_size        = var.batch_size
}
output "uuid" { value = aws_lambda_event_source_mapping.this.uuid }
"#;

#[test]
fn module_call_arguments_are_located_at_the_caller() {
    let root = r#"
resource "aws_kinesis_stream" "s" {
  name        = "events"
  shard_count = 2
}
module "consumer" {
  source     = "./modules/consumer"
  stream_arn = aws_kinesis_stream.s.arn
  batch_size = 20000
}
"#;
    let (db, ev, errors) = load_dirs(&[
        ("proj", "main.tf", root),
        ("proj/modules/consumer", "main.tf", MAPPING_MODULE),
    ]);
    assert!(
        errors.is_empty() && ev.errors.is_empty(),
        "{errors:?} {:?}",
        ev.errors
    );
    // The module is read only through its call, not also alone.
    assert_eq!(ev.model.mappings.len(), 1);
    let m = &ev.model.mappings[0];
    assert_eq!(
        m.origin.address,
        "module.consumer.aws_lambda_event_source_mapping.this"
    );
    assert_eq!(m.batch_size.get(), Some(&20000));
    let span = m.batch_size.span.unwrap();
    assert_eq!(db.text(span), "20000");
    assert_eq!(db.get(span.file).path, Path::new("proj/main.tf"));
    let used = &m.batch_size.via[0];
    assert_eq!(db.text(used.span), "var.batch_size");
    assert!(used.message.contains("module.consumer"), "{}", used.message);
    assert!(m.source_arn.get().unwrap().ends_with(":stream/events"));
    assert_eq!(m.source_ref.as_deref(), Some("aws_kinesis_stream.s"));
}

#[test]
fn a_module_read_alone_uses_defaults_and_stays_unknown_without_them() {
    let (_, ev, _) = load_dirs(&[("modules/consumer", "main.tf", MAPPING_MODULE)]);
    let m = &ev.model.mappings[0];
    assert_eq!(m.batch_size.get(), Some(&100));
    assert!(m.source_arn.is_unknown());
}

#[test]
fn lookup_over_an_unknown_for_each_is_unknown_not_absent() {
    let module = r#"
variable "mappings" {}
variable "retries" { default = null }
resource "aws_lambda_event_source_mapping" "this" {
  for_each               = var.mappings
  event_source_arn       = each.value.arn
  function_name          = "f"
  maximum_retry_attempts = lookup(each.value, "maximum_retry_attempts", null)
  maximum_record_age_in_seconds = try(each.value.age, null)
  bisect_batch_on_function_error = var.retries
}
"#;
    let (_, ev, _) = load_dirs(&[("m", "main.tf", module)]);
    let m = &ev.model.mappings[0];
    assert!(m.max_retry_attempts.is_unknown());
    assert!(m.max_record_age.is_unknown());
    // A null default: a caller may set it.
    assert!(m.bisect_on_error.is_unknown());

    // Called with a literal map: one mapping per key, values located in the caller.
    let root = r#"
module "c" {
  source   = "../m"
  mappings = {
    a = { arn = "arn:aws:kinesis:us-east-1:1:stream/s", maximum_retry_attempts = 3 }
    b = { arn = "arn:aws:kinesis:us-east-1:1:stream/s" }
  }
}
"#;
    let (db, ev, _) = load_dirs(&[("m", "main.tf", module), ("root", "main.tf", root)]);
    assert_eq!(ev.model.mappings.len(), 2);
    let a = &ev.model.mappings[0];
    assert_eq!(
        a.origin.address,
        "module.c.aws_lambda_event_source_mapping.this[\"a\"]"
    );
    assert_eq!(a.max_retry_attempts.get(), Some(&3));
    assert_eq!(db.text(a.max_retry_attempts.span.unwrap()), "3");
    let b = &ev.model.mappings[1];
    assert!(b.max_retry_attempts.is_absent());
    assert!(b.max_record_age.is_absent());
}

#[test]
fn count_for_each_dynamic_and_functions() {
    let src = r#"
locals {
  base = { batch_size = 10 }
  cfg  = merge(local.base, { parallelization_factor = 2 })
  dest = coalesce(null, "arn:aws:sqs:us-east-1:1:dlq")
}
resource "aws_lambda_event_source_mapping" "m" {
  count                  = 2
  event_source_arn       = "arn:aws:kinesis:us-east-1:1:stream/s${count.index}"
  function_name          = "f"
  batch_size             = local.cfg.batch_size
  parallelization_factor = lookup(local.cfg, "parallelization_factor", 1)
  dynamic "destination_config" {
    for_each = [local.dest]
    content {
      on_failure { destination_arn = destination_config.value }
    }
  }
}
"#;
    let (_, m, e) = load(&[("main.tf", src)]);
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(m.mappings.len(), 2);
    assert_eq!(
        m.mappings[1].origin.address,
        "aws_lambda_event_source_mapping.m[1]"
    );
    assert!(m.mappings[1].source_arn.get().unwrap().ends_with("/s1"));
    assert_eq!(m.mappings[0].batch_size.get(), Some(&10));
    assert_eq!(m.mappings[0].parallelization_factor.get(), Some(&2));
    assert_eq!(
        m.mappings[0]
            .on_failure_destination
            .get()
            .map(String::as_str),
        Some("arn:aws:sqs:us-east-1:1:dlq")
    );
}

#[test]
fn terraform_aws_modules_lambda_map() {
    let src = r#"
module "consumer" {
  source        = "terraform-aws-modules/lambda/aws"
  version       = "~> 7.0"
  function_name = "consumer"
  event_source_mapping = {
    kinesis = {
      event_source_arn       = "arn:aws:kinesis:us-east-1:1:stream/s"
      starting_position      = "LATEST"
      batch_size             = 20000
      parallelization_factor = 12
    }
  }
}
module "other" {
  source = "terraform-aws-modules/s3-bucket/aws"
}
"#;
    let (db, ev, _) = load_dirs(&[("r", "main.tf", src)]);
    assert_eq!(ev.model.mappings.len(), 1);
    let m = &ev.model.mappings[0];
    assert_eq!(db.text(m.batch_size.span.unwrap()), "20000");
    assert_eq!(m.parallelization_factor.get(), Some(&12));
    assert!(m.max_retry_attempts.is_absent());
    assert_eq!(db.text(m.origin.span), "kinesis = {");
    assert_eq!(ev.notes.len(), 1);
    assert!(ev.notes[0].contains("s3-bucket"), "{:?}", ev.notes);
}

#[test]
fn tf_json_gives_values_at_json_spans() {
    let src = r#"{
  "resource": {
    "aws_lambda_event_source_mapping": {
      "m": {
        "event_source_arn": "${aws_kinesis_stream.s.arn}",
        "function_name": "f",
        "batch_size": 20000
      }
    },
    "aws_kinesis_stream": { "s": { "name": "events", "shard_count": 1 } }
  }
}"#;
    let (db, m, e) = load(&[("main.tf.json", src)]);
    assert!(e.is_empty(), "{e:?}");
    let map = &m.mappings[0];
    assert_eq!(db.text(map.batch_size.span.unwrap()), "20000");
    assert_eq!(map.source_ref.as_deref(), Some("aws_kinesis_stream.s"));
    assert_eq!(m.streams[0].name.get().map(String::as_str), Some("events"));
    assert_eq!(db.text(m.streams[0].name.span.unwrap()), "\"events\"");
}

fn chain(n: usize) -> String {
    let mut s = String::from("locals {\n  a0 = \"vin\"\n");
    for i in 1..n {
        s.push_str(&format!("  a{i} = local.a{}\n", i - 1));
    }
    s.push_str("}\n");
    s
}

fn rule_with_key(expr: &str) -> String {
    format!(
        "resource \"aws_iot_topic_rule\" \"r\" {{\n  kinesis {{\n    stream_name   = \"s\"\n    partition_key = {expr}\n  }}\n}}\n"
    )
}

#[test]
fn long_chains_of_locals_do_not_overflow() {
    // Run on a thread with a small stack, as rayon workers have.
    let h = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let text = chain(4000) + &rule_with_key("local.a3999");
            let (_, m, e) = load(&[("main.tf", &text)]);
            assert!(e.is_empty(), "{e:?}");
            assert_eq!(
                m.rules[0].actions[0]
                    .partition_key
                    .get()
                    .map(String::as_str),
                Some("vin")
            );
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn chains_across_modules_do_not_overflow() {
    let h = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut files: Vec<(String, String, String)> = Vec::new();
            for d in 0..3 {
                files.push((
                    format!("m{d}"),
                    "main.tf".into(),
                    chain(1000) + &rule_with_key("local.a999"),
                ));
            }
            let refs: Vec<(&str, &str, &str)> = files
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
                .collect();
            let (_, ev, errors) = load_dirs(&refs);
            assert!(errors.is_empty() && ev.errors.is_empty());
            assert_eq!(ev.model.rules.len(), 3);
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn a_cycle_of_locals_is_reported_once_and_the_rest_survives() {
    let n = 5000;
    let mut text = String::from("locals {\n");
    for i in 0..n {
        text.push_str(&format!("  c{i} = local.c{}\n", (i + 1) % n));
    }
    text.push_str("}\n");
    text.push_str(&rule_with_key("local.c0"));
    text.push_str("resource \"aws_kinesis_stream\" \"ok\" {\n  name = \"fine\"\n}\n");
    let h = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let (db, m, e) = load(&[("main.tf", &text)]);
            assert_eq!(e.len(), 1, "{e:?}");
            assert!(
                e[0].message.contains("refers to itself"),
                "{}",
                e[0].message
            );
            assert!(e[0].message.contains("5,000"), "{}", e[0].message);
            assert!(db.start(e[0].span.unwrap()).line > 1);
            assert!(m.rules[0].actions[0].partition_key.is_unknown());
            assert_eq!(m.streams[0].name.get().map(String::as_str), Some("fine"));
        })
        .unwrap();
    h.join().unwrap();
}

#[test]
fn doubling_and_replace_blowups_are_bounded_and_reported_once() {
    let mut text = String::from("locals {\n  d0 = \"vv\"\n");
    for i in 1..40 {
        text.push_str(&format!(
            "  d{i} = \"${{local.d{0}}}${{local.d{0}}}\"\n",
            i - 1
        ));
    }
    text.push_str("  r0 = \"vvvvvvvvvv\"\n");
    for i in 1..12 {
        text.push_str(&format!(
            "  r{i} = replace(local.r{0}, \"v\", local.r{0})\n",
            i - 1
        ));
    }
    text.push_str("}\n");
    text.push_str(&rule_with_key("local.d39"));
    let start = std::time::Instant::now();
    let (db, m, e) = load(&[("main.tf", &text)]);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(e[0].message.contains("budget"), "{}", e[0].message);
    assert!(db.start(e[0].span.unwrap()).line > 1);
    assert!(m.rules[0].actions[0].partition_key.is_unknown());
    // Not a timing assertion: a sanity bound far above the real figure, against a regression to
    // exponential work.
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn deep_nesting_is_reported_not_overflowed() {
    let expr = format!("{}\"vin\"{}", "(".repeat(5000), ")".repeat(5000));
    let (db, m, e) = load(&[
        ("deep.tf", &rule_with_key(&expr)),
        ("ok.tf", &rule_with_key("\"${vin}\"")),
    ]);
    assert_eq!(e.len(), 1);
    assert!(e[0].message.contains("nest"), "{}", e[0].message);
    assert_eq!(db.get(e[0].span.unwrap().file).path, Path::new("deep.tf"));
    assert_eq!(m.rules.len(), 1);
}

#[test]
fn syntax_error_in_one_file_keeps_others() {
    let (_, m, e) = load(&[
        ("bad.tf", "resource \"x\" \"y\" {\n  a = \n}\n"),
        ("ok.tf", &rule_with_key("\"$${vin}\"")),
    ]);
    assert_eq!(e.len(), 1);
    assert_eq!(m.rules.len(), 1);
    let _ = Span::new;
}

#[test]
fn resource_prefixed_references_resolve() {
    let (_, m, _) = load(&[(
        "main.tf",
        "resource \"aws_kinesis_stream\" \"s\" {\n  name = \"events\"\n}\nresource \"aws_lambda_event_source_mapping\" \"m\" {\n  event_source_arn = resource.aws_kinesis_stream.s.arn\n  function_name = \"f\"\n}\n",
    )]);
    assert!(
        m.mappings[0]
            .source_arn
            .get()
            .unwrap()
            .ends_with(":stream/events")
    );
    assert_eq!(
        m.mappings[0].source_ref.as_deref(),
        Some("aws_kinesis_stream.s")
    );
}
