//! Well-known registry modules read without their source (before `terraform init`): the
//! terraform-aws-modules/lambda module's `event_source_mapping` map, where each entry is an event
//! source mapping of the module's function with the keys and defaults of the module's
//! `aws_lambda_event_source_mapping.this` (every key `try(each.value.<key>, null)`, `enabled`
//! defaulting to true, `destination_arn_on_failure` for the on-failure destination).
//! Source: github.com/terraform-aws-modules/terraform-aws-lambda, `main.tf`.

use crate::model::{EventSourceMapping, Function, Model, Origin, SourceKind, Val};
use crate::source::Span;

use super::eval::{Instance, Resolved, V};
use super::module::CallDecl;
use super::resources::to_val;

/// Whether `source` names the terraform-aws-modules/lambda module (registry or GitHub).
fn is_lambda_module(source: &str) -> bool {
    let s = source.trim_start_matches("registry.terraform.io/");
    s.starts_with("terraform-aws-modules/lambda/aws")
        || s.contains("github.com/terraform-aws-modules/terraform-aws-lambda")
}

/// Adds what a known remote module declares; `false` when the module is not one shardlint knows.
pub(super) fn known_module(inst: &Instance, call: &CallDecl, model: &mut Model) -> bool {
    let Some(source) = &call.source else {
        return false;
    };
    if !is_lambda_module(source) {
        return false;
    }
    let body = &call.block.body;
    for (suffix, binding) in inst.expand(call.file, body) {
        let env = binding.map(|(name, value, site)| super::eval::Env {
            name,
            value,
            site,
            parent: None,
        });
        let env = env.as_ref();
        let address = format!("{}module.{}{suffix}", inst.prefix, call.name);
        let arg = |key: &str| -> (Resolved, Option<Span>) {
            match body.get_attribute(key) {
                Some(a) => (
                    inst.eval(call.file, &a.value, env),
                    inst.span(call.file, &a.value),
                ),
                None => (Resolved::of(V::Null), None),
            }
        };
        let int = |v: &V| match v {
            V::Num(n) if n.fract() == 0.0 => Some(*n as i64),
            V::Str(s) => s.trim().parse().ok(),
            _ => None,
        };
        let (fname, fspan) = arg("function_name");
        let function_name = to_val(
            &fname,
            fspan,
            &format!("{address}.function_name"),
            "function_name",
            |v| v.as_text(),
        );
        let create = arg("create").0.value;
        let create_function = arg("create_function").0.value;
        if create == V::Bool(false) || create_function == V::Bool(false) {
            continue;
        }
        let (timeout, tspan) = arg("timeout");
        let (memory, mspan) = arg("memory_size");
        model.functions.push(Function {
            origin: Origin {
                kind: SourceKind::Terraform,
                address: format!("{address}.aws_lambda_function.this[0]"),
                span: call.header,
                module: inst.root.clone(),
            },
            name: function_name.clone(),
            arn: None,
            timeout: to_val(
                &timeout,
                tspan,
                &format!("{address}.timeout"),
                "timeout",
                int,
            ),
            memory_size: to_val(
                &memory,
                mspan,
                &format!("{address}.memory_size"),
                "memory_size",
                int,
            ),
        });
        let (esm, esm_span) = arg("event_source_mapping");
        let entries = match &esm.value {
            V::Obj(fields) => fields.clone(),
            V::Null => Vec::new(),
            _ => continue,
        };
        for (key, entry, site) in entries {
            let path = format!(
                "{address}.aws_lambda_event_source_mapping.this[{}]",
                super::eval::quote_key(&key)
            );
            let field = |k: &str| -> Resolved {
                let (v, s) = entry.attr_site(k);
                let mut r = Resolved::of(match v {
                    V::Error(_) => V::Null,
                    v => v,
                });
                r.site = s;
                r
            };
            let get_int = |k: &str| {
                let r = field(k);
                to_val(&r, r.site, &format!("{path}.{k}"), k, int)
            };
            let get_bool = |k: &str| {
                let r = field(k);
                to_val(&r, r.site, &format!("{path}.{k}"), k, |v| match v {
                    V::Bool(b) => Some(*b),
                    _ => None,
                })
            };
            let get_str = |k: &str| {
                let r = field(k);
                to_val(&r, r.site, &format!("{path}.{k}"), k, |v| v.as_text())
            };
            // The entry's first line (`kinesis = {`).
            let span = site
                .or(esm_span)
                .map(|s| {
                    let text = &inst.db.get(s.file).text;
                    let line_start = text[..s.start].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = text[s.start..]
                        .find('\n')
                        .map_or(text.len(), |i| s.start + i);
                    Span::new(
                        s.file,
                        line_start
                            + (text[line_start..s.start].len()
                                - text[line_start..s.start].trim_start().len()),
                        line_end,
                    )
                })
                .unwrap_or(call.header);
            let dest = get_str("destination_arn_on_failure");
            let source_arn = get_str("event_source_arn");
            let response_types = {
                let r = field("function_response_types");
                to_val(
                    &r,
                    r.site,
                    &format!("{path}.function_response_types"),
                    "function_response_types",
                    |v| match v {
                        V::List(items) => items.iter().map(|i| i.as_text()).collect(),
                        _ => None,
                    },
                )
            };
            let mut enabled = get_bool("enabled");
            if enabled.is_absent() {
                enabled = Val::known(true, None, format!("{path}.enabled"));
            }
            model.mappings.push(EventSourceMapping {
                origin: Origin {
                    kind: SourceKind::Terraform,
                    address: path.clone(),
                    span,
                    module: inst.root.clone(),
                },
                source_arn,
                function: function_name.clone(),
                batch_size: get_int("batch_size"),
                batching_window: get_int("maximum_batching_window_in_seconds"),
                parallelization_factor: get_int("parallelization_factor"),
                starting_position: get_str("starting_position"),
                max_retry_attempts: get_int("maximum_retry_attempts"),
                max_record_age: get_int("maximum_record_age_in_seconds"),
                bisect_on_error: get_bool("bisect_batch_on_function_error"),
                on_failure_destination: dest,
                function_response_types: response_types,
                tumbling_window: get_int("tumbling_window_in_seconds"),
                enabled,
                stream: None,
                function_idx: None,
                source_ref: None,
                source_type_hint: None,
                function_ref: Some(format!("{address}.aws_lambda_function.this[0]")),
            });
        }
    }
    true
}
